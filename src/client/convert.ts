/** Conversions between the service's D-Bus shapes and the client's types. */
import dbus from 'dbus-next';
import { AccountsClientError } from './errors.js';
import type {
  Account,
  AccountField,
  AccountStatus,
  AddAccountInput,
  AccountChanges,
  Discovered,
  DiscoverOptions,
  DiscoverySource,
  Protocol,
  ProtocolInfo,
  ProtocolSettings,
  Provider,
  ProviderServer,
  SenderIdentity,
  SettingsInput,
  VerifyResult,
  VerifyResults,
  Wallet,
} from './types.js';

const { Variant } = dbus;
type V = InstanceType<typeof Variant>;

import { ACCOUNT_IFACE, ACCOUNT_PATH_PREFIX, IFACE_PREFIX, OAUTH2_IFACE, WALLET_IFACE } from '../contract/names.js';
import { settingField, settingFieldOfProperty, settingKeyOfField } from '../contract/setting-names.js';

export {
  ACCOUNT_IFACE,
  ACCOUNT_PATH_PREFIX,
  BUS_NAME,
  IFACE_PREFIX,
  MANAGER_IFACE,
  ROOT_PATH,
} from '../contract/names.js';
export const PROPERTIES_IFACE = 'org.freedesktop.DBus.Properties';
export const OBJECT_MANAGER_IFACE = 'org.freedesktop.DBus.ObjectManager';

/** Plain property values of one interface. */
export type Props = Record<string, unknown>;
/** Interfaces of one object, by name. */
export type RawObject = Map<string, Props>;

const ID = /^[A-Za-z0-9_]+$/;

/** Object path of an account given its id or its path; NotFound when it cannot be one. */
export function accountPathOf(idOrPath: string): string {
  if (idOrPath.startsWith(ACCOUNT_PATH_PREFIX) && ID.test(idOrPath.slice(ACCOUNT_PATH_PREFIX.length))) return idOrPath;
  if (ID.test(idOrPath)) return ACCOUNT_PATH_PREFIX + idOrPath;
  throw new AccountsClientError(
    'NotFound',
    `no account '${idOrPath.slice(0, 80)}': account ids are made of letters, digits and '_'`,
  );
}

export const isAccountPath = (path: string) =>
  path.startsWith(ACCOUNT_PATH_PREFIX) && ID.test(path.slice(ACCOUNT_PATH_PREFIX.length));

/** Interface name → protocol id, as the service's ListProtocols tells. */
export type ProtocolInterfaces = ReadonlyMap<string, string>;

/**
 * The protocol an interface stands for: from ListProtocols when known, else by the naming rule
 * of built-in protocols (org.pantherx.Accounts.CalDav → caldav); undefined for interfaces that
 * are not protocols.
 */
/** Interfaces of the service that are not protocols. */
const NOT_PROTOCOLS = new Set(['Account', 'Manager', 'OAuth2', 'SignIn', 'Wallet', 'Identity']);
const IDENTITY_IFACE = `${IFACE_PREFIX}Identity`;

export function protocolOfInterface(iface: string, known?: ProtocolInterfaces): Protocol | undefined {
  const id = known?.get(iface);
  if (id) return id;
  if (known?.size || !iface.startsWith(IFACE_PREFIX)) return undefined;
  const rest = iface.slice(IFACE_PREFIX.length);
  if (NOT_PROTOCOLS.has(rest) || rest.includes('.')) return undefined;
  return rest.toLowerCase();
}

/** The naming rule of built-in protocol interfaces, for a service too old to list them. */
export const interfaceOfBuiltin = (p: string): string => IFACE_PREFIX + p.charAt(0).toUpperCase() + p.slice(1);

/** Unwraps a{sv} into plain values. */
export function unwrap(variants: Record<string, V> | undefined): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(variants ?? {})) out[k] = v instanceof Variant ? v.value : v;
  return out;
}

export function rawObject(ifaces: Record<string, Record<string, V>>): RawObject {
  return new Map(Object.entries(ifaces).map(([name, props]) => [name, unwrap(props)]));
}

