/**
 * Checking an account: every enabled protocol in parallel through its verifier, and what the
 * results mean for the account's status.
 */
import type { AccountConfig } from '../accounts/account.js';
import { PROTOCOL_SPECS, type Protocol } from '../accounts/protocols.js';
import type { VerifiableProtocol, VerifyCode, VerifyResult } from '../protocols/index.js';
import type { StatusValue } from '../status/status.js';
import { runVerifier } from './verifier-thread.js';

export type CheckResults = Partial<Record<Protocol, VerifyResult>>;

/** The secret a protocol logs in with: the one named after it, else `password`; null if none. */
export type SecretLookup = (protocol: Protocol) => Promise<string | null>;

/** Each check is capped; a verifier resolves within its timeout, the race is a safety net. */
export const CHECK_TIMEOUT_MS = Number(process.env.PX_ACCOUNTS_CHECK_TIMEOUT_MS) || 60_000;


type Checkable = Pick<AccountConfig, 'username' | 'protocols' | 'settings'>;

async function checkOne(config: Checkable, protocol: Protocol, secret: string | null, timeoutMs: number): Promise<VerifyResult> {
  const s = config.settings[protocol]!;
  const title = PROTOCOL_SPECS[protocol].title;
  if (secret === null) {
    return { ok: false, code: 'Unauthorized', message: `No secret is stored for ${title}: set '${protocol}' or 'password'` };
  }
  const settings = {
    host: s.host, port: s.port, security: s.security || 'none', username: s.username || config.username,
    ...(s.path ? { path: s.path } : {}), ...(s.url ? { url: s.url } : {}), ...(s.ca ? { ca: s.ca } : {}),
    ...(s.hostKey ? { hostKey: s.hostKey } : {}),
  } as const;
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<VerifyResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, code: 'Timeout', message: `${title} server ${s.host}:${s.port} did not answer within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs + 2000);
  });
  try {
    // On the verifier thread, which loads the protocol clients on the first check.
    return await Promise.race([runVerifier(protocol as VerifiableProtocol, settings, secret, timeoutMs), cap]);
  } catch (err) {
    // The verifier thread could not be reached (say, the worker would not start).
    return { ok: false, code: 'Unknown', message: `${title} check failed unexpectedly (${(err as Error).name})` };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkProtocols(config: Checkable, secretFor: SecretLookup, timeoutMs = CHECK_TIMEOUT_MS): Promise<CheckResults> {
  // Secrets first (they may fail as a whole: SecretsUnavailable), then every server at once.
  const secrets = await Promise.all(config.protocols.map((p) => secretFor(p)));
  const results = await Promise.all(config.protocols.map((p, i) => checkOne(config, p, secrets[i], timeoutMs)));
  return Object.fromEntries(config.protocols.map((p, i) => [p, results[i]]));
}

const NETWORK: ReadonlySet<VerifyCode> = new Set(['Timeout', 'HostNotFound', 'ConnectionRefused', 'ConnectionFailed', 'Unavailable']);

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
