/**
 * Checking an account: every enabled protocol in parallel through its verifier, and what the
 * results mean for the account's status.
 */
import { redact } from '../util/redact.js';
import type { AccountConfig } from '../model/account.js';
import type { ProxyRoute, VerifyCode, VerifyResult } from '../protocols/common/types.js';
import { loginSecret, type ProtocolPlugin } from '../protocols/plugin.js';
import { requireProtocol } from '../protocols/registry.js';
import { statusText, type StatusValue } from '../status/status.js';
import { runVerifier } from './verifier-thread.js';
import { AccountsError } from '../errors.js';
import { peerCertificate, type TlsDialect } from '../protocols/common/peer-certificate.js';
import { pinsText, serverKey } from '../protocols/common/pins.js';
import { _ } from '../i18n/index.js';
import { formatSeconds } from '../i18n/intl.js';

export type CheckResults = Record<string, VerifyResult>;

/** The secrets a check may read: their names, and a way to fetch one (null when missing). */
export interface SecretSource {
  readonly names: readonly string[];
  get(name: string): Promise<string | null>;
  /**
   * OAuth2 accounts: an access token for a protocol; `renew` when the last one was refused.
   * Rejects with a typed error (NotAuthorized, Unreachable, ...).
   */
  token?(protocol: string, renew: boolean): Promise<string>;
}

/** Each check is capped; a verifier resolves within its timeout, the race is a safety net. */
export const CHECK_TIMEOUT_MS = Number(process.env.PX_ACCOUNTS_CHECK_TIMEOUT_MS) || 60_000;

/** `via`: the parent proxy every protocol's check connects through (Account.Parent). */
type Checkable = Pick<AccountConfig, 'username' | 'protocols' | 'settings'> & {
  id?: string;
  auth?: AccountConfig['auth'];
  certificates?: AccountConfig['certificates'];
  via?: ProxyRoute;
};

interface Secrets {
  login: string | null;
  named: Record<string, string>;
}

/** Reads what one protocol needs: its login secret (named after it, else password) and its named secrets. */
async function secretsFor(plugin: ProtocolPlugin, source: SecretSource): Promise<Secrets> {
  const name = loginSecret(plugin, source.names);
  const named: Record<string, string> = {};
  for (const n of plugin.secrets) {
    if (!source.names.includes(n)) continue;
    const v = await source.get(n);
    if (v !== null) named[n] = v;
  }
  return { login: name === undefined ? null : await source.get(name), named };
}

/** A token that could not be had, as a check result: refused → Unauthorized, unreachable → offline. */
function tokenFailure(plugin: ProtocolPlugin, err: unknown): VerifyResult {
  if (err instanceof AccountsError && err.kind === 'SecretsUnavailable') throw err;
  const kind = err instanceof AccountsError ? err.kind : 'ProviderError';
  const message = `${plugin.title}: no access token (${(err as Error)?.message ?? 'failed'})`;
  if (kind === 'NotAuthorized' || kind === 'NotFound') return { ok: false, code: 'Unauthorized', message };
  if (kind === 'Unreachable') return { ok: false, code: 'ConnectionFailed', message };
  return { ok: false, code: 'ServerError', message };
}

/** OAuth2: check with the access token; a token the server refuses is renewed once and tried again. */
async function checkWithToken(
  config: Checkable,
  plugin: ProtocolPlugin,
  source: SecretSource,
  timeoutMs: number,
): Promise<VerifyResult> {
  if (!plugin.tokens || !source.token)
    return {
      ok: false,
      code: 'Unknown',
      message: _('{protocol} cannot sign in with OAuth2', { protocol: plugin.title }),
    };
  let result: VerifyResult | undefined;
  for (const renew of [false, true]) {
    let token: string;
    try {
      token = await source.token(plugin.id, renew);
    } catch (err) {
      return tokenFailure(plugin, err);
    }
    result = await checkOne(config, plugin, { login: token, named: {} }, timeoutMs, 'oauth2');
    if (result.code !== 'Unauthorized') break;
  }
  return result!;
}

