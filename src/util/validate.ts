/** Checks for single values; each failure names the argument it is about. */
import { invalidArgument } from '../errors.js';

// C0 controls, DEL and C1 controls (Unicode's Cc): never valid in names, hosts or paths.
const CONTROL = /\p{Cc}/u;

export function checkText(value: string, what: string, max: number, allowEmpty = false): string {
  if (value.length === 0 && !allowEmpty) throw invalidArgument(`${what} must not be empty`);
  if (value.length > max) throw invalidArgument(`${what} is too long (${value.length} characters, at most ${max})`);
  if (CONTROL.test(value)) throw invalidArgument(`${what} must not contain control characters`);
  return value;
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._:-]+)$/;

export function checkHost(value: string, what: string): string {
  checkText(value, what, 253);
  if (!HOST.test(value)) throw invalidArgument(`${what} '${value}' is not a host name or address`);
  return value.startsWith('[') ? value.slice(1, -1) : value;
}

export function checkPort(value: unknown, what: string): number {
  const n =
    typeof value === 'bigint'
      ? Number(value)
      : typeof value === 'string' && /^\d{1,5}$/.test(value)
        ? Number(value)
        : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw invalidArgument(
      `${what} must be a port number from 1 to 65535, got ${JSON.stringify(String(value)).slice(0, 40)}`,
    );
  }
  return n;
}

export function checkUrl(value: string, what: string): URL {
  checkText(value, what, 2048);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(`${what} '${value}' is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalidArgument(`${what} must be an http or https URL`);
  // Credentials in a URL would end up in a file and in properties.
  if (url.username || url.password)
    throw invalidArgument(`${what} must not contain a user name or password; use secrets`);
  if (!url.hostname) throw invalidArgument(`${what} has no host`);
  return url;
}

export function checkAbsolutePath(value: string, what: string): string {
  checkText(value, what, 4096);
  if (!value.startsWith('/')) throw invalidArgument(`${what} must be an absolute file path`);
  return value;
}

/**
 * dbus-next builds a{..} arguments as plain objects, so a key "__proto__" becomes the object's
 * prototype instead of a key. Such a key is refused rather than silently dropped.
 */
export function checkPlainDict(dict: object, what: string): void {
  const proto: unknown = Object.getPrototypeOf(dict);
  if (proto !== Object.prototype && proto !== null)
    throw invalidArgument(`${what}: the key '__proto__' is not allowed`);
}

export const MAX_SECRETS_PER_CALL = 32;

const SECRET_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function checkSecretName(value: string): string {
  if (!SECRET_NAME.test(value)) {
    throw invalidArgument(
      `secret name ${JSON.stringify(value.slice(0, 80))} is invalid: use 1 to 64 letters, digits, '.', '_' or '-'`,
    );
  }
  return value;
}

export const MAX_SECRET_LENGTH = 64 * 1024;

export function checkSecretValue(value: string, name: string): string {
  // The value itself is never quoted back: only its name and size.
  if (value.length === 0) throw invalidArgument(`secret '${name}' must not be empty`);
  if (value.length > MAX_SECRET_LENGTH)
    throw invalidArgument(`secret '${name}' is too long (at most ${MAX_SECRET_LENGTH} characters)`);
  return value;
}
