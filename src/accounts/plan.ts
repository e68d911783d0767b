/** Turns requests into complete account configurations, before anything is stored. */
import { AccountsError, invalidArgument } from '../errors.js';
import { substitute, type Catalogue, type Provider } from '../providers/catalogue.js';
import { normaliseUsername, type AccountConfig } from './account.js';
import type { ParsedOptions } from './options.js';
import { PROTOCOL_SPECS, type Protocol } from './protocols.js';
import { resolveSettings, type ProtocolSettings, type RawSettings } from './settings.js';

export type NewAccount = Omit<AccountConfig, 'id'>;

export function findProvider(catalogue: Catalogue, id: string): Provider {
  const provider = catalogue.get(id);
  if (!provider) {
    const known = catalogue.list().map((p) => p.id).join(', ');
    throw new AccountsError('UnknownProvider', `provider '${id.slice(0, 60)}' is not in the catalogue (${known}) and is not a protocol (imap, smtp, pop3, caldav, carddav, sftp)`);
  }
  return provider;
}

/** The settings a file stores for a protocol: DAV keeps only its URL, the rest host/port. */
export function settingsToRaw(protocol: Protocol, s: ProtocolSettings): RawSettings {
  const spec = PROTOCOL_SPECS[protocol];
  const raw: RawSettings = spec.urlBased ? { url: s.url } : { host: s.host, port: s.port };
  if (spec.hasSecurity && !spec.urlBased) raw.security = s.security;
  if (s.username) raw.username = s.username;
  if (s.path && !spec.urlBased) raw.path = s.path;
  if (s.ca) raw.ca = s.ca;
  if (s.hostKey) raw.hostkey = s.hostKey;
  return raw;
}

function checkSupported(provider: Provider, protocols: Protocol[]): void {
  for (const p of protocols) {
    if (!provider.supported.includes(p)) {
      throw new AccountsError('UnsupportedProtocol', `provider ${provider.id} does not offer ${PROTOCOL_SPECS[p].title} (it offers ${provider.supported.join(', ')})`);
    }
  }
}

function checkOverridesEnabled(options: ParsedOptions, protocols: Protocol[]): void {
  for (const p of Object.keys(options.settings) as Protocol[]) {
    if (!protocols.includes(p)) throw invalidArgument(`options for ${p} were given but ${p} is not among the account's protocols (${protocols.join(', ')})`);
  }
}

const label = (p: Protocol) => (key: string) => `option ${p}.${key}`;

export function planNewAccount(provider: Provider, identifier: string, options: ParsedOptions): NewAccount {
  const username = normaliseUsername(provider, identifier);
  const protocols = options.protocols ?? [...provider.protocols];
  checkSupported(provider, protocols);
  checkOverridesEnabled(options, protocols);
  const settings: Partial<Record<Protocol, ProtocolSettings>> = {};
  for (const p of protocols) {
    const defaults = provider.servers[p] ? substitute(provider.servers[p], username) : {};
    settings[p] = resolveSettings(p, [defaults, options.settings[p] ?? {}], label(p));
  }
  return { name: options.name ?? username, provider: provider.id, username, protocols, settings, credentials: [] };
}

export function planUpdate(current: AccountConfig, provider: Provider, options: ParsedOptions): AccountConfig {
  if (options.verify !== undefined) throw invalidArgument('option verify is not accepted by Update');
  const protocols = options.protocols ?? current.protocols;
  if (options.protocols) checkSupported(provider, protocols.filter((p) => !current.protocols.includes(p)));
  checkOverridesEnabled(options, protocols);
  const settings: Partial<Record<Protocol, ProtocolSettings>> = {};
  for (const p of protocols) {
    const existing = current.settings[p];
    const base = existing ? settingsToRaw(p, existing) : provider.servers[p] ? substitute(provider.servers[p], current.username) : {};
    settings[p] = options.settings[p] ? resolveSettings(p, [base, options.settings[p]], label(p)) : existing ?? resolveSettings(p, [base], label(p));
  }
  return { ...current, name: options.name ?? current.name, protocols, settings };
}
