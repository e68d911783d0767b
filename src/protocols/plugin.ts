/**
 * The one shape of every protocol, built in or third-party (docs/plugins.md). The core
 * (accounts, store, bus, checker, catalogue) takes everything protocol-specific from here:
 * the settings and how they resolve, the D-Bus interface, the secrets, the verifier, and what
 * a successful check teaches (SFTP's host key). Built-ins live in `src/protocols/<id>/plugin.ts`.
 */
import { settingProperty } from '../contract/setting-names.js';
import type { Verifier, VerifyResult } from './common/types.js';

/**
 * How a setting is validated and shown. On the bus `port` is `q`, `count` (a small number) `u`,
 * `list` is `as` (stored as one
 * string joined by its separator), every other kind `s`; `certs` is base64 DER certificates
 * separated by spaces.
 */
export type SettingKind =
  | 'host'
  | 'port'
  | 'security'
  | 'username'
  | 'text'
  | 'path'
  | 'url'
  | 'file'
  | 'hostkey'
  | 'enum'
  | 'list'
  | 'certs'
  | 'count';

export interface SettingSpec {
  /**
   * Lower-case key (words joined by `_`): option `<protocol>.<key>`, INI key in section
   * `[<protocol>]`. Its other names follow from it (src/contract/setting-names.ts).
   */
  readonly key: string;
  /** The read-only property on the protocol's interface: `settingProperty(key)` (`gap_limit` → `GapLimit`); the registry checks it. */
  readonly property: string;
  readonly kind: SettingKind;
  /** `enum`: the accepted values. */
  readonly values?: readonly string[];
  /** `list`: what separates entries in the stored string (default ','). */
  readonly separator?: string;
  /** For people: shown by ListProtocols, the CLI and the window, and the property's DocString. */
  readonly doc: string;
}

/** Unvalidated settings as they come from options, provider files or account files. */
export type RawSettings = Record<string, unknown>;

/** Resolved settings: every key of the protocol's spec, strings and port numbers. */
export type Settings = Record<string, string | number>;

/** Names a key in error messages: `option imap.port`, `[imap] port`. */
export type Label = (key: string) => string;

