/**
 * Apps' notes about an account (Account.SetData and Data; the account file's [data]): each key
 * is the writing app's name, a colon and the app's own key, so an app writes only its own
 * keys; small and capped, since every app reads them and the file is read at every change.
 */
import { AccountsError, invalidArgument } from '../errors.js';
import { checkText } from '../util/validate.js';

/** An app's own key: what follows `<app>:`. */
const OWN_KEY = /^[A-Za-z0-9._-]{1,64}$/;
/** Bytes of one value (UTF-8). */
export const MAX_DATA_VALUE = 1024;
/** Bytes of every key and value of one account together (UTF-8). */
export const MAX_DATA_TOTAL = 16 * 1024;
/** Bytes of one app's keys and values on one account: no app can fill the account for the others. */
export const MAX_DATA_PER_APP = 4 * 1024;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The stored key of `app`'s own `key`. */
export function dataKey(app: string, key: string): string {
  if (!OWN_KEY.test(key))
    throw invalidArgument(
      `data key ${JSON.stringify(key.slice(0, 80))} is invalid: use 1 to 64 letters, digits, '.', '_' or '-' (the service puts your app's name in front)`,
    );
  return `${app}:${key}`;
}

/**
 * The account's data after `app` set `key` to `value` ('' removes it); undefined when it is
 * left empty. Throws InvalidArgument or LimitExceeded and changes nothing.
 */
export function withData(
  data: Readonly<Record<string, string>> | undefined,
  app: string,
  key: string,
  value: string,
): Record<string, string> | undefined {
  const full = dataKey(app, key);
  const next = { ...data };
  if (value === '') {
    delete next[full];
  } else {
    if (bytes(value) > MAX_DATA_VALUE)
      throw new AccountsError(
        'LimitExceeded',
        `the value of data key ${key} is ${bytes(value)} bytes, at most ${MAX_DATA_VALUE}`,
      );
    checkText(value, `the value of data key ${key}`, MAX_DATA_VALUE);
    next[full] = value;
    const size = (entries: [string, string][]) => entries.reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0);
    const own = size(Object.entries(next).filter(([k]) => k.startsWith(`${app}:`)));
    if (own > MAX_DATA_PER_APP) {
      throw new AccountsError(
        'LimitExceeded',
        `this app's notes on the account would be ${own} bytes, at most ${MAX_DATA_PER_APP}: remove notes it no longer needs (SetData with an empty value)`,
      );
    }
    const total = size(Object.entries(next));
    if (total > MAX_DATA_TOTAL) {
      throw new AccountsError(
        'LimitExceeded',
        `the account's data would be ${total} bytes, at most ${MAX_DATA_TOTAL}: remove notes it no longer needs (SetData with an empty value)`,
      );
    }
  }
  return Object.keys(next).length ? next : undefined;
}

/** The [data] section of a file as read (values of any type a hand edit made), as text. */
export function parseDataSection(section: Record<string, unknown>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(section)) {
    // A sub-section or a list is not a note; ini gives strings, and true for a bare key.
    if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') out[k] = String(v);
  }
  return Object.keys(out).length ? out : undefined;
}
