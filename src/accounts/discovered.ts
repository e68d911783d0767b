/**
 * AddAccount with an empty provider, the parts that are not the add itself: which options are
 * discovery's, the trust refusal, and the settings found as AddAccount options for each of the
 * (at most two) user-name forms.
 */
import { AccountsError, invalidArgument } from '../errors.js';
import type { Discovered } from '../discovery/discovery.js';
import type { DiscoverOptions } from '../discovery/options.js';
import { parseDiscoverOptions } from '../discovery/options.js';
import type { Catalogue, Provider } from '../providers/catalogue.js';
import type { Settings } from '../protocols/plugin.js';
import { requireProtocol } from '../protocols/registry.js';

type Variants = Record<string, { signature: string; value: unknown }>;

export interface DiscoveredAdd {
  /** Use settings that are not trusted (found through MX, plain HTTP, or a server in another domain). */
  trust: boolean;
  discover: DiscoverOptions;
  /** The options left for AddAccount (name, protocols, per-protocol overrides). */
  rest: Variants;
}

/** Splits AddAccount's options: trust (b) and probe (b) are discovery's; verify is implied. */
export function splitOptions(options: Variants): DiscoveredAdd {
  const rest: Variants = { ...options };
  let trust = false;
  const discover: Variants = {};
  if (rest.trust !== undefined) {
    if (rest.trust.signature !== 'b')
      throw invalidArgument(`option trust must be a boolean (type 'b'), got type '${rest.trust.signature}'`);
    trust = rest.trust.value as boolean;
    delete rest.trust;
  }
  if (rest.probe !== undefined) {
    discover.probe = rest.probe;
    delete rest.probe;
  }
  if (rest.verify !== undefined) {
    if (rest.verify.signature !== 'b' || rest.verify.value !== true)
      throw invalidArgument(
        'an account whose settings are discovered is always checked first: option verify can only be true',
      );
    delete rest.verify;
  }
  if (rest.protocols !== undefined) discover.protocols = rest.protocols;
  return { trust, discover: parseDiscoverOptions(discover), rest };
}

/** Refuses what AddAccount must not save: OAuth2 sign-ins, and untrusted settings without trust. */
export function checkUsable(found: Discovered, trust: boolean, catalogue: Catalogue): void {
  if (found.auth === 'oauth2') {
    const p = found.provider ? catalogue.get(found.provider) : undefined;
    throw invalidArgument(
      p
        ? `${p.name} accounts sign in with OAuth2, not a password: use Manager.SignIn with provider ${p.id} (px-accounts add -provider ${p.id} -account ${found.address.address} with no password)`
        : `${found.domain} signs in with OAuth2 only, and no catalogue provider signs in there`,
    );
  }
  if (!found.trusted && !trust) {
    const how =
      found.source === 'mx'
        ? `found through the MX records of ${found.address.domain}, which point to ${found.domain}`
        : found.source === 'srv'
          ? `published in the DNS of ${found.domain}, pointing outside it`
          : found.source === 'autoconfig'
            ? `read from ${found.domain} over plain HTTP`
            : `for ${found.domain}`;
    throw invalidArgument(
      `the settings found for ${found.address.address} are not trusted (${how}: ${describeServers(found)}); add again with the option trust = true to use them`,
    );
  }
}

export const describeServers = (found: Discovered): string =>
  [
    ...Object.entries(found.servers).map(([p, s]) => `${p} ${s.host}:${s.port} ${s.security}`),
    ...Object.entries(found.urls).map(([p, u]) => `${p} ${u}`),
  ].join(', ');

/** The catalogue provider discovery named, or the manual provider of the first protocol. */
export function providerOf(found: Discovered, catalogue: Catalogue): Provider {
  const p = (found.provider && catalogue.get(found.provider)) || catalogue.get(found.protocols[0]!);
  if (!p) throw new AccountsError('UnknownProvider', `no provider for ${found.domain}`);
  return p;
}

/**
 * The settings found, as AddAccount options, under the caller's own (which win). `local`: the
 * protocols whose user name is the other form this time (the local part where the address
 * was refused, or the other way round).
 */
export function asOptions(
  found: Discovered,
  provider: Provider,
  rest: Variants,
  other: ReadonlySet<string> = new Set(),
): Variants {
  const out: Variants = {};
  const { address, local } = found.address;
  const protocols = rest.protocols
    ? (rest.protocols.value as string[]).filter((p) => (found.protocols as string[]).includes(p))
    : found.protocols;
  for (const p of protocols) {
    const s = found.servers[p as keyof Discovered['servers']];
    if (!provider.manual) {
      // a catalogue provider's servers are its own; only the user name form can change
    } else if (s) {
      out[`${p}.host`] = { signature: 's', value: s.host };
      out[`${p}.port`] = { signature: 'q', value: s.port };
      out[`${p}.security`] = { signature: 's', value: s.security };
    } else if (found.urls[p as keyof Discovered['urls']]) {
      out[`${p}.url`] = { signature: 's', value: found.urls[p as keyof Discovered['urls']] };
    }
    const first = s?.username ?? address;
    const username = other.has(p) ? (first === address ? local : address) : first;
    if (username !== address) out[`${p}.username`] = { signature: 's', value: username };
  }
  out.protocols = { signature: 'as', value: protocols };
  for (const [k, v] of Object.entries(rest)) if (k !== 'protocols') out[k] = v;
  if (protocols.length === 0)
    throw invalidArgument(
      `none of the protocols asked for was found for ${found.domain} (found: ${found.protocols.join(', ')})`,
    );
  return out;
}

/**
 * RFC 6764 §6: a CalDAV or CardDAV URL discovery found is a context URL (SRV with TXT path=,
 * or /.well-known); the check, with the person's credentials, followed it to the principal and
 * the home set, which the account keeps instead. Not for a catalogue provider's own URLs, nor
 * a URL the caller gave.
 */
export function keepHomeSets(
  plan: { settings: Record<string, Settings> },
  provider: Provider,
  rest: Variants,
  checked: Record<string, { ok: boolean; home?: string }>,
): void {
  if (!provider.manual) return;
  for (const p of ['caldav', 'carddav']) {
    const home = checked[p]?.ok ? checked[p].home : undefined;
    const settings = plan.settings[p];
    if (!home || !settings || rest[`${p}.url`] !== undefined) continue;
    const plugin = requireProtocol(p, 'protocols');
    // resolved again: what a protocol derives from its URL follows it
    plan.settings[p] = plugin.resolve([plugin.stored(settings), { url: home }], (key) => `${p}.${key} of the home set`);
  }
}
