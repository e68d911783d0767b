// The frame every verifier runs in: one deadline, cancellation, cleanup of whatever the attempt
// opened, and the conversion of any outcome into a VerifyResult. A verifier built on it never
// rejects and resolves by `timeoutMs` (plus the time its cleanup takes, which is synchronous).
import { SECURITIES } from '../../contract/names.js';
import { classifyError, errorFacts, primaryCode, result, VerifyFailure, type ProtocolName } from './classify.js';
import type { ProxyRoute, VerifyCode, VerifyOptions, VerifyResult, VerifySettings } from './types.js';

export interface VerifyContext {
  readonly settings: VerifySettings;
  readonly secret: string;
  /** aborted when the attempt is over: deadline, caller's signal, or finished */
  readonly signal: AbortSignal;
  /** epoch ms by which the verifier resolves */
  readonly deadline: number;
  readonly timeoutMs: number;
  /** ms left until the deadline (at least 1) */
  remaining(): number;
  /** registers a cleanup (close a socket, end a client); all run once when the attempt ends */
  defer(fn: () => void): void;
  /** SFTP: the host key the server presented, reported in every result */
  hostKey?: string;
  /** CalDAV, CardDAV: the home set found, reported in a successful result */
  home?: string;
  /** the secret is a private key (messages say "key" instead of "password") */
  keyAuth?: boolean;
  /** the proxy to connect through (the account's parent): see tunnel.ts */
  readonly via?: ProxyRoute;
}

export interface Success {
  detail?: string;
}

/** Protocol-specific classification, consulted before the shared one. */
export type ProtocolClassifier = (err: unknown) => { code: VerifyCode; detail?: string } | undefined;

const DEFAULT_TIMEOUT_MS = 30_000;

export function runVerification(
  protocol: ProtocolName,
  settings: VerifySettings,
  secret: string,
  options: VerifyOptions,
  body: (ctx: VerifyContext) => Promise<Success | void>,
  classify?: ProtocolClassifier,
): Promise<VerifyResult> {
  const timeoutMs =
    Number.isFinite(options?.timeoutMs) && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS;
  const started = Date.now();
  const controller = new AbortController();
  const cleanups: Array<() => void> = [];
  const ctx: VerifyContext = {
    settings,
    secret: secret ?? '',
    signal: controller.signal,
    deadline: started + timeoutMs,
    timeoutMs,
    ...(options?.proxy ? { via: options.proxy } : {}),
    remaining: () => Math.max(1, started + timeoutMs - Date.now()),
    defer: (fn) => {
      if (controller.signal.aborted) safely(fn);
      else cleanups.push(fn);
    },
  };

  return new Promise<VerifyResult>((resolve) => {
    const onAbort = () => {
      const reason: unknown = options?.signal?.reason;
      const isTimeout = reason instanceof Error && reason.name === 'TimeoutError';
      finish(isTimeout ? 'Timeout' : 'Unknown', isTimeout ? undefined : 'the verification was cancelled');
    };
    const finish = (code: VerifyCode, detail?: string) => {
      if (controller.signal.aborted) return;
      clearTimeout(timer);
      options?.signal?.removeEventListener('abort', onAbort);
      controller.abort();
      for (const fn of cleanups.splice(0).reverse()) safely(fn);
      resolve(
        result(protocol, settings ?? { host: '?', port: 0 }, code, ctx.secret, detail, {
          timeoutMs: code === 'Timeout' ? timeoutMs : undefined,
          keyAuth: ctx.keyAuth,
          hostKey: ctx.hostKey,
          home: ctx.home,
          username: settings?.username,
        }),
      );
    };

    // Set before anything can call finish (which clears it).
    const timer = setTimeout(() => finish('Timeout'), timeoutMs);
    if (options?.signal) {
      if (options.signal.aborted) return onAbort();
      options.signal.addEventListener('abort', onAbort, { once: true });
    }
    const invalid = validate(settings);
    if (invalid) return finish('Unknown', invalid);

    Promise.resolve()
      .then(() => body(ctx))
      .then(
        (ok) => finish('Ok', ok ? ok.detail : undefined),
        (err: unknown) => {
          const own = classify?.(err);
          if (own) return finish(own.code, own.detail);
          const code = classifyError(err) ?? 'Unknown';
          finish(code, failureDetail(code, err));
        },
      )
      .catch((err: unknown) => finish('Unknown', String(err)));
  });
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    /* cleanup is best effort */
  }
}

function validate(s: VerifySettings | undefined): string | undefined {
  if (!s || typeof s !== 'object') return 'no settings given';
  if (typeof s.host !== 'string' || !s.host.trim()) return 'no host given';
  if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) return `invalid port ${String(s.port)}`;
  if (!(SECURITIES as readonly string[]).includes(s.security))
    return `invalid security "${String(s.security)}" (tls, starttls or none)`;
  return undefined;
}

/** The part of an error worth showing after the standard sentence. */
export function failureDetail(code: VerifyCode, err: unknown): string | undefined {
  if (err instanceof VerifyFailure) return err.detail;
  const pc = primaryCode(err);
  const { messages } = errorFacts(err);
  switch (code) {
    case 'HostNotFound':
    case 'ConnectionRefused':
    case 'Timeout':
      return undefined;
    case 'TlsExpired':
    case 'TlsHostnameMismatch':
    case 'TlsUntrusted': {
      const m = messages.find((x) => /certif|altname|self[- ]signed|issuer/i.test(x)) ?? messages[0];
      return m ? (pc && !m.includes(pc) ? `${m} (${pc})` : m) : pc;
    }
    default: {
      const m = messages.find((x) => x && !/^(Error|Command failed)$/i.test(x)) ?? messages[0];
      if (m && pc && !m.includes(pc)) return `${m} (${pc})`;
      return m ?? pc;
    }
  }
}
