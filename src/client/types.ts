/** The typed view of org.pantherx.Accounts that the client library hands out. */

/** A protocol id: built-in (imap, smtp, pop3, caldav, carddav, sftp, ftp, proxy, openvpn) or a third-party plugin's; listProtocols() tells which. */
export type Protocol = string;

export { STATUSES } from '../contract/names.js';
export type { StatusValue as AccountStatus } from '../contract/names.js';
import type { StatusValue as AccountStatus } from '../contract/names.js';

export { SECURITIES, type Security } from '../contract/names.js';
import type { Security } from '../contract/names.js';

/** The non-secret settings of one enabled protocol (its org.pantherx.Accounts.<Protocol> interface). */
export interface ProtocolSettings {
  host: string;
  port: number;
  /** Absent for SFTP, which always runs over SSH. */
  security?: Security;
  /** The login for this protocol (the account's username unless overridden). */
  username: string;
  /** IMAP folder, SFTP directory or DAV URL path, where the protocol has one. */
  path?: string;
  /** DAV discovery URL. */
  url?: string;
  /** SFTP: the pinned host key (SHA256:...), '' until the first successful check. */
  hostKey?: string;
  /**
   * Every other setting of the protocol, by its field: the key in camelCase (`gap_limit` →
   * `gapLimit`, as `ProtocolSetting.field` says); lists as string arrays.
   */
  [setting: string]: string | number | string[] | undefined;
}

export interface Account {
  /** Stable identifier; the last element of `path`. */
  id: string;
  /** D-Bus object path. */
  path: string;
  name: string;
  /** Catalogue id (fastmail, google, ...) or the bare protocol of a manual account. */
  provider: string;
  providerName: string;
  /** The provider's icon (Account.ProviderIcon): an icon name or an absolute path; '' for none. */
  providerIcon: string;
  username: string;
  /** Enabled protocols, in the service's order. */
  protocols: Protocol[];
  status: AccountStatus;
  statusMessage: string;
  /** When status or message last changed, µs since the Unix epoch; 0n if never since the service started. */
  statusTime: bigint;
  /** True when a server rejected the credentials. */
  attentionNeeded: boolean;
  /** Names of the stored secrets (never their values). */
  credentials: string[];
  /** Provisioned by the administrator (docs/policy.md): not to be changed, renamed or removed; its secrets are the person's. */
  locked: boolean;
  /** The rules of the administrator's policy the account breaks ('' for none): shown, never deleted. */
  policyViolation: string;
  /** password: protocols log in with secrets; oauth2: apps ask getAccessToken for a token. */
  auth: 'password' | 'oauth2';
  /** A watch-only wallet's balance (accounts of eth, ...); undefined for other accounts. */
  wallet?: Wallet;
  /** Settings per enabled protocol. */
  settings: Partial<Record<Protocol, ProtocolSettings>>;
  /** A mail account's sender identity (org.pantherx.Accounts.Identity, docs/identity.md); undefined for other accounts. */
  identity?: SenderIdentity;
  /** Certificates the person accepted (Account.PinnedCertificates): `host:port` → `sha256:<hex>`. */
  pinnedCertificates: Record<string, string>;
  /** The id of the proxy or OpenVPN account this one is reached through (Account.Parent); '' for none. */
  parent: string;
  /** Kinds of failure the person muted (Account.MutedErrors): check codes such as Unauthorized. */
  mutedErrors: string[];
  /** Apps' notes (Account.Data): `<app>:<key>` → value. */
  data: Record<string, string>;
}

export interface SenderIdentity {
  fullName: string;
  /** The sender address (the user name when none was set and it is an address). */
  emailAddress: string;
  aliases: string[];
}

/** Names `changed` events use: Account fields, and `settings.<protocol>[.<field>]`. */
export type AccountField = Exclude<keyof Account, 'settings' | 'id' | 'path'> | `settings.${string}`;

/** Settings given to add or update; unset fields keep the provider defaults (or current values). */
export interface SettingsInput {
  host?: string;
  port?: number;
  security?: Security;
  username?: string;
  path?: string;
  url?: string;
  /** Path of a PEM file with extra trusted certificates. */
  ca?: string;
  /** SFTP: the expected host key; '' forgets the pinned one. */
  hostKey?: string;
  /**
   * Any other setting of the protocol (ListProtocols), and imports such as OpenVPN's profile;
   * lists as string arrays. Named by field as an Account shows it (`gapLimit`, `hostKey`) or by
   * key as ListProtocols does (`gap_limit`): both are the option `<protocol>.gap_limit`.
   */
  [setting: string]: string | number | string[] | undefined;
}

