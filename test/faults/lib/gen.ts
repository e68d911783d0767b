/**
 * Generators of hostile D-Bus values for the fuzzer: strings with every control character,
 * huge strings, path-like names, edge integers of every width, wrong variant types, empty
 * and huge dicts, and option/secret dicts that look almost right.
 */
import dbus from 'dbus-next';
import { newSecret, type Rng } from './common.js';

const { Variant } = dbus;
type V = InstanceType<typeof Variant>;

export const PROTOCOLS = ['imap', 'smtp', 'pop3', 'caldav', 'carddav', 'sftp'];
export const SETTING_KEYS = ['host', 'port', 'security', 'username', 'path', 'url', 'ca', 'hostkey'];
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', '[::1]', 'localhost'];
const MiB = 1024 * 1024;

const C0 = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('');
const C1 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(0x80 + i)).join('');
export const EVERY_CONTROL = C0 + '\x7f' + C1;
let huge: string | undefined;
/** One MiB of text, made once. */
export const hugeString = () => (huge ??= 'h'.repeat(MiB));

export const STRING_POOL: readonly string[] = [
  '',
  ' ',
  '  lead',
  'trail  ',
  'password',
  'imap',
  'smtp',
  'sftp',
  'caldav',
  'fastmail',
  'google',
  'gandi',
  'none',
  'online',
  'offline',
  'error',
  'tls',
  'starttls',
  'imap.host',
  'imap.port',
  'name',
  'protocols',
  'verify',
  '../../x',
  '../../../../etc/passwd',
  '/etc/passwd',
  '/etc/shadow',
  '..',
  '.',
  '/',
  '//',
  '\\..\\..\\x',
  'x/../../y',
  '~/.ssh/id_rsa',
  'file:///etc/passwd',
  '%s%s%s%n',
  '%x%x',
  '${HOME}',
  '$(id)',
  '`id`',
  "'; DROP TABLE accounts; --",
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '65536',
  '1e999',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__defineGetter__',
  EVERY_CONTROL,
  `a${EVERY_CONTROL}b`,
  'a\nb',
  'line\r\ninjected = yes',
  '[account]\nprovider = google',
  'x\ty',
  '\x1b[31mred\x1b[0m',
  '\x7f',
  '\u0085',
  '\u2028',
  '\u2029',
  'é',
  'ÄÖÜ',
  '日本語',
  '👩‍👩‍👧‍👦',
  '\u202eevil',
  '\u200b',
  'e\u0301',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\ufffe',
  '\uffff',
  '\u{10ffff}',
  'Ⅻ',
  'ＡＢＣ',
  'fz@example.org',
  'FZ@EXAMPLE.ORG',
  '@',
  'a@b@c',
  '@example.org',
  'fz@',
  ' fz@example.org',
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(200),
  'a'.repeat(201),
  'a'.repeat(256),
  'a'.repeat(257),
  'a'.repeat(321),
  'b'.repeat(1025),
  'c'.repeat(2049),
  'd'.repeat(4097),
  'e'.repeat(65537),
  ...LOOPBACK_HOSTS,
  'http://127.0.0.1:1/',
  'https://[::1]:1/dav/',
  'ftp://127.0.0.1/',
  'http://user:pw@127.0.0.1/',
  'javascript:alert(1)',
  'http://',
  'https://127.0.0.1:99999/',
  'SHA256:' + 'A'.repeat(43),
  'SHA256:x',
];

/** A hostile string: from the pool, 1 MiB now and then, or pieces glued together. */
export function hostileString(rng: Rng): string {
  const r = rng.next();
  if (r < 0.015) return hugeString();
  if (r < 0.7) return rng.pick(STRING_POOL);
  if (r < 0.85) return rng.pick(STRING_POOL) + rng.pick(STRING_POOL);
  // Random code points from interesting ranges (never NUL: the wire cannot carry it in a string).
  let out = '';
  const n = rng.range(1, 40);
  for (let i = 0; i < n; i++) {
    const [lo, hi] = rng.pick<readonly [number, number]>([
      [1, 0x1f],
      [0x20, 0x7e],
      [0x7f, 0x9f],
      [0xa0, 0x2fff],
      [0xd800, 0xdfff],
      [0xe000, 0xfffd],
      [0xfffe, 0xffff],
      [0x10000, 0x10ffff],
    ]);
    out += String.fromCodePoint(rng.range(lo, hi));
  }
  return out;
}

