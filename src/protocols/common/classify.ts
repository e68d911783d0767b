// Shared error classification and user-facing messages of the protocol verifiers.
//
// The client libraries report the same failure in different places (see each verifier): a Node
// code on the error itself (imapflow, ssh2), in `originalCode` (nodemailer), in `cause.code`
// (fetch), or inside an AggregateError (happy eyeballs). `errorFacts()` collects all of them;
// `classifyError()` maps them to a VerifyCode: TLS codes before network codes, and among TLS
// failures expired before hostname mismatch before untrusted.
import { _ } from '../../i18n/index.js';
import { formatSeconds } from '../../i18n/intl.js';
import type { VerifyCode, VerifyResult, VerifySettings } from './types.js';

/** The protocol's title as people read it (IMAP, CalDAV, FTP, ...). */
export type ProtocolName = string;

/** A failure a verifier determined itself (auth rejected, folder missing, host key changed, …). */
export class VerifyFailure extends Error {
  constructor(
    readonly code: Exclude<VerifyCode, 'Ok'>,
    readonly detail?: string,
  ) {
    super(detail ?? code);
    this.name = 'VerifyFailure';
  }
}

export interface ErrorFacts {
  /** every `code`, `originalCode`, `errno`-style string, `serverResponseCode`, `level` and error name found */
  codes: Set<string>;
  /** messages, outermost first */
  messages: string[];
}

/** Walks an error and what it wraps (`cause`, `errors`, `_err`, `error`) and collects codes and messages. */
export function errorFacts(err: unknown): ErrorFacts {
  const codes = new Set<string>();
  const messages: string[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (e === null || e === undefined || depth > 6 || seen.has(e)) return;
    if (typeof e === 'string') {
      messages.push(e);
      return;
    }
    if (typeof e !== 'object') return;
    seen.add(e);
    const o = e as Record<string, unknown>;
    for (const key of ['code', 'originalCode', 'serverResponseCode', 'level', 'name']) {
      const v = o[key];
      if (typeof v === 'string' && v) codes.add(v);
    }
    if (typeof o.message === 'string' && o.message) messages.push(o.message);
    for (const key of ['cause', '_err', 'error', 'reason']) {
      if (o[key] && typeof o[key] === 'object') visit(o[key], depth + 1);
    }
    if (Array.isArray(o.errors)) for (const x of o.errors) visit(x, depth + 1);
  };
  visit(err, 0);
  return { codes, messages };
}

const TLS_EXPIRED = ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_EXPIRED'];
const TLS_MISMATCH = ['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH', 'IP_ADDRESS_MISMATCH'];
const TLS_UNTRUSTED = [
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'ERR_TLS_CERT_SIGNATURE_ALGORITHM_UNSUPPORTED',
];
const TLS_EXPIRED_TEXT = /certificate has expired|certificate is not yet valid/i;
const TLS_MISMATCH_TEXT = /does not match certificate's altnames|hostname mismatch|altname/i;
const TLS_UNTRUSTED_TEXT =
  /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|certificate (signature failure|chain too long|not trusted|revoked)/i;

const HOST_NOT_FOUND = ['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA', 'EAI_AGAIN', 'EAI_FAIL', 'ENODATA'];
const REFUSED = ['ECONNREFUSED'];
const TIMEOUT = [
  'ETIMEDOUT',
  'ETIMEOUT',
  'ESOCKETTIMEDOUT',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'SOCKET_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'TimeoutError',
  'client-timeout',
];
const CONNECTION_FAILED = [
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ECONNABORTED',
  'EPROTO',
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'ECONNECTION',
  'ESOCKET',
  'ETLS',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'client-socket',
];

const hasAny = (codes: Set<string>, list: string[]) => list.some((c) => codes.has(c));

/**
 * The protocol-independent part of classification: TLS, name resolution, connection, timeout.
 * Returns undefined when the error says none of those (the verifier then decides, or Unknown).
 */
export function classifyError(err: unknown): VerifyCode | undefined {
  if (err instanceof VerifyFailure) return err.code;
  const { codes, messages } = errorFacts(err);
  const text = messages.join(' | ');
  // TLS first: a certificate problem often also closes the socket, which is not the news
  if (hasAny(codes, TLS_EXPIRED) || TLS_EXPIRED_TEXT.test(text)) return 'TlsExpired';
  if (hasAny(codes, TLS_MISMATCH) || TLS_MISMATCH_TEXT.test(text)) return 'TlsHostnameMismatch';
  if (hasAny(codes, TLS_UNTRUSTED) || TLS_UNTRUSTED_TEXT.test(text)) return 'TlsUntrusted';
  if ([...codes].some((c) => c.startsWith('ERR_SSL_') || c.startsWith('ERR_TLS_'))) return 'ConnectionFailed';
  if (hasAny(codes, HOST_NOT_FOUND) || /getaddrinfo ENOTFOUND/.test(text)) return 'HostNotFound';
  if (hasAny(codes, REFUSED)) return 'ConnectionRefused';
  if (hasAny(codes, TIMEOUT) || /timed? ?out/i.test(text)) return 'Timeout';
  if (hasAny(codes, CONNECTION_FAILED) || [...codes].some((c) => c.startsWith('ERR_SOCKET'))) return 'ConnectionFailed';
  return undefined;
}

