/**
 * Every protocol the service knows: the built-ins (one folder each, listed by the build) and
 * those registered at start-up (third-party descriptors) or in-process (tests). Ids and
 * interfaces are unique; a built-in is never replaced.
 */
import { isSettingKey, settingProperty } from '../contract/setting-names.js';
import { AccountsError } from '../errors.js';
import { BUILTIN_PROTOCOLS } from './builtin.js';
import type { ProtocolPlugin } from './plugin.js';

export const PROTOCOL_ID = /^[a-z][a-z0-9]{0,31}$/;
const INTERFACE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

const plugins = new Map<string, ProtocolPlugin>();
const builtins = new Set<string>();
/** allProtocols() in order, made again after a protocol is added or removed (it is asked once per account file read). */
let sorted: readonly ProtocolPlugin[] | undefined;
let version = 0;

/** Changes whenever a protocol is added or removed: what is derived from the list is made again. */
export const protocolsVersion = (): number => version;

/** Checks a plugin's shape; throws an Error saying what is wrong. */
function checkPlugin(p: ProtocolPlugin): void {
  if (!PROTOCOL_ID.test(p.id)) throw new Error(`'${p.id}' is not a valid protocol id (a-z then a-z, 0-9; at most 32)`);
  if (!INTERFACE.test(p.iface) || p.iface.length > 255)
    throw new Error(`'${p.iface}' is not a valid D-Bus interface name`);
  const keys = new Set<string>();
  for (const s of p.settings) {
    if (!isSettingKey(s.key)) {
      throw new Error(
        `setting '${s.key}' is not a valid key (lower-case words of a-z and 0-9, each starting with a letter, joined by '_'; at most 32 characters)`,
      );
    }
    if (keys.has(s.key)) throw new Error(`setting '${s.key}' is listed twice`);
    // One rule names the property (and the client's field): src/contract/setting-names.ts.
    if (s.property !== settingProperty(s.key))
      throw new Error(`setting '${s.key}': its property must be '${settingProperty(s.key)}', not '${s.property}'`);
    keys.add(s.key);
  }
}

/** Adds a protocol; refuses an id or interface already taken. */
export function registerProtocol(p: ProtocolPlugin): void {
  checkPlugin(p);
  const taken = plugins.get(p.id);
  if (taken)
    throw new Error(
      `protocol id '${p.id}' is already taken by ${builtins.has(p.id) ? 'a built-in protocol' : `the plugin of ${taken.iface}`}`,
    );
  for (const other of plugins.values()) {
    if (other.iface === p.iface) throw new Error(`interface ${p.iface} is already used by protocol ${other.id}`);
  }
  plugins.set(p.id, p);
  sorted = undefined;
  version++;
}

/** Removes a registered (not built-in) protocol; for tests. */
export function unregisterProtocol(id: string): void {
  if (!builtins.has(id) && plugins.delete(id)) {
    sorted = undefined;
    version++;
  }
}

for (const p of BUILTIN_PROTOCOLS) {
  registerProtocol(p);
  builtins.add(p.id);
}

export const isBuiltin = (id: string): boolean => builtins.has(id);

export const findProtocol = (id: string): ProtocolPlugin | undefined => plugins.get(id);

export const isProtocol = (id: string): boolean => plugins.has(id);

/**
 * Every protocol, built-ins first, each group by id. Ids are [a-z0-9] (PROTOCOL_ID), so code
 * units sort them as localeCompare would, without loading ICU's collator (~10 ms at start-up).
 */
export function allProtocols(): ProtocolPlugin[] {
  sorted ??= [...plugins.values()].sort(
    (a, b) => Number(builtins.has(b.id)) - Number(builtins.has(a.id)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return [...sorted];
}

export const protocolIds = (): string =>
  allProtocols()
    .map((p) => p.id)
    .join(', ');

/** The protocol, or UnsupportedProtocol naming `what` and the known ones. */
export function requireProtocol(id: string, what: string): ProtocolPlugin {
  const p = plugins.get(id);
  if (!p)
    throw new AccountsError(
      'UnsupportedProtocol',
      `${what}: '${id.slice(0, 40)}' is not a supported protocol (${protocolIds()})`,
    );
  return p;
}
