/**
 * Check results and service errors in words for people: which protocol and server, which step
 * failed, and the server's own reply kept apart as details.
 */
import { isAccountsClientError, type ErrorKind, type VerifyResult } from '../client/index.js';
import type { WordedResult } from './wire.js';

/** Failures that say the server could not be reached (the service's own list, verify/check.ts). */
export const NETWORK_CODES: ReadonlySet<string> = new Set(['Timeout', 'HostNotFound', 'ConnectionRefused', 'ConnectionFailed', 'Unavailable']);

const STEP: Record<string, [step: string, what: string]> = {
  Ok: ['', 'Works.'],
  Unauthorized: ['signing in', 'The server rejected the user name or password.'],
  Timeout: ['connecting', 'The server did not answer in time.'],
  HostNotFound: ['finding the server', 'No server of that name was found.'],
  ConnectionRefused: ['connecting', 'The server refused the connection: nothing answers on that port.'],
  ConnectionFailed: ['connecting', 'The connection to the server failed.'],
  Unavailable: ['connecting', 'The server is not available right now.'],
  TlsUntrusted: ['securing the connection', "The server's certificate is not trusted."],
  TlsExpired: ['securing the connection', "The server's certificate has expired."],
  TlsHostnameMismatch: ['securing the connection', "The server's certificate is for another name."],
  HostKeyChanged: ['checking the host key', "The server's host key is not the one seen before."],
  ServerError: ['talking to the server', 'The server answered with an error.'],
  Unknown: ['checking', 'The check failed.'],
};

export type { WordedResult };

export function wordResult(protocol: string, title: string, server: string, r: VerifyResult): WordedResult {
  const [step, what] = STEP[r.code] ?? STEP.Unknown!;
  const outcome = r.ok ? 'ok' : r.code === 'Unauthorized' ? 'rejected' : NETWORK_CODES.has(r.code) ? 'network' : 'other';
  const where = server ? ` (${server})` : '';
  const summary = r.ok ? `${title}${where}: works.` : `${title}${where}: failed at ${step}. ${what}`;
  return { ...r, protocol, title, server, step, summary, outcome };
}

const KIND_WORDS: Partial<Record<ErrorKind, string>> = {
  NotFound: 'That account no longer exists.',
  InvalidArgument: 'A value is not valid.',
  Duplicate: 'This account has already been added.',
  UnknownProvider: 'That provider is not in the catalogue.',
  UnsupportedProtocol: 'That protocol is not supported.',
  SecretsUnavailable: 'The keyring is locked or not running, so passwords cannot be stored or read.',
  AccessDenied: 'Not allowed.',
  VerificationFailed: 'The check failed; nothing was saved.',
  Io: 'The account file could not be written.',
  NotConfigured: 'Sign-in with this provider is not set up on this computer.',
  NotAuthorized: 'The provider no longer accepts the sign-in: sign in again.',
  Unreachable: 'The provider could not be reached.',
  ProviderError: 'The provider answered with an error.',
  Cancelled: 'The sign-in was cancelled.',
  Expired: 'The sign-in took too long and expired.',
  LimitExceeded: 'Too many checks are running at once: wait a moment and try again.',
  WrongPassphrase: 'The passphrase is not the one the file was encrypted with.',
  ServiceUnreachable: 'The accounts service is not running.',
  Timeout: 'The accounts service did not answer in time.',
};

/** Kinds whose message says what to correct in the form ("eth.url must be http(s)…"): shown, not folded away. */
const SAY_WHY = new Set<ErrorKind>(['InvalidArgument']);

/** An error for the page: its kind, a sentence, and the service's own message as details. */
export function wordError(err: unknown): { kind: string; summary: string; details: string } {
  if (isAccountsClientError(err) && SAY_WHY.has(err.kind)) return { kind: err.kind, summary: `${KIND_WORDS[err.kind]!.replace(/\.$/, ':')} ${err.message}`, details: '' };
  if (isAccountsClientError(err)) return { kind: err.kind, summary: KIND_WORDS[err.kind] ?? 'Something went wrong.', details: err.message };
  return { kind: 'Failed', summary: 'Something went wrong.', details: err instanceof Error ? err.message : String(err) };
}