/** The most telling code of an error for a message ("CERT_HAS_EXPIRED", "ECONNRESET", …). */
export function primaryCode(err: unknown): string | undefined {
  const { codes } = errorFacts(err);
  const all = [
    ...TLS_EXPIRED,
    ...TLS_MISMATCH,
    ...TLS_UNTRUSTED,
    ...HOST_NOT_FOUND,
    ...REFUSED,
    ...TIMEOUT,
    ...CONNECTION_FAILED,
  ];
  return all.find((c) => codes.has(c)) ?? [...codes].find((c) => /^E[A-Z]|^ERR_/.test(c));
}

/** "host:port", with brackets around an IPv6 literal. */
export function endpoint(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The user-facing sentence for a result, in the service's language; `detail` (already scrubbed) is appended where it helps. */
export function describe(
  protocol: ProtocolName,
  settings: Pick<VerifySettings, 'host' | 'port'>,
  code: VerifyCode,
  detail?: string,
  extra?: { timeoutMs?: number; keyAuth?: boolean },
): string {
  // {protocol}: IMAP, SMTP, CalDAV, ...; {server}: host:port
  const v = { protocol, server: endpoint(settings.host, settings.port), host: settings.host, port: settings.port };
  const more = detail ? `: ${detail}` : '';
  return sentence(code, v, extra) + more;
}

function sentence(
  code: VerifyCode,
  v: { protocol: string; server: string; host: string; port: number },
  extra?: { timeoutMs?: number; keyAuth?: boolean },
): string {
  switch (code) {
    case 'Ok':
      return extra?.keyAuth
        ? _('{protocol} server {server} accepted the user name and key', v)
        : _('{protocol} server {server} accepted the user name and password', v);
    case 'Unauthorized':
      return extra?.keyAuth
        ? _('{protocol} server {server} rejected the user name or key', v)
        : _('{protocol} server {server} rejected the user name or password', v);
    case 'Timeout':
      return extra?.timeoutMs
        ? _('{protocol} server {server} did not answer within {time}', {
            ...v,
            time: formatSeconds(extra.timeoutMs / 1000),
          })
        : _('{protocol} server {server} did not answer in time', v);
    case 'HostNotFound':
      return _('Cannot find {protocol} server {server}: the host name {host} does not resolve', v);
    case 'ConnectionRefused':
      return _('{protocol} server {server} refused the connection (nothing listens on port {port})', v);
    case 'ConnectionFailed':
      return _('Cannot connect to {protocol} server {server}', v);
    case 'TlsUntrusted':
      return _('The certificate of {protocol} server {server} is not trusted', v);
    case 'TlsExpired':
      return _('The certificate of {protocol} server {server} has expired or is not yet valid', v);
    case 'TlsHostnameMismatch':
      return _('The certificate of {protocol} server {server} is not valid for the name {host}', v);
    case 'HostKeyChanged':
      return _('The host key of {protocol} server {server} has changed', v);
    case 'ServerError':
      return _('{protocol} server {server} reported an error', v);
    case 'Unavailable':
      return _('{protocol} server {server} is temporarily unavailable', v);
    case 'Unknown':
    default:
      return _('Verification of {protocol} server {server} failed', v);
  }
}

/**
 * Removes the secret from text a library or server produced, in the forms it could appear in:
 * as is, URL- or JSON-escaped, base64 (also as a SASL PLAIN blob), and for a PEM key every line.
 */
export function scrubSecret(text: string, secret: string, username = ''): string {
  if (!secret) return text;
  const forms = new Set<string>([secret]);
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  forms.add(b64(secret));
  forms.add(b64(secret).replace(/=+$/, ''));
  forms.add(b64(`\0${username}\0${secret}`));
  forms.add(b64(`${username}\0${username}\0${secret}`));
  forms.add(encodeURIComponent(secret));
  forms.add(JSON.stringify(secret).slice(1, -1));
  if (secret.includes('\n')) {
    for (const line of secret.split(/\r?\n/))
      if (line.trim().length >= 12 && !line.startsWith('-----')) forms.add(line.trim());
  }
  let out = text;
  for (const form of [...forms].filter(Boolean).sort((a, b) => b.length - a.length)) {
    out = out.split(form).join('***');
  }
  return out;
}

/** Short, single-line, scrubbed detail text from a library error or server reply. */
export function detailText(text: string | undefined, secret: string, username?: string, max = 240): string | undefined {
  if (!text) return undefined;
  let t = scrubSecret(text, secret, username).replace(/\s+/g, ' ').trim();
  if (t.length > max) t = t.slice(0, max - 1) + '…';
  return t || undefined;
}

export function result(
  protocol: ProtocolName,
  settings: Pick<VerifySettings, 'host' | 'port'>,
  code: VerifyCode,
  secret: string,
  detail?: string,
  extra?: { timeoutMs?: number; keyAuth?: boolean; hostKey?: string; username?: string; home?: string },
): VerifyResult {
  const message = scrubSecret(
    describe(protocol, settings, code, detailText(detail, secret, extra?.username), extra),
    secret,
    extra?.username,
  );
  const r: VerifyResult = { ok: code === 'Ok', code, message };
  if (extra?.hostKey) r.hostKey = extra.hostKey;
  if (extra?.home && code === 'Ok') r.home = extra.home;
  return r;
}