export interface AddAccountInput {
  /** Catalogue id, or a bare protocol (imap, sftp, ...) for manual set-up. */
  provider: string;
  /** The identifier: e-mail address or login. */
  account: string;
  /** Shorthand for `secrets.password`. */
  password?: string;
  /** Named secrets: `password` for every protocol, a protocol name to override it for that protocol. */
  secrets?: Record<string, string>;
  /** Display name; default the identifier. */
  name?: string;
  /** Enabled protocols; default every protocol of the provider. */
  protocols?: Protocol[];
  settings?: Partial<Record<Protocol, SettingsInput>>;
  /** Check against the servers first; nothing is saved when that fails. */
  verify?: boolean;
  /**
   * With an empty provider (settings discovered from the address): save settings that are not
   * trusted (found through MX, plain HTTP or another domain) too. Ask the person first.
   */
  trust?: boolean;
  /**
   * Certificates the person accepted for this account, `host:port` → `sha256:<hex>`: each
   * server presenting exactly that certificate is trusted (see certificatesOfError). Not for
   * sandboxed apps.
   */
  certificates?: Record<string, string>;
  /** The id of a proxy account (checks go through it) or an OpenVPN account (checks wait for it). */
  parent?: string;
}

/** Where discovered settings came from (Manager.Discover's `source`). */
export type DiscoverySource = 'catalogue' | 'database' | 'autoconfig' | 'srv' | 'ispdb' | 'mx' | 'guess';

/** What Manager.Discover found for an address: what AddAccount with an empty provider would use. */
export interface Discovered {
  /** A catalogue id, or '' (servers only). */
  provider: string;
  protocols: Protocol[];
  /** Per protocol: host, port, security, username; url and username for CalDAV/CardDAV. */
  settings: Partial<Record<Protocol, SettingsInput>>;
  /** How the provider signs in: a password, or OAuth2 (then use signIn with `provider`). */
  auth: 'password' | 'oauth2';
  source: DiscoverySource;
  /** The domain whose configuration this is; another than the address's when found through MX. */
  domain: string;
  /** False when found through MX, plain HTTP or pointing to another domain: show `domain` and ask. */
  trusted: boolean;
}

export interface DiscoverOptions {
  /** Only these protocols. */
  protocols?: Protocol[];
  /** Connect to servers to probe host names and STARTTLS (default true); false asks only files and DNS. */
  probe?: boolean;
}

export interface AccountChanges {
  name?: string;
  /** The complete new list of enabled protocols. */
  protocols?: Protocol[];
  settings?: Partial<Record<Protocol, SettingsInput>>;
  /** The account's accepted certificates as a whole (`host:port` → `sha256:<hex>`; {} forgets them). */
  certificates?: Record<string, string>;
  /** The id of the proxy or OpenVPN account it is reached through; '' for none. */
  parent?: string;
}

/** Result of checking one protocol against its server. */
export interface VerifyResult {
  ok: boolean;
  /** Ok on success; else Unauthorized, Timeout, HostNotFound, ConnectionRefused, ... */
  code: string;
  message: string;
  /** TlsUntrusted, TlsHostnameMismatch: the certificate the server presented, `sha256:<hex>`, to accept with `certificates`. */
  fingerprint?: string;
  /** …under this key: the server, `host:port`. */
  server?: string;
}

export type VerifyResults = Partial<Record<Protocol, VerifyResult>>;

export interface ProviderServer {
  host?: string;
  port?: number;
  security?: string;
  url?: string;
  [key: string]: string | number | undefined;
}

export interface Provider {
  id: string;
  name: string;
  /** Appended to a bare login ('' for none): johndoe on google becomes johndoe@gmail.com. */
  domain: string;
  /** Protocols enabled when an account does not choose. */
  protocols: Protocol[];
  /** Every protocol the provider has servers for. */
  supported: Protocol[];
  servers: Partial<Record<Protocol, ProviderServer>>;
  /** What a person should know before adding ('' for nothing): a service that ended, say. */
  notice: string;
  /** How its accounts sign in: password (addAccount), oauth2 (signIn), both, or nextcloud (signIn with `server`: Login Flow v2). */
  auth: 'password' | 'oauth2' | 'both' | 'nextcloud';
  /** OAuth2: a client id is configured, so signIn can start. */
  oauth2Configured: boolean;
  /** An icon name of the freedesktop theme or an absolute path to an .svg/.png; '' for none. */
  icon: string;
  /** Why the administrator's policy refuses new accounts of it ('' when it does not; docs/policy.md). */
  denied: string;
}