export const str = (v: unknown) => (typeof v === 'string' ? v : '');
const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function settingsOf(p: Props): ProtocolSettings {
  const s: ProtocolSettings = { host: str(p.Host), port: Number(p.Port ?? 0), username: str(p.Username) };
  if ('Security' in p) s.security = str(p.Security) as ProtocolSettings['security'];
  if ('Path' in p) s.path = str(p.Path);
  if ('Url' in p) s.url = str(p.Url);
  for (const [k, v] of Object.entries(p)) {
    const key = settingFieldOfProperty(k);
    if (key in s) continue;
    if (typeof v === 'string' || typeof v === 'number') s[key] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) s[key] = v;
  }
  return s;
}

/** An a{ss} as a plain object of strings (anything else: empty). */
function stringMap(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** The Account of an object, or undefined when it has no Account interface. */
function walletOf(w: Props): Wallet {
  return {
    currency: str(w.Currency),
    network: str(w.Network),
    address: str(w.Address),
    balance: str(w.Balance) || '0',
    pendingBalance: str(w.PendingBalance) || '0',
    assetBalances: stringMap(w.AssetBalances),
    lastUpdated: typeof w.LastUpdated === 'bigint' ? w.LastUpdated : BigInt(Number(w.LastUpdated ?? 0)),
  };
}

function identityOf(p: Props): SenderIdentity {
  return { fullName: str(p.FullName), emailAddress: str(p.EmailAddress), aliases: strs(p.Aliases) };
}

export function accountOf(path: string, obj: RawObject, known?: ProtocolInterfaces): Account | undefined {
  const a = obj.get(ACCOUNT_IFACE);
  if (!a) return undefined;
  const settings: Account['settings'] = {};
  for (const [iface, props] of obj) {
    const protocol = protocolOfInterface(iface, known);
    if (protocol) settings[protocol] = settingsOf(props);
  }
  const time = a.StatusTime;
  return {
    id: str(a.Id) || path.slice(path.lastIndexOf('/') + 1),
    path,
    name: str(a.Name),
    provider: str(a.Provider),
    providerName: str(a.ProviderName),
    providerIcon: str(a.ProviderIcon),
    username: str(a.Username),
    protocols: strs(a.Protocols),
    status: (str(a.Status) || 'none') as AccountStatus,
    statusMessage: str(a.StatusMessage),
    statusTime: typeof time === 'bigint' ? time : BigInt(Number(time ?? 0)),
    attentionNeeded: a.AttentionNeeded === true,
    credentials: strs(a.Credentials),
    locked: a.Locked === true,
    policyViolation: str(a.PolicyViolation),
    pinnedCertificates: stringMap(a.PinnedCertificates),
    parent: parentId(a.Parent),
    mutedErrors: strs(a.MutedErrors),
    data: stringMap(a.Data),
    auth: a.Auth === 'oauth2' || obj.has(OAUTH2_IFACE) ? 'oauth2' : 'password',
    ...(obj.has(WALLET_IFACE) ? { wallet: walletOf(obj.get(WALLET_IFACE)!) } : {}),
    settings,
    ...(obj.has(IDENTITY_IFACE) ? { identity: identityOf(obj.get(IDENTITY_IFACE)!) } : {}),
  };
}

const ACCOUNT_FIELDS: Record<string, AccountField> = {
  Name: 'name',
  Provider: 'provider',
  ProviderName: 'providerName',
  ProviderIcon: 'providerIcon',
  Username: 'username',
  Protocols: 'protocols',
  Status: 'status',
  StatusMessage: 'statusMessage',
  StatusTime: 'statusTime',
  AttentionNeeded: 'attentionNeeded',
  Credentials: 'credentials',
  Auth: 'auth',
  Locked: 'locked',
  PolicyViolation: 'policyViolation',
  Parent: 'parent',
  MutedErrors: 'mutedErrors',
  Data: 'data',
};

/** The Account field a property of an interface shows up as. */
export function fieldOf(iface: string, prop: string, known?: ProtocolInterfaces): AccountField | undefined {
  if (iface === ACCOUNT_IFACE) return ACCOUNT_FIELDS[prop];
  if (iface === WALLET_IFACE) return 'wallet';
  if (iface === IDENTITY_IFACE) return 'identity';
  const protocol = protocolOfInterface(iface, known);
  return protocol ? `settings.${protocol}.${settingFieldOfProperty(prop)}` : undefined;
}

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/** Fields that differ between two views of the same account. */
export function diffAccounts(a: Account, b: Account): AccountField[] {
  const out: AccountField[] = [];
  for (const f of Object.values(ACCOUNT_FIELDS)) {
    if (json(a[f as keyof Account]) !== json(b[f as keyof Account])) out.push(f);
  }
  const protocols = new Set([...Object.keys(a.settings), ...Object.keys(b.settings)]);
  for (const p of protocols) {
    const x = a.settings[p];
    const y = b.settings[p];
    if (!x || !y) {
      out.push(`settings.${p}`);
      continue;
    }
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (json(x[k as keyof ProtocolSettings]) !== json(y[k as keyof ProtocolSettings])) out.push(`settings.${p}.${k}`);
    }
  }
  return out;
}

