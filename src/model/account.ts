/** The account model and the naming rules: ids, user-name normalisation, duplicate keys. */
import { createHash } from 'node:crypto';
import type { Provider } from '../providers/catalogue.js';
import type { Settings } from '../protocols/plugin.js';
import { findProtocol } from '../protocols/registry.js';
import { invalidArgument } from '../errors.js';
import { checkText } from '../util/validate.js';
import type { AuthMethod } from '../contract/names.js';
import type { Identity } from './identity.js';

export interface AccountConfig {
  id: string;
  name: string;
  provider: string;
  username: string;
  /** Enabled protocol ids, in the account's order. */
  protocols: string[];
  /** Resolved settings of each enabled protocol. */
  settings: Record<string, Settings>;
  /** Names of the secrets stored in the Secret Service; never values. */
  credentials: string[];
  /** password: protocols log in with secrets; oauth2: with access tokens from the `oauth2` secret. */
  auth: AuthMethod;
  /** Settings found by discovery (AddAccount with no provider): from which source, whose domain. */
  discovered?: { source: string; domain: string };
  /** The sender identity of a mail account ([identity]; docs/identity.md): only what was set. */
  identity?: Identity;
  /** Certificates the person accepted, `host:port` → `sha256:<hex>` ([certificates]; protocols/common/pins.ts). */
  certificates?: Record<string, string>;
  /** Kinds of failure the person muted (Account.MuteError; [account] muted); absent when none. */
  muted?: string[];
  /** Apps' notes, `<app>:<key>` → value (Account.SetData; [data]); absent when none. */
  data?: Record<string, string>;
  /** The id of the proxy or OpenVPN account this one is reached through ([account] parent). */
  parent?: string;
}

/** Ids must be valid object-path elements and short enough for `<id>.ini` file names. */
export const ACCOUNT_ID = /^[A-Za-z0-9_]{1,200}$/;
const MAX_ID = 200;

/**
 * The seed rule: provider + identifier, lower-cased, '@' → '_at_', anything else outside
 * [a-z0-9] → '_'. Over-long ids keep a prefix plus a hash so they stay unique.
 */
export function baseId(provider: string, username: string): string {
  const id = `${provider}_${username}`
    .toLowerCase()
    .replaceAll('@', '_at_')
    .replace(/[^a-z0-9]/g, '_');
  if (id.length <= MAX_ID) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 12);
  return `${id.slice(0, MAX_ID - 13)}_${hash}`;
}

/** The first free id: base, then base_2, base_3, … */
export function freeId(base: string, taken: (id: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}_${n}`;
    if (!taken(candidate)) return candidate;
  }
}

export const MAX_IDENTIFIER = 320;

/** Completes a bare login with the provider's domain and lower-cases the domain part. */
export function normaliseUsername(provider: Provider, identifier: string): string {
  checkText(identifier, 'account', MAX_IDENTIFIER);
  // A protocol's own identifiers (a wallet's address) are its to check and normalise.
  const plugin = provider.manual ? findProtocol(provider.id) : undefined;
  if (plugin?.identifier) return plugin.identifier(identifier);
  if (identifier.trim() !== identifier) throw invalidArgument('account must not begin or end with white space');
  let username = identifier;
  if (!username.includes('@') && provider.domain) username = `${username}@${provider.domain}`;
  const at = username.lastIndexOf('@');
  return at > 0 ? username.slice(0, at) + username.slice(at).toLowerCase() : username;
}

/**
 * One account per provider and user name. A manual account is also keyed by its server:
 * the same login on two SFTP hosts is two accounts.
 */
export function duplicateKey(
  config: Pick<AccountConfig, 'provider' | 'username' | 'settings'>,
  manual: boolean,
): string {
  const key = `${config.provider}\n${config.username.toLowerCase()}`;
  if (!manual) return key;
  const own = config.settings[config.provider];
  const endpoint = own ? (findProtocol(config.provider)?.endpoint?.(own) ?? own.host) : '';
  return `${key}\n${String(endpoint ?? '').toLowerCase()}`;
}
