// The one shape every protocol verifier has: settings + secret in, { ok, code, message } out.

import type { Security } from '../../contract/names.js';

export type { Security };

export type VerifyCode =
  | 'Ok'
  | 'Unauthorized'
  | 'Timeout'
  | 'HostNotFound'
  | 'ConnectionRefused'
  | 'ConnectionFailed'
  | 'TlsUntrusted'
  | 'TlsExpired'
  | 'TlsHostnameMismatch'
  | 'HostKeyChanged'
  | 'ServerError'
  | 'Unavailable'
  | 'Unknown';

export interface VerifySettings {
  host: string;
  port: number;
  security: Security;
  username: string;
  path?: string;
  url?: string;
  /** path of a PEM file of extra trusted CA or pinned self-signed cert */
  ca?: string;
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
}

export type Verifier = (settings: VerifySettings, secret: string, options: VerifyOptions) => Promise<VerifyResult>;
