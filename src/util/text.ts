/**
 * A value from outside (a server's JSON, a settings layer) as text for a message or a
 * comparison: strings as they are, numbers and booleans written out, anything else (an object,
 * a list, null) as `fallback` — never "[object Object]".
 */
export const textOf = (v: unknown, fallback = ''): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : fallback;