export interface ProtocolPlugin {
  /** Lower-case id: `imap`, `ftp`, `matrix`. Option prefix, INI section, Protocols entry. */
  readonly id: string;
  /** As people write it: `IMAP`, `CalDAV`. */
  readonly title: string;
  /**
   * The D-Bus interface exported on an account that enables it: generated from `settings` and
   * `computed` (src/bus/protocol-interface.ts), never written by hand.
   */
  readonly iface: string;
  /** The interface's documentation for D-Bus readers; default: the settings of an account, read-only. */
  readonly doc?: string;
  readonly settings: readonly SettingSpec[];
  /**
   * Secret names the verifier reads besides the login secret (an OpenVPN key, a passphrase).
   * The login secret is the one named after the protocol, else `password`.
   */
  readonly secrets: readonly string[];
  /**
   * True when the protocol can sign in with an OAuth2 access token instead of a password (SASL
   * XOAUTH2/OAUTHBEARER, HTTP Bearer): its verifier then gets the token as the secret and
   * `options.auth` 'oauth2'.
   */
  readonly tokens?: boolean;
  /**
   * True when the verifier can reach its server through a proxy (VerifyOptions.proxy): an
   * account of such protocols only may have a proxy account as its parent (Account.Parent).
   */
  readonly viaProxy?: boolean;
  /**
   * Checks a secret this protocol reads (its login secret or one of `secrets`) on every path
   * it can arrive by — AddAccount, ValidateCredentials, SetSecret — and returns it, perhaps
   * normalised. Throws InvalidArgument without quoting the value.
   */
  checkSecret?(name: string, value: string): string;
  /** True when the protocol cannot check without the login secret (false: a certificate-only VPN). */
  readonly needsLoginSecret: boolean;
  /**
   * Merges layers of raw settings, lowest first (provider defaults, then the account's own),
   * validates them and fills in what derives (default ports, URLs). Throws InvalidArgument
   * naming the key with `label`.
   */
  resolve(layers: readonly RawSettings[], label: Label): Settings;
  /** What an account file keeps of resolved settings (derived values are left out). */
  stored(settings: Settings): RawSettings;
  /**
   * The verifier. `thread`: loaded and run on the verifier thread (built-ins with heavy client
   * libraries); otherwise run on the service's thread (a helper process, an in-process test).
   */
  readonly verifier: { readonly thread: true } | { readonly thread: false; readonly verify: Verifier };
  /** Loads the verifier module on the verifier thread (thread verifiers only). */
  loadVerifier?(): Promise<Verifier>;
  /** Properties computed from the settings (OpenVPN's Profile), besides one per setting; all `s`, read-only. */
  readonly computed?: readonly { readonly property: string; readonly doc: string; get(settings: Settings): string }[];
  /**
   * Options that are not settings but turn into settings and secrets at add (`openvpn.profile`:
   * a profile imported). Each gets the option's string, the other options of the call, and
   * whether the caller may have the service read files (false for sandboxed apps).
   */
  readonly imports?: Readonly<
    Record<
      string,
      (
        value: string,
        companions: Readonly<Record<string, string>>,
        files: boolean,
      ) => { settings: RawSettings; secrets: Record<string, string> }
    >
  >;
  /** The server an account of this protocol talks to, for duplicate keys (default: `host`). */
  endpoint?(settings: Settings): string;
  /** What a successful check teaches, as new settings to store (SFTP pins the host key); undefined: nothing. */
  learn?(result: VerifyResult, settings: Settings): Settings | undefined;
  /**
   * The account identifier of a manual account of this protocol, checked and normalised (a
   * wallet's address, checksummed). Throws InvalidArgument; the message never quotes the value,
   * which may be a private key pasted by mistake. Called again with the account's resolved
   * settings when they are known: an identifier may belong to one network only (Bitcoin).
   */
  identifier?(value: string, settings?: Settings): string;
  /**
   * A protocol that keeps working while the account exists (a wallet watching its address):
   * started when the account appears, restarted when its settings or named secrets change,
   * stopped when it goes.
   * It exports one more interface (`iface`, its XML in interfaces/) on the account. `start`
   * makes the session and then wires it (joins a backend shared with other accounts, first sync,
   * timers): a session's constructor changes nothing but itself.
   */
  readonly live?: { readonly iface: string; start(ctx: LiveContext): LiveSession };
}

/** What a live protocol may do with its account. */
export interface LiveContext {
  readonly account: string;
  readonly username: string;
  readonly settings: Settings;
  /** The protocol's named secrets the account has (a backend's API key), read when it started. */
  readonly secrets: Readonly<Record<string, string>>;
  /** A directory for the protocol's runtime state (not the account file): seen transactions. */
  readonly stateFile: string;
  /** Properties of the live interface changed (PropertiesChanged). */
  changed(properties: string[]): void;
  /** Emits a signal of the live interface. */
  emit(signal: string, args: unknown[]): void;
  /** What the protocol saw of its backend: the account's status. */
  status(status: 'online' | 'offline' | 'error', message: string): void;
  /** A desktop notification (org.freedesktop.Notifications). */
  notify(summary: string, body: string): void;
}

/** A running live protocol: its interface's properties and methods. */
export interface LiveSession {
  property(name: string): unknown;
  call(method: string, args: unknown[]): Promise<unknown>;
  stop(): void;
}

/** The D-Bus signature of a setting's property. */
export const signatureOf = (kind: SettingKind): string =>
  kind === 'port' ? 'q' : kind === 'count' ? 'u' : kind === 'list' ? 'as' : 's';

/** `host` → `Host`, `client_id` → `ClientId`: the D-Bus property of a setting key (the one rule, src/contract/setting-names.ts). */
export const propertyName = settingProperty;

/** The secret a protocol logs in with: the one named after it, else `password`; undefined if neither is stored. */
export function loginSecret(plugin: Pick<ProtocolPlugin, 'id'>, names: readonly string[]): string | undefined {
  return names.includes(plugin.id) ? plugin.id : names.includes('password') ? 'password' : undefined;
}
