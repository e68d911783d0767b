// The one shape every protocol verifier has: settings + secret in, { ok, code, message } out.

import type { Security } from '../../contract/names.js';

export type { Security };

/** Every way a check can fail (Account.MuteError takes these too). */
export const FAILURE_CODES = [
  'Unauthorized',
  'Timeout',
  'HostNotFound',
  'ConnectionRefused',
  'ConnectionFailed',
  'TlsUntrusted',
  'TlsExpired',
  'TlsHostnameMismatch',
  'HostKeyChanged',
  'ServerError',
  'Unavailable',
  'Unknown',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

const FAILURE_CODE_SET: ReadonlySet<string> = new Set(FAILURE_CODES);

/** Whether text (from a helper, a file or a caller) names one of FAILURE_CODES. */
export function isFailureCode(text: string): text is FailureCode {
  return FAILURE_CODE_SET.has(text);
}
export type VerifyCode = 'Ok' | FailureCode;

export interface VerifySettings {
  host: string;
  port: number;
  security: Security;
  username: string;
  path?: string;
  url?: string;
  /** path of a PEM file of extra trusted CA or pinned self-signed cert */
  ca?: string;
  /** The account's pinned certificates, `host:port=sha256:<hex>` pairs separated by spaces (pins.ts) */
  certificates?: string;
  /** SFTP: pinned host key, 'SHA256:<base64>' as OpenSSH prints */
  hostkey?: string;
  /** Any other setting of the protocol, by its option key. */
  [key: string]: string | number | undefined;
}

export interface VerifyResult {
  ok: boolean;
  code: VerifyCode;
  message: string;
  /** SFTP: the key the server presented, so the caller can pin it */
  hostKey?: string;
  /** CalDAV, CardDAV: the calendar or address book home set the check found (an absolute URL), after the principal */
  home?: string;
  /** TlsUntrusted, TlsHostnameMismatch: the certificate the server presented (`sha256:<hex>`), so the person can pin it */
  fingerprint?: string;
  /** …and the server that presented it (`host:port`), the key to pin it under */
  server?: string;
}

export interface VerifyOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Named secrets of the account the protocol asked for besides its login secret (ProtocolPlugin.secrets). */
  secrets?: Readonly<Record<string, string>>;
  /** 'oauth2': the secret is an OAuth2 access token (only for protocols with `tokens`). */
  auth?: 'password' | 'oauth2';
  /** The account's id ('' before it exists: ValidateCredentials, AddAccount with verify). */
  account?: string;
  /** Connect through this proxy (the account's parent; protocols with `viaProxy` only). */
  proxy?: ProxyRoute;
}

/** A proxy account as a check's route to its server: its settings and its password. */
export interface ProxyRoute {
  /** The proxy account's display name, for messages. */
  name: string;
  type: 'http' | 'https' | 'socks5';
  host: string;
  port: number;
  username: string;
  password: string;
  /** https proxies: PEM file of extra trusted certificates. */
  ca?: string;
}

export type Verifier = (settings: VerifySettings, secret: string, options: VerifyOptions) => Promise<VerifyResult>;