/** Options of signIn (Manager.SignIn). */
export interface SignInInput {
  /** Login hint, the e-mail address; required by providers that cannot say who signed in. */
  account?: string;
  /** browser (default): open `url`; device: show `userCode` at `verificationUrl`. */
  flow?: 'browser' | 'device';
  protocols?: Protocol[];
  name?: string;
  /** Microsoft 365: a tenant id or domain (default common). */
  tenant?: string;
  /** Check every protocol with the new token before saving. */
  verify?: boolean;
  /** Nextcloud (auth nextcloud): the server's address, https://cloud.example.org (docs/nextcloud.md). */
  server?: string;
}

/** A sign-in waiting for the user, as onStarted sees it. */
export interface SignInRequest {
  /** The request object (org.pantherx.Accounts.SignIn). */
  path: string;
  flow: 'browser' | 'device';
  /** Browser flow: the URL to open. Device flow: the verification URL with the code, if the provider has one. */
  url: string;
  userCode: string;
  verificationUrl: string;
}

export interface SignInHandlers {
  /** Called once the sign-in waits for the user: open `url`, or show the code. */
  onStarted?(request: SignInRequest): void;
  /** Aborting cancels the sign-in; the call then rejects with kind Cancelled. */
  signal?: AbortSignal;
}

/** An OAuth2 access token and the seconds it stays valid. */
export interface AccessToken {
  token: string;
  expiresIn: number;
}

/** One setting of a protocol, as ListProtocols describes it. */
export interface ProtocolSetting {
  /** Option and INI key: `<protocol>.<key>` (`gap_limit`); what `px-accounts --set` takes. */
  key: string;
  /** Property on the protocol's interface (`GapLimit`). */
  property: string;
  /** Its name in `Account.settings[protocol]` and `SettingsInput` (`gapLimit`). */
  field: string;
  /** D-Bus signature: q for ports, as for lists, s otherwise. */
  type: string;
  /** host, port, security, username, text, path, url, file, hostkey, enum, list or certs. */
  kind: string;
  /** enum: the accepted values. */
  values: string[];
  doc: string;
}

export interface ProtocolInfo {
  id: Protocol;
  name: string;
  /** The D-Bus interface an account enabling the protocol exports. */
  interface: string;
  /** False for a third-party plugin. */
  builtin: boolean;
  /** Named secrets it reads besides the login secret (the secret named after the protocol, else password). */
  secrets: string[];
  /** Options that import something at add (openvpn: profile), given as `<protocol>.<name>`. */
  imports: string[];
  /** The interface a live protocol adds (org.pantherx.Accounts.Wallet); '' for none. */
  liveInterface: string;
  settings: ProtocolSetting[];
}

/** A watch-only wallet as org.pantherx.Accounts.Wallet shows it. Amounts are exact decimals. */
export interface Wallet {
  currency: string;
  network: string;
  address: string;
  balance: string;
  pendingBalance: string;
  /** Balances of other assets by asset (Ethereum: a token's contract, lower case), exact decimals. */
  assetBalances: Record<string, string>;
  /** µs since the epoch of the service's last successful look at the backend (every poll, push or refresh); 0n never. */
  lastUpdated: bigint;
}

/** One transfer of a wallet (GetTransactions). */
export interface WalletTransaction {
  txid: string;
  direction: 'in' | 'out';
  amount: string;
  /** '' for the chain's own coin, else a token's contract. */
  asset: string;
  counterparty: string;
  /** Seconds since the epoch. */
  time: number;
  confirmations: number;
}

/** Money that arrived (the Wallet's TransferReceived). */
export interface Transfer {
  txid: string;
  amount: string;
  counterparty: string;
}

/** Where an app stands with an account: allowed, refused by the user, or asked and not answered yet. */
export type AccessState = 'always' | 'deny' | 'pending';

/** allow: apps that are not sandboxed use every account; ask: they need grants like sandboxed apps. */
export type HostAppsMode = 'allow' | 'ask';

export interface AccessEntry {
  account: string;
  /** A Flatpak id, snap.<name>, a desktop id or an executable path. */
  app: string;
  decision: AccessState;
  /** µs since the epoch of the last secret handed out under the grant; 0n never. */
  lastUsed: bigint;
}

/** Per-call options. */
export interface CallOptions {
  /** Milliseconds to wait for the answer; default the client's `timeoutMs`. */
  timeoutMs?: number;
}
