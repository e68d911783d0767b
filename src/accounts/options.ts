/**
 * The a{sv} options of AddAccount, ValidateCredentials and Update, checked key by key:
 * unknown keys, wrong types and bad values are refused, never ignored.
 */
import { AccountsError, invalidArgument } from '../errors.js';
import { PROTOCOL_SPECS, isProtocol, type Protocol, type SettingKey } from './protocols.js';
import { checkSetting, type RawSettings } from './settings.js';
import { checkPlainDict, checkText } from './validate.js';

export interface ParsedOptions {
  name?: string;
  protocols?: Protocol[];
  verify?: boolean;
  /** Validated per-protocol overrides. */
  settings: Partial<Record<Protocol, RawSettings>>;
}

interface VariantLike { signature: string; value: unknown }

const INTEGER = new Set(['y', 'n', 'q', 'i', 'u', 'x', 't']);

function typed(key: string, v: VariantLike, signature: string, description: string): unknown {
  if (v.signature !== signature) throw invalidArgument(`option ${key} must be ${description} (type '${signature}'), got type '${v.signature}'`);
  return v.value;
}

export function parseProtocolList(value: string[], what: string): Protocol[] {
  const out: Protocol[] = [];
  for (const p of value) {
    if (!isProtocol(p)) {
      throw new AccountsError('UnsupportedProtocol', `${what}: '${p.slice(0, 40)}' is not a supported protocol (imap, smtp, pop3, caldav, carddav, sftp)`);
    }
    if (!out.includes(p)) out.push(p);
  }
  if (out.length === 0) throw invalidArgument(`${what} must name at least one protocol`);
  return out;
}

export function parseOptions(options: Record<string, VariantLike>, context: 'add' | 'update'): ParsedOptions {
  checkPlainDict(options, context === 'add' ? 'options' : 'changes');
  const parsed: ParsedOptions = { settings: {} };
  for (const [key, v] of Object.entries(options)) {
    if (key === 'name') {
      parsed.name = checkText(typed(key, v, 's', 'a string') as string, 'option name', 256);
    } else if (key === 'protocols') {
      parsed.protocols = parseProtocolList(typed(key, v, 'as', 'a list of strings') as string[], 'option protocols');
    } else if (key === 'verify' && context === 'add') {
      parsed.verify = typed(key, v, 'b', 'a boolean') as boolean;
    } else if (key.includes('.')) {
      const [protocol, setting] = key.split('.', 2) as [string, string];
      if (!isProtocol(protocol)) {
        throw new AccountsError('UnsupportedProtocol', `option ${key.slice(0, 60)}: '${protocol.slice(0, 40)}' is not a supported protocol`);
      }
      const spec = PROTOCOL_SPECS[protocol];
      if (!(spec.keys as readonly string[]).includes(setting) || key !== `${protocol}.${setting}`) {
        throw invalidArgument(`option ${key.slice(0, 60)} is not a setting of ${spec.title} (${spec.keys.map((k) => `${protocol}.${k}`).join(', ')})`);
      }
      let value = v.value;
      if (setting === 'port') {
        if (!INTEGER.has(v.signature)) throw invalidArgument(`option ${key} must be an integer (type 'q'), got type '${v.signature}'`);
      } else {
        value = typed(key, v, 's', 'a string');
      }
      (parsed.settings[protocol] ??= {})[setting as SettingKey] = checkSetting(setting as SettingKey, value, `option ${key}`);
    } else {
      throw invalidArgument(`unknown option '${key.slice(0, 60)}' (known: name, protocols${context === 'add' ? ', verify' : ''}, <protocol>.host, .port, .security, .username, .path, .url, .ca, sftp.hostkey)`);
    }
  }
  return parsed;
}