async function checkOne(
  config: Checkable,
  plugin: ProtocolPlugin,
  secrets: Secrets,
  timeoutMs: number,
  auth: 'password' | 'oauth2' = 'password',
): Promise<VerifyResult> {
  const s = config.settings[plugin.id]!;
  if (secrets.login === null && plugin.needsLoginSecret) {
    return {
      ok: false,
      code: 'Unauthorized',
      message: _("No secret is stored for {protocol}: set '{id}' or 'password'", {
        protocol: plugin.title,
        id: plugin.id,
      }),
    };
  }
  const settings = { ...s, username: s.username || config.username } as Parameters<typeof runVerifier>[1];
  const pins = pinsText(config.certificates);
  if (pins) settings.certificates = pins;
  const options = {
    timeoutMs,
    secrets: secrets.named,
    account: config.id ?? '',
    auth,
    ...(config.via ? { proxy: config.via } : {}),
  };
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<VerifyResult>((resolve) => {
    const v = {
      protocol: plugin.title,
      server: `${s.host}:${s.port}`,
      time: formatSeconds(Math.round(timeoutMs / 1000)),
    };
    const message = () =>
      s.host
        ? _('{protocol} server {server} did not answer within {time}', v)
        : _('{protocol} check did not answer within {time}', v);
    timer = setTimeout(() => resolve({ ok: false, code: 'Timeout', message: message() }), timeoutMs + 2000);
  });
  try {
    const running = plugin.verifier.thread
      ? // On the verifier thread, which loads the protocol clients on the first check.
        runVerifier(plugin.id, settings, secrets.login ?? '', options)
      : plugin.verifier.verify(settings, secrets.login ?? '', options);
    const result = await Promise.race([running, cap]);
    // (the probe connects directly: never for an account reached through a proxy)
    if (PINNABLE.has(result.code) && !config.via) await presented(plugin.id, settings, result);
    // A server may echo what it was sent (a key in a URL, a password): never into a message.
    return {
      ...result,
      message: redact(result.message, [
        ...Object.values(secrets.named),
        ...(secrets.login ? [secrets.login] : []),
        ...(config.via ? [config.via.password] : []),
      ]),
    };
  } catch (err) {
    // The verifier thread could not be reached, or an in-process verifier broke its contract.
    return {
      ok: false,
      code: 'Unknown',
      message: _('{protocol} check failed unexpectedly ({error})', {
        protocol: plugin.title,
        error: String((err as Error)?.name),
      }),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Failures a pinned certificate overcomes (an expired one it does not: docs/discovery.md). */
export const PINNABLE: ReadonlySet<VerifyCode> = new Set(['TlsUntrusted', 'TlsHostnameMismatch']);

/**
 * A check that failed for the certificate alone: the certificate the server presents is named in
 * the result (fingerprint and server, and in the message), so the person can accept exactly it.
 */
async function presented(
  protocol: string,
  settings: Record<string, string | number | undefined>,
  result: VerifyResult,
): Promise<void> {
  let host = String(settings.host ?? '');
  let port = Number(settings.port);
  let security: 'tls' | 'starttls' = settings.security === 'starttls' ? 'starttls' : 'tls';
  if (typeof settings.url === 'string' && settings.url) {
    try {
      const u = new URL(settings.url);
      host = u.hostname;
      port = Number(u.port) || 443;
      security = 'tls';
    } catch {
      return;
    }
  }
  const dialect: TlsDialect = protocol === 'imap' || protocol === 'smtp' || protocol === 'pop3' ? protocol : 'tls';
  if (!host || !port || (security === 'starttls' && dialect === 'tls')) return;
  try {
    const seen = await peerCertificate(dialect, host, port, security, CERTIFICATE_PROBE_MS);
    result.fingerprint = seen.fingerprint;
    result.server = serverKey(host, port);
    result.message += ` (certificate ${result.server}=${seen.fingerprint})`;
  } catch {
    /* the result stands as it is, without a fingerprint */
  }
}

const CERTIFICATE_PROBE_MS = 5_000;

export async function checkProtocols(
  config: Checkable,
  source: SecretSource,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<CheckResults> {
  const plugins = config.protocols.map((p) => requireProtocol(p, 'protocols'));
  // Secrets first (they may fail as a whole: SecretsUnavailable), then every server at once.
  const results =
    config.auth === 'oauth2'
      ? await Promise.all(plugins.map((p) => checkWithToken(config, p, source, timeoutMs)))
      : await Promise.all(
          (await Promise.all(plugins.map((p) => secretsFor(p, source)))).map((s, i) =>
            checkOne(config, plugins[i]!, s, timeoutMs),
          ),
        );
  // A message quotes the server (or a provider, a helper), whose words may hold a NUL, which no
  // D-Bus string can carry (it failed Verify's reply, and as the status every GetManagedObjects
  // of every client), or escape sequences: control characters become spaces.
  return Object.fromEntries(
    config.protocols.map((p, i) => [p, { ...results[i]!, message: statusText(results[i]!.message) }]),
  );
}

const NETWORK: ReadonlySet<VerifyCode> = new Set([
  'Timeout',
  'HostNotFound',
  'ConnectionRefused',
  'ConnectionFailed',
  'Unavailable',
]);

export interface StatusVerdict {
  status: StatusValue;
  message: string;
  /** true: credentials rejected; false: all good; undefined: leave as it is. */
  attentionNeeded: boolean | undefined;
}

/** All ok → online; a rejected login → error + attention; unreachable → offline; else error. */
export function verdict(results: CheckResults): StatusVerdict {
  const failed = Object.values(results).filter((r) => !r.ok);
  if (failed.length === 0) return { status: 'online', message: '', attentionNeeded: false };
  const message = failed.map((r) => r.message).join('; ');
  if (failed.some((r) => r.code === 'Unauthorized')) return { status: 'error', message, attentionNeeded: true };
  if (failed.every((r) => NETWORK.has(r.code))) return { status: 'offline', message, attentionNeeded: undefined };
  return { status: 'error', message, attentionNeeded: undefined };
}