export const OBJECT_PATHS = [
  '/',
  '/org',
  '/org/pantherx/Accounts',
  '/org/pantherx/Accounts/account',
  '/org/pantherx/Accounts/account/nope',
  '/a/b/c',
  '/_',
];

/** Integer edge values per D-Bus type (x and t are BigInt for dbus-next). */
export const INTS: Record<string, readonly (number | bigint)[]> = {
  y: [0, 1, 127, 255],
  n: [-32768, -1, 0, 1, 22, 32767],
  q: [0, 1, 22, 443, 993, 65535],
  i: [-2147483648, -1, 0, 1, 993, 65535, 65536, 2147483647],
  u: [0, 1, 993, 65535, 65536, 4294967295],
  x: [-(2n ** 63n), -1n, 0n, 1n, 993n, 65536n, 2n ** 63n - 1n],
  t: [0n, 1n, 993n, 65535n, 65536n, 2n ** 64n - 1n],
};
const DOUBLES = [0, -0, 1.5, 993, NaN, Infinity, -Infinity, 1e308, -1e-308];
const SIGNATURES = ['', 's', 'v', 'a{sv}', 'a{ss}', '(ii)', 'aaaai', 'ssa{ss}a{sv}'];

const BASIC = ['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 's', 'o', 'g'];

/** A random complete type (depth-limited). */
export function randomType(rng: Rng, depth = 0): string {
  const r = rng.next();
  if (depth > 2 || r < 0.55) return rng.pick(BASIC);
  if (r < 0.7) return 'v';
  if (r < 0.8) return 'a' + randomType(rng, depth + 1);
  if (r < 0.9) return `a{s${randomType(rng, depth + 1)}}`;
  const n = rng.range(1, 3);
  return '(' + Array.from({ length: n }, () => randomType(rng, depth + 1)).join('') + ')';
}

/** Splits a signature into its complete types. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  let i = 0;
  const one = (): string => {
    const c = sig.charAt(i++);
    if (c === '') throw new Error(`incomplete signature '${sig}'`);
    if (c === 'a') return 'a' + one();
    if (c === '(' || c === '{') {
      const close = c === '(' ? ')' : '}';
      let s = c;
      while (sig[i] !== close) s += one();
      i++;
      return s + close;
    }
    return c;
  };
  while (i < sig.length) out.push(one());
  return out;
}

/** Sets an own enumerable property, even one named __proto__. */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, configurable: true, writable: true });
}

/** A value of the given complete type. */
export function valueOf(rng: Rng, type: string, depth = 0): unknown {
  const code = type.charAt(0);
  switch (code) {
    case 'b':
      return rng.chance(0.5);
    case 'd':
      return rng.pick(DOUBLES);
    case 's':
      return hostileString(rng);
    case 'o':
      return rng.pick(OBJECT_PATHS);
    case 'g':
      return rng.pick(SIGNATURES);
    case 'v':
      return randomVariant(rng, depth + 1);
    case 'a': {
      const inner = type.slice(1);
      if (inner === '{sv}' && rng.chance(0.7)) return optionsDict(rng);
      if (inner === '{ss}' && rng.chance(0.7)) return secretsDict(rng, false);
      const n = rng.chance(0.2) ? 0 : rng.chance(0.01) && depth === 0 ? rng.range(1000, 3000) : rng.range(1, 5);
      if (inner.startsWith('{')) {
        const [k = '', v = ''] = splitSignature(inner.slice(1, -1));
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++)
          setOwn(
            o,
            k === 's' ? (n > 10 ? `key${i}` : hostileString(rng).slice(0, 300)) : String(valueOf(rng, k, depth + 1)),
            valueOf(rng, v, depth + 1),
          );
        return o;
      }
      return Array.from({ length: n }, () => valueOf(rng, inner, depth + 1));
    }
    case '(':
      return splitSignature(type.slice(1, -1)).map((t) => valueOf(rng, t, depth + 1));
    default:
      return rng.pick(INTS[code] ?? []);
  }
}

