/**
 * Provider icons (README: "Provider icons"): `icon` in a provider file's [provider] section is an
 * icon name of the freedesktop icon theme (`[A-Za-z0-9_.-]+`, e.g. `mail-unread`) or an absolute
 * path to an existing .svg or .png file. Without one, `icons/<id>.svg` next to the file is used
 * when it exists (every built-in provider has one, drawn for this project); else none ('').
 * Manual accounts (a bare protocol) get an icon name of the theme.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';

export const ICON_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const ICON_FILE = /\.(svg|png)$/i;

/** Checks a provider file's `icon`; throws with a reason a person can act on. */
export function checkIcon(value: string): string {
  if (ICON_NAME.test(value) && !value.includes('..') && !ICON_FILE.test(value)) return value;
  if (isAbsolute(value) && ICON_FILE.test(value) && normalize(value) === value) {
    let file = false;
    try {
      file = statSync(value).isFile();
    } catch {
      // missing: said below
    }
    if (!file) throw new Error(`[provider] icon: ${value} is not an existing file`);
    return value;
  }
  throw new Error(
    `[provider] icon must be an icon name (A-Z, a-z, 0-9, '_', '.', '-') or an absolute path to an .svg or .png file, got '${value.slice(0, 80)}'`,
  );
}

/** The icon of a provider read from `dir` (its own `icon`, else icons/<id>.svg there, else ''). */
export function providerIcon(given: unknown, id: string, dir: string | undefined): string {
  const value = typeof given === 'string' ? given.trim() : '';
  if (value) return checkIcon(value);
  if (!dir) return '';
  const drawn = join(dir, 'icons', `${id}.svg`);
  return existsSync(drawn) ? drawn : '';
}

/** Icon names of the freedesktop theme for manual accounts, by protocol. */
const MANUAL: Record<string, string> = {
  imap: 'mail-unread',
  pop3: 'mail-unread',
  smtp: 'mail-send',
  caldav: 'x-office-calendar',
  carddav: 'x-office-address-book',
  sftp: 'folder-remote',
  ftp: 'folder-remote',
  proxy: 'network-server',
  openvpn: 'network-vpn',
};

export const manualIcon = (protocol: string): string => MANUAL[protocol] ?? 'applications-internet';
