/** Turns requests into complete account configurations, before anything is stored. */
import { AccountsError, invalidArgument } from '../errors.js';
import { substitute, type Catalogue, type Provider } from '../providers/catalogue.js';
import { normaliseUsername, type AccountConfig } from '../model/account.js';
import type { Settings } from '../protocols/plugin.js';
import { findProtocol, protocolIds, requireProtocol } from '../protocols/registry.js';
import type { ParsedOptions } from './options.js';
import { mergeIdentity } from '../model/identity.js';

export type NewAccount = Omit<AccountConfig, 'id'>;

export function findProvider(catalogue: Catalogue, id: string): Provider {
  const provider = catalogue.get(id);
  if (!provider) {
    const known = catalogue
      .list()
      .map((p) => p.id)
      .join(', ');
    throw new AccountsError(
      'UnknownProvider',
      `provider '${id.slice(0, 60)}' is not in the catalogue (${known}) and is not a protocol (${protocolIds()})`,
    );
  }
  return provider;
}

function checkSupported(provider: Provider, protocols: string[]): void {
  for (const p of protocols) {
    if (!provider.supported.includes(p)) {
      throw new AccountsError(
        'UnsupportedProtocol',
        `provider ${provider.id} does not offer ${requireProtocol(p, 'protocols').title} (it offers ${provider.supported.join(', ')})`,
      );
    }
  }
}

function checkOverridesEnabled(options: ParsedOptions, protocols: string[]): void {
  for (const p of Object.keys(options.settings)) {
    if (!protocols.includes(p))
      throw invalidArgument(
        `options for ${p} were given but ${p} is not among the account's protocols (${protocols.join(', ')})`,
      );
  }
}

const label = (p: string) => (key: string) => `option ${p}.${key}`;

/**
 * A protocol with identifiers of its own (a wallet: the address) is an account of its own: its
 * identifier must be checked as one, so it is never enabled next to another account's
 * (an e-mail address is no wallet, and a seed phrase must not slip in as a user name).
 */
function checkOwnIdentifiers(provider: string, protocols: string[]): void {
  for (const p of protocols) {
    const plugin = requireProtocol(p, 'protocols');
    if ((plugin.identifier || plugin.live) && (p !== provider || protocols.length > 1)) {
      throw new AccountsError(
        'UnsupportedProtocol',
        `${plugin.title} is an account of its own: add it with the protocol ${p} alone (px-accounts add -protocol ${p} -account …)`,
      );
    }
  }
}

/** An identifier of a protocol's own fits the account's settings (a Bitcoin address, its network). */
function checkIdentifierFits(provider: string, username: string, settings: Record<string, Settings>): void {
  const own = settings[provider];
  if (own) findProtocol(provider)?.identifier?.(username, own);
}

export function planNewAccount(provider: Provider, identifier: string, options: ParsedOptions): NewAccount {
  const username = normaliseUsername(provider, identifier);
  if (provider.supported.length === 0)
    throw new AccountsError('UnsupportedProtocol', `provider ${provider.id}: ${provider.notice}`);
  const protocols = options.protocols ?? [...provider.protocols];
  checkSupported(provider, protocols);
  checkOverridesEnabled(options, protocols);
  checkOwnIdentifiers(provider.id, protocols);
  const settings: Record<string, Settings> = {};
  for (const p of protocols) {
    const defaults = provider.servers[p] ? substitute(provider.servers[p], username) : {};
    settings[p] = requireProtocol(p, 'protocols').resolve([defaults, options.settings[p] ?? {}], label(p));
  }
  checkIdentifierFits(provider.id, username, settings);
  const identity = mergeIdentity(undefined, options.identity, protocols);
  return {
    name: options.name ?? username,
    provider: provider.id,
    username,
    protocols,
    settings,
    credentials: [],
    auth: 'password',
    ...(identity ? { identity } : {}),
    ...(options.certificates && Object.keys(options.certificates).length ? { certificates: options.certificates } : {}),
    ...(options.parent ? { parent: options.parent } : {}),
  };
}

export function planUpdate(current: AccountConfig, provider: Provider, options: ParsedOptions): AccountConfig {
  if (options.verify !== undefined) throw invalidArgument('option verify is not accepted by Update');
  const protocols = options.protocols ?? current.protocols;
  if (options.protocols)
    checkSupported(
      provider,
      protocols.filter((p) => !current.protocols.includes(p)),
    );
  checkOwnIdentifiers(current.provider, protocols);
  checkOverridesEnabled(options, protocols);
  const settings: Record<string, Settings> = {};
  for (const p of protocols) {
    const plugin = requireProtocol(p, 'protocols');
    const existing = current.settings[p];
    const base = existing
      ? plugin.stored(existing)
      : provider.servers[p]
        ? substitute(provider.servers[p], current.username)
        : {};
    settings[p] = options.settings[p]
      ? plugin.resolve([base, options.settings[p]], label(p))
      : (existing ?? plugin.resolve([base], label(p)));
  }
  checkIdentifierFits(current.provider, current.username, settings);
  const next: AccountConfig = { ...current, name: options.name ?? current.name, protocols, settings };
  const identity = mergeIdentity(current.identity, options.identity, protocols);
  if (identity) next.identity = identity;
  else delete next.identity;
  // parent: '' leaves the parent (checked by the caller, who knows the other accounts)
  if (options.parent === '') delete next.parent;
  else if (options.parent) next.parent = options.parent;
  // certificates replaces the accepted certificates as a whole ({} forgets them all)
  if (options.certificates) {
    if (Object.keys(options.certificates).length) next.certificates = options.certificates;
    else delete next.certificates;
  }
  return next;
}
