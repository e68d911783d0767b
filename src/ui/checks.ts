/**
 * Turning the page's forms into client-library input, and checking before saving: the add
 * and edit forms send settings as text; ListProtocols says which are numbers or lists. An
 * edit is checked with the account's current settings and stored secrets (read here, never
 * sent to the page) overlaid by the changes, so nothing is saved until the servers agree.
 */
import type {
  Account,
  AccountsClient,
  ProtocolInfo,
  ProtocolSetting,
  Provider,
  SettingsInput,
  VerifyResults,
} from '../client/index.js';
import { HttpError } from './http.js';
import { wordResult, type WordedResult } from './words.js';

type Settings = Partial<Record<string, SettingsInput>>;

/** The page's { protocol: { key: text } } as typed settings; empty fields are left out. */
export function settingsOf(raw: unknown, protocols: ProtocolInfo[]): Settings {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new HttpError(400, 'settings must be an object');
  const out: Settings = {};
  for (const [protocol, fields] of Object.entries(raw as Record<string, unknown>)) {
    const info = protocols.find((p) => p.id === protocol);
    if (!info) throw new HttpError(400, `unknown protocol '${protocol.slice(0, 40)}'`);
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
      throw new HttpError(400, `settings.${protocol} must be an object`);
    const s: SettingsInput = {};
    for (const [key, value] of Object.entries(fields as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new HttpError(400, `${protocol}.${key} must be text`);
      if (value.length > 256 * 1024) throw new HttpError(400, `${protocol}.${key} is too long`);
      const spec = info.settings.find((x) => x.key === key);
      if (!spec) {
        if (info.imports.includes(key))
          s[key] = value; // an import (openvpn.profile)
        else throw new HttpError(400, `${info.name} has no setting '${key.slice(0, 40)}'`);
        continue;
      }
      // '' clears only what may be empty (a pinned host key); elsewhere it means "unchanged".
      if (value === '' && spec.kind !== 'hostkey') continue;
      if (spec.type === 'q' || spec.kind === 'port' || spec.kind === 'count') {
        const n = /^\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : NaN;
        if (!Number.isSafeInteger(n)) throw new HttpError(400, `${info.name} ${key} must be a whole number`);
        s[key] = n;
      } else if (spec.type === 'as') {
        s[key] = value
          .split(/[\n,]/)
          .map((x) => x.trim())
          .filter(Boolean);
      } else {
        s[key] = value;
      }
    }
    if (Object.keys(s).length) out[protocol] = s;
  }
  return out;
}

/** The current value of a setting on an account (the client names it by the setting's field: gap_limit is gapLimit). */
function currentValue(
  account: Account,
  protocol: string,
  spec: ProtocolSetting,
): string | number | string[] | undefined {
  return account.settings[protocol]?.[spec.field];
}

/** Only the settings that differ from the account's current values. */
export function changedSettings(account: Account, wanted: Settings, protocols: ProtocolInfo[]): Settings {
  const out: Settings = {};
  for (const [protocol, fields] of Object.entries(wanted)) {
    const info = protocols.find((p) => p.id === protocol)!;
    for (const [key, value] of Object.entries(fields ?? {})) {
      const spec = info.settings.find((x) => x.key === key);
      const now = spec ? currentValue(account, protocol, spec) : undefined;
      const same = Array.isArray(value)
        ? String(now ?? '') === value.join(spec?.type === 'as' ? ',' : '')
        : String(now ?? '') === String(value);
      if (spec && same) continue;
      (out[protocol] ??= {})[key] = value;
    }
  }
  return out;
}

/** The account's settings for `enabled`, as AddAccount options, overlaid by `changes`. */
export function mergedSettings(
  account: Account,
  enabled: string[],
  changes: Settings,
  protocols: ProtocolInfo[],
): Settings {
  const out: Settings = {};
  for (const protocol of enabled) {
    const info = protocols.find((p) => p.id === protocol);
    if (!info) continue;
    const s: SettingsInput = {};
    // Every current value goes to the check, the ones the form cannot edit (certificates) too.
    for (const spec of info.settings) {
      const v = currentValue(account, protocol, spec);
      if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
      s[spec.key] = Array.isArray(v) || spec.type !== 'as' ? v : String(v).split(',').filter(Boolean);
    }
    Object.assign(s, changes[protocol] ?? {});
    if (Object.keys(s).length) out[protocol] = s;
  }
  return out;
}

/** Where a protocol's check goes, for the words: the form's server, else the provider's. */
function serverOf(protocol: string, settings: Settings, provider: Provider | undefined, account?: Account): string {
  const s = { ...provider?.servers[protocol], ...account?.settings[protocol], ...settings[protocol] } as Record<
    string,
    unknown
  >;
  if (typeof s.url === 'string' && s.url) return s.url;
  if (typeof s.host === 'string' && s.host) {
    const port = typeof s.port === 'number' || typeof s.port === 'string' ? s.port : '';
    return port ? `${s.host}:${port}` : s.host;
  }
  return '';
}

export function worded(
  results: VerifyResults,
  protocols: ProtocolInfo[],
  settings: Settings,
  provider?: Provider,
  account?: Account,
): WordedResult[] {
  return Object.entries(results).map(([protocol, r]) =>
    wordResult(
      protocol,
      protocols.find((p) => p.id === protocol)?.name ?? protocol.toUpperCase(),
      serverOf(protocol, settings, provider, account),
      r!,
    ),
  );
}

/** The stored secrets of an account, read for a check (never sent to the page). OAuth2 tokens are not secrets a check takes. */
export async function storedSecrets(
  client: AccountsClient,
  account: Account,
  except: Record<string, string>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of account.credentials) {
    if (name === 'oauth2' || name in except) continue;
    out[name] = await client.getSecret(account.id, name);
  }
  return out;
}