function settingsVariants(
  settings: Partial<Record<Protocol, SettingsInput>> | undefined,
  out: Record<string, V>,
): void {
  for (const [protocol, s] of Object.entries(settings ?? {})) {
    for (const [field, value] of Object.entries(s ?? {})) {
      if (value === undefined) continue;
      // A field (gapLimit, hostKey) or a key as ListProtocols names it (gap_limit): the option is btc.gap_limit.
      const key = settingKeyOfField(field);
      const name = `${protocol}.${key}`;
      if (name in out)
        throw new AccountsClientError(
          'InvalidArgument',
          `${name} is given twice (settings.${protocol} names it twice, as field and as key)`,
        );
      if (key === 'port') {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
          throw new AccountsClientError(
            'InvalidArgument',
            `${name} must be a port number from 1 to 65535, got '${String(value).slice(0, 40)}'`,
          );
        }
        out[name] = new Variant('q', value);
      } else if (Array.isArray(value)) {
        out[name] = new Variant('as', value.map(String));
      } else if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
        out[name] = new Variant('u', value); // a count (confirmations, gap_limit)
      } else {
        if (typeof value !== 'string') throw new AccountsClientError('InvalidArgument', `${name} must be a string`);
        out[name] = new Variant('s', value);
      }
    }
  }
}

/** Account.Parent (an object path, / for none) as the parent's id, '' for none. */
function parentId(v: unknown): string {
  const path = str(v);
  return path.startsWith(ACCOUNT_PATH_PREFIX) ? path.slice(ACCOUNT_PATH_PREFIX.length) : '';
}

/** The a{sv} options of AddAccount / ValidateCredentials. */
export function addOptions(input: AddAccountInput): Record<string, V> {
  const out: Record<string, V> = {};
  if (input.name !== undefined) out.name = new Variant('s', input.name);
  if (input.protocols !== undefined) out.protocols = new Variant('as', [...input.protocols]);
  if (input.verify !== undefined) out.verify = new Variant('b', input.verify);
  if (input.trust !== undefined) out.trust = new Variant('b', input.trust);
  if (input.certificates !== undefined) out.certificates = new Variant('a{ss}', { ...input.certificates });
  if (input.parent !== undefined) out.parent = new Variant('s', input.parent);
  settingsVariants(input.settings, out);
  return out;
}

/** Manager.Discover's options. */
export function discoverOptions(o: DiscoverOptions): Record<string, V> {
  const out: Record<string, V> = {};
  if (o.protocols !== undefined) out.protocols = new Variant('as', [...o.protocols]);
  if (o.probe !== undefined) out.probe = new Variant('b', o.probe);
  return out;
}

