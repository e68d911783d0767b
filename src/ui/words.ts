/**
 * Check results and service errors in words for people: which protocol and server, which step
 * failed, and the server's own reply kept apart as details.
 */
import { isAccountsClientError, type ErrorKind, type VerifyResult } from '../client/index.js';
import { N_, type Translator, type Values } from '../i18n/index.js';
import { words } from './languages.js';
import type { WordedResult } from './wire.js';

/** Failures that say the server could not be reached (the service's own list, verify/check.ts). */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'Timeout',
  'HostNotFound',
  'ConnectionRefused',
  'ConnectionFailed',
  'Unavailable',
]);

/** Per failure code: the step that failed and what went wrong, marked for the template (translated in wordResult). */
const STEP: Record<string, [step: string, what: string]> = {
  Ok: ['', N_('Works.')],
  Unauthorized: [N_('signing in'), N_('The server rejected the user name or password.')],
  Timeout: [N_('connecting'), N_('The server did not answer in time.')],
  HostNotFound: [N_('finding the server'), N_('No server of that name was found.')],
  ConnectionRefused: [N_('connecting'), N_('The server refused the connection: nothing answers on that port.')],
  ConnectionFailed: [N_('connecting'), N_('The connection to the server failed.')],
  Unavailable: [N_('connecting'), N_('The server is not available right now.')],
  TlsUntrusted: [N_('securing the connection'), N_("The server's certificate is not trusted.")],
  TlsExpired: [N_('securing the connection'), N_("The server's certificate has expired.")],
  TlsHostnameMismatch: [N_('securing the connection'), N_("The server's certificate is for another name.")],
  HostKeyChanged: [N_('checking the host key'), N_("The server's host key is not the one seen before.")],
  ServerError: [N_('talking to the server'), N_('The server answered with an error.')],
  Unknown: [N_('checking'), N_('The check failed.')],
};

export type { WordedResult };

/** "{protocol} ({server}): failed at {step}. {what}" */
function failedAt(t: Translator, server: string, values: Values): string {
  if (server) {
    // translators: {step} is one of "signing in", "connecting", "finding the server", "securing the connection"... (translated on their own)
    return t.gettext('{protocol} ({server}): failed at {step}. {what}', values);
  }
  // translators: {step} is one of "signing in", "connecting", "finding the server", "securing the connection"... (translated on their own)
  return t.gettext('{protocol}: failed at {step}. {what}', values);
}

export function wordResult(protocol: string, title: string, server: string, r: VerifyResult): WordedResult {
  const [step, what] = STEP[r.code] ?? STEP.Unknown!;
  const outcome = r.ok
    ? 'ok'
    : r.code === 'Unauthorized'
      ? 'rejected'
      : NETWORK_CODES.has(r.code)
        ? 'network'
        : 'other';
  // In the language of the request being answered (src/ui/languages.ts); `step` stays English (data).
  const t = words();
  const names = { protocol: title, server };
  const summary = r.ok
    ? server
      ? t.gettext('{protocol} ({server}): works.', names)
      : t.gettext('{protocol}: works.', names)
    : failedAt(t, server, { ...names, step: t.gettext(step), what: t.gettext(what) });
  return { ...r, protocol, title, server, step, summary, outcome };
}

const KIND_WORDS: Partial<Record<ErrorKind, string>> = {
  NotFound: N_('That account no longer exists.'),
  InvalidArgument: N_('A value is not valid.'),
  Duplicate: N_('This account has already been added.'),
  UnknownProvider: N_('That provider is not in the catalogue.'),
  UnsupportedProtocol: N_('That protocol is not supported.'),
  SecretsUnavailable: N_('The keyring is locked or not running, so passwords cannot be stored or read.'),
  AccessDenied: N_('Not allowed.'),
  VerificationFailed: N_('The check failed; nothing was saved.'),
  Io: N_('The account file could not be written.'),
  NotConfigured: N_('Sign-in with this provider is not set up on this computer.'),
  NotAuthorized: N_('The provider no longer accepts the sign-in: sign in again.'),
  Unreachable: N_('The provider could not be reached.'),
  ProviderError: N_('The provider answered with an error.'),
  Cancelled: N_('The sign-in was cancelled.'),
  Expired: N_('The sign-in took too long and expired.'),
  LimitExceeded: N_('Too many checks are running at once: wait a moment and try again.'),
  WrongPassphrase: N_('The passphrase is not the one the file was encrypted with.'),
  ServiceUnreachable: N_('The accounts service is not running.'),
  Timeout: N_('The accounts service did not answer in time.'),
};

/** Kinds whose message says what to correct in the form ("eth.url must be http(s)…"): shown, not folded away. */
const SAY_WHY = new Set<ErrorKind>(['InvalidArgument']);

/** An error for the page: its kind, a sentence, and the service's own message as details. */
export function wordError(err: unknown): { kind: string; summary: string; details: string } {
  const t = words();
  if (isAccountsClientError(err) && SAY_WHY.has(err.kind))
    return {
      kind: err.kind,
      summary: t.gettext('A value is not valid: {message}', { message: err.message }),
      details: '',
    };
  const said = isAccountsClientError(err) ? KIND_WORDS[err.kind] : undefined;
  if (isAccountsClientError(err))
    return {
      kind: err.kind,
      summary: said ? t.gettext(said) : t.gettext('Something went wrong.'),
      details: err.message,
    };
  return {
    kind: 'Failed',
    summary: t.gettext('Something went wrong.'),
    details: err instanceof Error ? err.message : String(err),
  };
}
