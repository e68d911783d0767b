/**
 * The a{sv} options of AddAccount, ValidateCredentials and Update, checked key by key:
 * unknown keys, wrong types and bad values are refused, never ignored. Per-protocol keys
 * (`<protocol>.<key>`) come from the protocol's settings.
 */
import { AccountsError, invalidArgument } from '../errors.js';
import type { RawSettings } from '../protocols/plugin.js';
import { requireProtocol } from '../protocols/registry.js';
import { checkSetting } from '../protocols/settings.js';
import { checkPlainDict, checkText } from '../util/validate.js';
import { parseIdentityOption, type Identity } from '../model/identity.js';

export interface ParsedOptions {
  name?: string;
  protocols?: string[];
  verify?: boolean;
  /** Validated per-protocol overrides. */
  settings: Record<string, RawSettings>;
  /** Secrets an import produced (a profile's key material), by name. */
  secrets: Record<string, string>;
  /** identity.* options (the sender identity; '' clears a field). */
  identity?: Identity;
}

export interface VariantLike { signature: string; value: unknown }

const INTEGER = new Set(['y', 'n', 'q', 'i', 'u', 'x', 't']);

function typed(key: string, v: VariantLike, signature: string, description: string): unknown {
  if (v.signature !== signature) throw invalidArgument(`option ${key} must be ${description} (type '${signature}'), got type '${v.signature}'`);
  return v.value;
}

export function parseProtocolList(value: string[], what: string): string[] {
  const out: string[] = [];
  for (const p of value) {
    requireProtocol(p, what);
    if (!out.includes(p)) out.push(p);
  }
  if (out.length === 0) throw invalidArgument(`${what} must name at least one protocol`);
  return out;
}

function parseSetting(key: string, v: VariantLike, parsed: ParsedOptions, options: Record<string, VariantLike>, context: 'add' | 'update', files: boolean): void {
  const dot = key.indexOf('.');
  const plugin = requireProtocol(key.slice(0, dot), `option ${key.slice(0, 60)}`);
  const setting = key.slice(dot + 1);
  const importer = plugin.imports?.[setting];
  if (importer) {
    if (context === 'update') throw invalidArgument(`option ${key} is accepted by AddAccount only: remove the account and add it again, or change its settings`);
    // Companions (openvpn.profile_dir) are the call's other string options of the protocol.
    const companions = Object.fromEntries(Object.entries(options)
      .filter(([k, x]) => k.startsWith(`${plugin.id}.${setting}_`) && x.signature === 's').map(([k, x]) => [k.slice(dot + 1), x.value as string]));
    const imported = importer(typed(key, v, 's', 'a string') as string, companions, files);
    for (const [k, value] of Object.entries(imported.settings)) {
      const spec = plugin.settings.find((s) => s.key === k);
      if (spec && (parsed.settings[plugin.id] ??= {})[k] === undefined) parsed.settings[plugin.id]![k] = checkSetting(spec, value, `option ${key} (${k})`);
    }
    Object.assign(parsed.secrets, imported.secrets);
    return;
  }
  if (Object.keys(plugin.imports ?? {}).some((name) => setting.startsWith(`${name}_`))) return; // a companion, read above
  const spec = plugin.settings.find((s) => s.key === setting);
  if (!spec) {
    throw invalidArgument(`option ${key.slice(0, 60)} is not a setting of ${plugin.title} (${plugin.settings.map((s) => `${plugin.id}.${s.key}`).join(', ')})`);
  }
  let value = v.value;
  if (spec.kind === 'port') {
    if (!INTEGER.has(v.signature)) throw invalidArgument(`option ${key} must be an integer (type 'q'), got type '${v.signature}'`);
  } else if (spec.kind === 'count' && INTEGER.has(v.signature)) {
    // A count is a number (its property is 'u'); a string of digits is taken too (the CLI's).
  } else if (spec.kind === 'list' && v.signature === 'as') {
    value = (v.value as string[]).join(`${spec.separator ?? ','} `);
  } else {
    value = typed(key, v, 's', 'a string');
  }
  // A file path makes the service read that file: not on behalf of a sandboxed app.
  if (spec.kind === 'file' && value !== '' && !files) {
    throw new AccountsError('AccessDenied', `option ${key}: a sandboxed app cannot have the service read files`);
  }
  (parsed.settings[plugin.id] ??= {})[setting] = checkSetting(spec, value, `option ${key}`);
}

/** `files`: whether the caller may name files the service reads (false for sandboxed apps). */
export function parseOptions(options: Record<string, VariantLike>, context: 'add' | 'update', files = true): ParsedOptions {
  checkPlainDict(options, context === 'add' ? 'options' : 'changes');
  const parsed: ParsedOptions = { settings: {}, secrets: {} };
  for (const [key, v] of Object.entries(options)) {
    if (key === 'name') {
      parsed.name = checkText(typed(key, v, 's', 'a string') as string, 'option name', 256);
    } else if (key === 'protocols') {
      parsed.protocols = parseProtocolList(typed(key, v, 'as', 'a list of strings') as string[], 'option protocols');
    } else if (key === 'verify' && context === 'add') {
      parsed.verify = typed(key, v, 'b', 'a boolean') as boolean;
    } else if (key.startsWith('identity.')) {
      parseIdentityOption(key, v, (parsed.identity ??= {}));
    } else if (key.includes('.')) {
      parseSetting(key, v, parsed, options, context, files);
    } else {
      throw invalidArgument(`unknown option '${key.slice(0, 60)}' (known: name, protocols${context === 'add' ? ', verify' : ''}, identity.name, identity.address, identity.aliases, and <protocol>.<setting> as ListProtocols describes)`);
    }
  }
  return parsed;
}