/** Manager.Discover's a{sv}: `provider`, `protocols`, `<protocol>.<key>`, `auth`, `source`, `domain`, `trusted`. */
export function discoveredOf(raw: Record<string, V>): Discovered {
  const r = unwrap(raw);
  const settings: Discovered['settings'] = {};
  for (const [key, value] of Object.entries(r)) {
    const dot = key.indexOf('.');
    if (dot < 0) continue;
    const protocol = key.slice(0, dot);
    (settings[protocol] ??= {})[settingField(key.slice(dot + 1))] = value as string | number;
  }
  return {
    provider: str(r.provider),
    protocols: (r.protocols as Protocol[] | undefined) ?? [],
    settings,
    auth: r.auth === 'oauth2' ? 'oauth2' : 'password',
    source: str(r.source) as DiscoverySource,
    domain: str(r.domain),
    trusted: r.trusted === true,
  };
}

export function addSecrets(input: AddAccountInput): Record<string, string> {
  const secrets: Record<string, string> = { ...(input.secrets ?? {}) };
  if (input.password !== undefined) secrets.password = input.password;
  return secrets;
}

/** The a{sv} changes of Account.Update. */
export function updateChanges(changes: AccountChanges): Record<string, V> {
  const out: Record<string, V> = {};
  if (changes.name !== undefined) out.name = new Variant('s', changes.name);
  if (changes.protocols !== undefined) out.protocols = new Variant('as', [...changes.protocols]);
  if (changes.certificates !== undefined) out.certificates = new Variant('a{ss}', { ...changes.certificates });
  if (changes.parent !== undefined) out.parent = new Variant('s', changes.parent);
  settingsVariants(changes.settings, out);
  return out;
}

/** Verify / ValidateCredentials results: a{sv}, each value a variant holding a{sv}. */
export function verifyResults(raw: Record<string, V>): VerifyResults {
  const out: VerifyResults = {};
  for (const [protocol, v] of Object.entries(raw ?? {})) {
    const r = unwrap((v instanceof Variant ? v.value : v) as Record<string, V>);
    const result: VerifyResult = { ok: r.ok === true, code: str(r.code), message: str(r.message) };
    if (typeof r.fingerprint === 'string' && typeof r.server === 'string')
      Object.assign(result, { fingerprint: r.fingerprint, server: r.server });
    out[protocol] = result;
  }
  return out;
}

export function protocolInfoOf(raw: Record<string, V>): ProtocolInfo {
  const p = unwrap(raw);
  const settings = (Array.isArray(p.settings) ? p.settings : []).map((x: Record<string, V>) => {
    const s = unwrap(x);
    // The field as an Account shows the property (for this service's keys, settingField(key) too).
    const property = str(s.property);
    return {
      key: str(s.key),
      property,
      field: settingFieldOfProperty(property),
      type: str(s.type),
      kind: str(s.kind),
      values: strs(s.values),
      doc: str(s.doc),
    };
  });
  return {
    id: str(p.id),
    name: str(p.name),
    interface: str(p.interface),
    builtin: p.builtin === true,
    secrets: strs(p.secrets),
    imports: strs(p.imports),
    settings,
    liveInterface: str(p.live_interface),
  };
}

export function providerOf(raw: Record<string, V>): Provider {
  const p = unwrap(raw);
  const servers: Provider['servers'] = {};
  for (const [key, value] of Object.entries(p)) {
    const dot = key.indexOf('.');
    if (dot < 0) continue;
    const protocol = key.slice(0, dot);
    const field = key.slice(dot + 1);
    (servers[protocol] ??= {} as ProviderServer)[field] = typeof value === 'number' ? value : str(value);
  }
  return {
    id: str(p.id),
    name: str(p.name),
    domain: str(p.domain),
    protocols: strs(p.protocols),
    supported: strs(p.supported ?? p.protocols),
    servers,
    notice: str(p.notice),
    auth: (str(p.auth) || 'password') as Provider['auth'],
    oauth2Configured: p.oauth2_configured === true,
    icon: str(p.icon),
    denied: str(p.denied),
  };
}
