/**
 * Settings every wallet protocol has: a network (mainnet by default), a backend URL (a public
 * one of the network unless the account names its own; required for `local`) and whether to
 * notify. A protocol adds its own settings and defaults around these.
 */
import { invalidArgument } from '../../errors.js';
import { RpcRefused } from './backend-errors.js';
import type { Label, RawSettings, SettingSpec, Settings } from '../plugin.js';
import { checkAll, mergeLayers, nonEmpty } from '../settings.js';

export const NOTIFY_SETTING: SettingSpec = {
  key: 'notify',
  property: 'Notify',
  kind: 'enum',
  values: ['true', 'false'],
  doc: 'true (default): received transfers show a desktop notification; false: only the TransferReceived signal.',
};

/**
 * The secret a backend's API key is kept in. A URL names where the key goes with `{api_key}`
 * (`https://mainnet.infura.io/v3/{api_key}`): the account file keeps the placeholder, the key
 * stays in the Secret Service, and only the running watcher and the check put them together.
 */
export const API_KEY = 'api_key';
const PLACEHOLDER = /\{api_key\}|%7Bapi_key%7D/gi;

/**
 * Checks and merges the layers, and fills in the wallet defaults. `checkUrl` checks the
 * protocol's kind of backend URL (the url setting's own kind is checked already).
 */
export function resolveWallet(
  specs: readonly SettingSpec[],
  layers: readonly RawSettings[],
  label: Label,
  publicUrls: Readonly<Record<string, string>>,
  checkUrl: (url: string, label: string) => string = (url) => url,
): Settings {
  const out = checkAll(specs, mergeLayers(specs, layers), label);
  out.network ||= 'mainnet';
  out.notify ||= 'true';
  if (!out.url) {
    const url = publicUrls[out.network];
    if (!url)
      throw invalidArgument(`${label('url')} is required for network ${out.network}: the address of your own backend`);
    out.url = url;
  }
  // URL parsing escapes the braces; the file keeps the placeholder as people write it.
  out.url = checkUrl(String(out.url), label('url')).replace(PLACEHOLDER, '{api_key}');
  return out;
}

/**
 * A backend URL of one of `schemes` (`['ws:', 'wss:']`), without credentials (a key belongs in
 * the secret api_key); `kinds` says in words what it must be.
 */
export function parseBackendUrl(value: string, label: string, schemes: readonly string[], kinds: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(`${label} is not a URL`);
  }
  if (!schemes.includes(url.protocol)) throw invalidArgument(`${label} must be ${kinds}`);
  if (url.username || url.password) throw invalidArgument(`${label} must not contain a user name or password`);
  return url;
}

/** The backend URL with the account's API key in place of `{api_key}`; throws naming the secret if it is needed and missing. */
export function backendUrl(url: string, secrets: Readonly<Record<string, string>>): string {
  if (!url.includes('{api_key}')) return url;
  const key = secrets[API_KEY];
  if (!key)
    throw new RpcRefused(
      `the backend URL needs an API key: store it as the secret '${API_KEY}' (px-accounts secret set ACCOUNT ${API_KEY})`,
    );
  return url.replaceAll('{api_key}', encodeURIComponent(key));
}

/** What an account file keeps: the settings that differ from the defaults (`extra`: the protocol's own). */
export function storedWallet(
  s: Settings,
  publicUrls: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string | number>> = {},
): RawSettings {
  const kept = nonEmpty(s);
  const defaults: Record<string, string | number | undefined> = {
    url: publicUrls[String(s.network)],
    notify: 'true',
    ...extra,
  };
  for (const [k, v] of Object.entries(defaults)) if (kept[k] === v) delete kept[k];
  return kept;
}

/** A private key (32 bytes of hex) or a BIP-39 mnemonic (12–24 words). */
export function looksSecret(value: string): string | undefined {
  const v = value.trim();
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(v)) return 'a private key';
  if (/^([a-z]+\s+){11,23}[a-z]+$/.test(v)) return 'a seed phrase';
  return undefined;
}
