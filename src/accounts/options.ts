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
import { ACCOUNT_ID } from '../model/account.js';
import { MAX_PINS, normalizeFingerprint, parseServerKey } from '../contract/certificates.js';

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
  /** parent: the id of the proxy or OpenVPN account this one is reached through; '' for none. */
  parent?: string;
  /** certificates (a{ss}): the certificates the person accepted, `host:port` → `sha256:<hex>`. */
  certificates?: Record<string, string>;
}

export interface VariantLike {
  signature: string;
  value: unknown;
}

const INTEGER = new Set(['y', 'n', 'q', 'i', 'u', 'x', 't']);

function typed(key: string, v: VariantLike, signature: string, description: string): unknown {
  if (v.signature !== signature)
    throw invalidArgument(`option ${key} must be ${description} (type '${signature}'), got type '${v.signature}'`);
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

function parseSetting(
  key: string,
  v: VariantLike,
  parsed: ParsedOptions,
  options: Record<string, VariantLike>,
  context: 'add' | 'update',
  files: boolean,
): void {
  const dot = key.indexOf('.');
  const plugin = requireProtocol(key.slice(0, dot), `option ${key.slice(0, 60)}`);
  const setting = key.slice(dot + 1);
  const importer = plugin.imports?.[setting];
  if (importer) {
    if (context === 'update')
      throw invalidArgument(
        `option ${key} is accepted by AddAccount only: remove the account and add it again, or change its settings`,
      );
    // Companions (openvpn.profile_dir) are the call's other string options of the protocol.
    const companions = Object.fromEntries(
      Object.entries(options)
        .filter(([k, x]) => k.startsWith(`${plugin.id}.${setting}_`) && x.signature === 's')
        .map(([k, x]) => [k.slice(dot + 1), x.value as string]),
    );
    const imported = importer(typed(key, v, 's', 'a string') as string, companions, files);
    for (const [k, value] of Object.entries(imported.settings)) {
      const spec = plugin.settings.find((s) => s.key === k);
      if (spec && (parsed.settings[plugin.id] ??= {})[k] === undefined)
        parsed.settings[plugin.id]![k] = checkSetting(spec, value, `option ${key} (${k})`);
    }
    Object.assign(parsed.secrets, imported.secrets);
    return;
  }
  if (Object.keys(plugin.imports ?? {}).some((name) => setting.startsWith(`${name}_`))) return; // a companion, read above
  const spec = plugin.settings.find((s) => s.key === setting);
  if (!spec) {
    throw invalidArgument(
      `option ${key.slice(0, 60)} is not a setting of ${plugin.title} (${plugin.settings.map((s) => `${plugin.id}.${s.key}`).join(', ')})`,
    );
  }
  let value = v.value;
  if (spec.kind === 'port') {
    if (!INTEGER.has(v.signature))
      throw invalidArgument(`option ${key} must be an integer (type 'q'), got type '${v.signature}'`);
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

/** The option certificates: every server a `host:port`, every value a SHA-256 fingerprint. */
function parseCertificates(value: Record<string, string>): Record<string, string> {
  const entries = Object.entries(value);
  if (entries.length > MAX_PINS)
    throw invalidArgument(`option certificates names ${entries.length} servers (at most ${MAX_PINS})`);
  const out: Record<string, string> = {};
  for (const [server, fingerprint] of entries) {
    const key = parseServerKey(server);
    if (!key) throw invalidArgument(`option certificates: '${server.slice(0, 80)}' is not host:port`);
    const fp = normalizeFingerprint(fingerprint);
    if (!fp)
      throw invalidArgument(
        `option certificates: the fingerprint for ${key} must be sha256: and 64 hex digits, got '${fingerprint.slice(0, 80)}'`,
      );
    out[key] = fp;
  }
  return out;
}

/** `files`: whether the caller may name files the service reads (false for sandboxed apps). */
export function parseOptions(
  options: Record<string, VariantLike>,
  context: 'add' | 'update',
  files = true,
): ParsedOptions {
  checkPlainDict(options, context === 'add' ? 'options' : 'changes');
  const parsed: ParsedOptions = { settings: {}, secrets: {} };
  for (const [key, v] of Object.entries(options)) {
    if (key === 'name') {
      parsed.name = checkText(typed(key, v, 's', 'a string') as string, 'option name', 256);
    } else if (key === 'protocols') {
      parsed.protocols = parseProtocolList(typed(key, v, 'as', 'a list of strings') as string[], 'option protocols');
    } else if (key === 'verify' && context === 'add') {
      parsed.verify = typed(key, v, 'b', 'a boolean') as boolean;
    } else if (key === 'parent') {
      const id = typed(key, v, 's', 'a string') as string;
      if (id !== '' && !ACCOUNT_ID.test(id))
        throw invalidArgument(`option parent '${id.slice(0, 60)}' is not an account id`);
      parsed.parent = id;
    } else if (key.startsWith('identity.')) {
      parseIdentityOption(key, v, (parsed.identity ??= {}));
    } else if (key === 'certificates') {
      // accepting a certificate changes what the service trusts: the person's own tools only
      if (!files)
        throw new AccountsError(
          'AccessDenied',
          'option certificates: a sandboxed app cannot accept certificates; the person does, with px-accounts or the Online Accounts window',
        );
      parsed.certificates = parseCertificates(
        typed(key, v, 'a{ss}', 'a dictionary of strings') as Record<string, string>,
      );
    } else if (key.includes('.')) {
      parseSetting(key, v, parsed, options, context, files);
    } else {
      throw invalidArgument(
        `unknown option '${key.slice(0, 60)}' (known: name, protocols${context === 'add' ? ', verify' : ''}, certificates, parent, identity.name, identity.address, identity.aliases, and <protocol>.<setting> as ListProtocols describes)`,
      );
    }
  }
  return parsed;
}
