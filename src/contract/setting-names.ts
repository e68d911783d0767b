/**
 * The names of a protocol's settings, stated once for the service, the client library, the CLI
 * and the window (docs/plugins.md, "Setting names"). Each setting has three names, all following
 * from its key:
 *
 *   key       gap_limit   ListProtocols' `key`: option `btc.gap_limit`, INI key in `[btc]`,
 *                         `px-accounts --set btc.gap_limit=30`
 *   property  GapLimit    the read-only property on the protocol's interface
 *   field     gapLimit    the client library's name in `Account.settings.btc` and `SettingsInput`
 *
 * A key is lower-case words of a-z and 0-9, each beginning with a letter, joined by single `_`,
 * at most 32 characters: so the property gives the key back, and the mapping goes both ways
 * without loss. One name predates the rule and is kept as published: SFTP's `hostkey` is the
 * property `HostKey` (field `hostKey`).
 */

/** What a setting key looks like (the registry refuses any other). */
export const SETTING_KEY = /^(?=.{1,32}$)[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*$/;

/** Names published before the rule: key → property. */
const IRREGULAR: ReadonlyMap<string, string> = new Map([['hostkey', 'HostKey']]);
const IRREGULAR_KEYS: ReadonlyMap<string, string> = new Map([...IRREGULAR].map(([k, p]) => [p, k]));

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** `gap_limit` → `GapLimit`: the D-Bus property of a setting key. */
export const settingProperty = (key: string): string => IRREGULAR.get(key) ?? key.split('_').map(upperFirst).join('');

/** `GapLimit` → `gap_limit`: the setting key of a property. */
export const settingKeyOfProperty = (property: string): string =>
  IRREGULAR_KEYS.get(property) ?? property.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase());

/** `GapLimit` → `gapLimit`: the client's field for a property. */
export const settingFieldOfProperty = (property: string): string => lowerFirst(property);

/** `gap_limit` → `gapLimit`: the client's field for a setting key. */
export const settingField = (key: string): string => settingFieldOfProperty(settingProperty(key));

/**
 * `gapLimit` → `gap_limit`: the setting key a client field stands for. A key given as it is
 * (`gap_limit`, `profile_dir`) stays as it is, so callers may write either name.
 */
export const settingKeyOfField = (field: string): string =>
  SETTING_KEY.test(field) ? field : settingKeyOfProperty(upperFirst(field));

/** A key the mapping takes there and back: valid syntax, and its property gives it back. */
export const isSettingKey = (key: string): boolean =>
  SETTING_KEY.test(key) && settingKeyOfProperty(settingProperty(key)) === key;