export function randomVariant(rng: Rng, depth = 0): V {
  const t = depth > 3 ? rng.pick(BASIC) : randomType(rng, depth);
  return new Variant(t, valueOf(rng, t, depth + 1));
}

/** An integer variant of any width with an edge value (ports: 0, 65536, -1 as i, 2^32-1 as u …). */
export function intVariant(rng: Rng): V {
  const t = rng.pick(Object.keys(INTS));
  return new Variant(t, rng.pick(INTS[t] ?? []));
}

export function optionKey(rng: Rng): string {
  const r = rng.next();
  if (r < 0.15) return rng.pick(['name', 'protocols', 'verify']);
  if (r < 0.75)
    return `${rng.pick([...PROTOCOLS, ...PROTOCOLS, 'nope', 'IMAP', ''])}.${rng.pick([...SETTING_KEYS, 'nope', '', 'host.x'])}`;
  return rng.pick([
    'colour',
    '',
    '.',
    'imap.',
    '.host',
    '__proto__',
    'constructor',
    'toString',
    'name ',
    'Name',
    hostileString(rng).slice(0, 200),
  ]);
}

function optionValue(rng: Rng, key: string): V {
  if (rng.chance(0.3)) return randomVariant(rng);
  const setting = key.split('.')[1];
  if (key === 'protocols')
    return new Variant(
      'as',
      Array.from({ length: rng.range(0, 4) }, () =>
        rng.chance(0.7) ? rng.pick(PROTOCOLS) : hostileString(rng).slice(0, 100),
      ),
    );
  if (key === 'verify') return new Variant('b', rng.chance(0.5));
  if (setting === 'port') {
    if (rng.chance(0.8)) return intVariant(rng);
    return rng.pick([
      new Variant('s', '993'),
      new Variant('d', 993),
      new Variant('b', true),
      new Variant('v', new Variant('q', 993)),
      new Variant('aq', [993]),
    ]);
  }
  if (setting === 'host') return new Variant('s', rng.chance(0.5) ? rng.pick(LOOPBACK_HOSTS) : hostileString(rng));
  if (setting === 'security')
    return new Variant('s', rng.pick(['tls', 'starttls', 'none', 'TLS', 'ssl', '', hostileString(rng)]));
  if (setting === 'url')
    return new Variant(
      's',
      rng.chance(0.5)
        ? rng.pick(['http://127.0.0.1:1/', 'https://[::1]:1/dav/', 'http://localhost:1/x'])
        : hostileString(rng),
    );
  return new Variant('s', hostileString(rng));
}

/** a{sv} options: almost right, wrong types, unknown keys; sometimes empty or huge. */
export function optionsDict(rng: Rng): Record<string, V> {
  const o: Record<string, V> = {};
  if (rng.chance(0.01)) {
    for (let i = 0; i < 5000; i++) setOwn(o, `unknown.key${i}`, new Variant('s', 'x'));
    return o;
  }
  const n = rng.chance(0.15) ? 0 : rng.range(1, 6);
  for (let i = 0; i < n; i++) {
    const k = optionKey(rng);
    setOwn(o, k, optionValue(rng, k));
  }
  return o;
}

export const SECRET_NAMES = [
  'password',
  'imap',
  'smtp',
  'sftp',
  'caldav',
  'x.y-z_1',
  'a b',
  '',
  'x'.repeat(64),
  'x'.repeat(65),
  '../x',
  '/etc/passwd',
  'p\n',
  'ü',
  '__proto__',
  'constructor',
];

/** a{ss} secrets: test secrets (registered for the leak checks) under odd names; sometimes huge. */
export function secretsDict(rng: Rng, tokensOnly: boolean): Record<string, string> {
  const o: Record<string, string> = {};
  if (rng.chance(0.01)) {
    for (let i = 0; i < 5000; i++) setOwn(o, `bad name ${i}`, 'x');
    return o;
  }
  const n = rng.chance(0.3) ? 0 : rng.range(1, 4);
  for (let i = 0; i < n; i++) {
    const value =
      tokensOnly || rng.chance(0.7) ? newSecret() : rng.pick(['', 'x'.repeat(65537), EVERY_CONTROL, hugeString()]);
    setOwn(o, rng.chance(0.8) ? rng.pick(SECRET_NAMES) : hostileString(rng).slice(0, 100), value);
  }
  return o;
}
