/**
 * OpenVPN profiles (.ovpn) in and out, with an allow-list like NetworkManager-openvpn's
 * importer: only client options are kept; a directive that runs a program, loads a plugin,
 * opens a management port, writes or reads files or changes the directory is refused by name.
 * Key material (<key>, <pkcs12>, <tls-auth>, <tls-crypt>, <tls-crypt-v2>, <secret>) becomes
 * named secrets; certificates and options stay as settings a person can edit.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { AccountsError, invalidArgument } from '../../errors.js';

export const MAX_PROFILE = 256 * 1024;
const MAX_REMOTES = 64;

/** Client options kept as they are (their arguments are checked for control characters only). */
const ALLOWED = new Set([
  'client',
  'tls-client',
  'pull',
  'dev',
  'dev-type',
  'proto',
  'remote-random',
  'remote-random-hostname',
  'resolv-retry',
  'nobind',
  'bind',
  'persist-key',
  'persist-tun',
  'persist-remote-ip',
  'float',
  'port',
  'rport',
  'lport',
  'remote-cert-tls',
  'remote-cert-ku',
  'remote-cert-eku',
  'ns-cert-type',
  'verify-x509-name',
  'x509-username-field',
  'cipher',
  'data-ciphers',
  'data-ciphers-fallback',
  'ncp-ciphers',
  'ncp-disable',
  'auth',
  'key-direction',
  'key-method',
  'tls-version-min',
  'tls-version-max',
  'tls-cipher',
  'tls-ciphersuites',
  'tls-groups',
  'tls-cert-profile',
  'ecdh-curve',
  'comp-lzo',
  'compress',
  'allow-compression',
  'auth-nocache',
  'auth-retry',
  'auth-token',
  'reneg-sec',
  'reneg-bytes',
  'reneg-pkts',
  'keepalive',
  'ping',
  'ping-restart',
  'ping-exit',
  'ping-timer-rem',
  'inactive',
  'verb',
  'mute',
  'mute-replay-warnings',
  'fragment',
  'mssfix',
  'tun-mtu',
  'tun-mtu-extra',
  'link-mtu',
  'mtu-disc',
  'mtu-test',
  'sndbuf',
  'rcvbuf',
  'txqueuelen',
  'connect-retry',
  'connect-retry-max',
  'connect-timeout',
  'server-poll-timeout',
  'hand-window',
  'tran-window',
  'explicit-exit-notify',
  'route',
  'route-ipv6',
  'route-delay',
  'route-metric',
  'route-nopull',
  'redirect-gateway',
  'redirect-private',
  'block-ipv6',
  'topology',
  'dhcp-option',
  'block-outside-dns',
  'pull-filter',
  'ifconfig-nowarn',
  'replay-window',
  'tun-ipv6',
  'push-peer-info',
  'setenv-safe',
  'http-proxy-retry',
  'socks-proxy-retry',
  'allow-pull-fqdn',
  'static-challenge',
  'peer-fingerprint',
  'machine-readable-output',
  'disable-occ',
  'opt-verify',
  'mark',
  'tls-timeout',
  'tls-exit',
  'single-session',
  'udp-mtu',
  'auth-token-user',
]);

/** Refused with the reason a person needs. */
const REFUSED: Record<string, string> = {
  up: 'runs a program',
  down: 'runs a program',
  'route-up': 'runs a program',
  'route-pre-down': 'runs a program',
  ipchange: 'runs a program',
  'client-connect': 'runs a program',
  'client-disconnect': 'runs a program',
  'learn-address': 'runs a program',
  'auth-user-pass-verify': 'runs a program',
  'tls-verify': 'runs a program',
  iproute: 'runs a program',
  'script-security': 'allows running programs',
  plugin: 'loads a plugin into OpenVPN',
  management: 'opens a management port',
  'management-client': 'opens a management port',
  'management-query-passwords': 'belongs to the management interface',
  'management-hold': 'belongs to the management interface',
  config: 'reads another configuration file',
  cd: 'changes the directory',
  chroot: 'changes the root directory',
  log: 'writes a file',
  'replay-persist': 'writes a file',
  'log-append': 'writes a file',
  status: 'writes a file',
  writepid: 'writes a file',
  'tmp-dir': 'names a directory for files',
  daemon: 'detaches from the caller',
  syslog: 'changes logging',
  setenv: 'sets variables for scripts',
  user: 'changes the user',
  group: 'changes the group',
  mlock: 'locks memory',
  askpass: 'reads a password from a file (give it as the key-passphrase secret)',
  'http-proxy': 'names a proxy (use a proxy account)',
  'socks-proxy': 'names a proxy (use a proxy account)',
  'auth-user-pass-optional': 'is a server option',
  'crl-verify': 'reads a file at run time',
  capath: 'reads a directory at run time',
  dh: 'is a server option',
  server: 'is a server option',
  mode: 'is a server option',
  'tls-server': 'is a server option',
  ifconfig: 'configures an interface',
  'ifconfig-ipv6': 'configures an interface',
  'pkcs11-providers': 'loads a library',
  engine: 'loads a crypto engine',
  providers: 'loads crypto providers',
  'dev-node': 'names a device node',
  lladdr: 'changes a link address',
  echo: 'passes commands to a GUI',
};

/** Blocks holding key material: kept in the Secret Service under these names. */
export const KEY_BLOCKS = ['key', 'pkcs12', 'tls-auth', 'tls-crypt', 'tls-crypt-v2', 'secret'] as const;
/** Blocks holding certificates: settings (base64 DER, space-separated), hand-editable. */
const CERT_BLOCKS = { ca: 'ca', cert: 'cert', 'extra-certs': 'extra_certs' } as const;
const BLOCKS = new Set<string>([
  ...KEY_BLOCKS,
  ...Object.keys(CERT_BLOCKS),
  'auth-user-pass',
  'connection',
  'http-proxy-user-pass',
]);

export interface ImportedProfile {
  /** Raw settings for the openvpn protocol. */
  settings: Record<string, string>;
  /** Key material and the auth-user-pass password, by secret name. */
  secrets: Record<string, string>;
}

// eslint-disable-next-line no-control-regex -- the C0 controls but tab and line feed, and DEL: what a profile line may not hold
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
/** OpenVPN reads a profile line in pieces of at most 255 bytes (OPTION_LINE_SIZE 256): longer lines are not lines to it. */
export const MAX_LINE = 250;

/** Splits a directive line into words, honouring OpenVPN's quoting. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3])!);
  return out;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Certificates (PEM) → base64 DER, space-separated; each must parse. */
export function certsToSetting(pem: string, what: string): string {
  const blocks = pem.match(PEM_CERT);
  if (!blocks?.length) throw invalidArgument(`${what} holds no PEM certificate`);
  return blocks
    .map((b) => {
      try {
        return new X509Certificate(b).raw.toString('base64');
      } catch {
        throw invalidArgument(`${what} holds a certificate that cannot be parsed`);
      }
    })
    .join(' ');
}

/** The setting back to PEM. */
export function settingToPem(value: string): string {
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((b64) => `-----BEGIN CERTIFICATE-----\n${wrapBase64(b64)}-----END CERTIFICATE-----\n`)
    .join('');
}

/** Base64 in lines of 64 (PEM's; OpenVPN decodes an inline <pkcs12> with OpenSSL's base64 BIO, which cannot read longer ones). */
export function wrapBase64(text: string): string {
  return text.replace(/\s+/g, '').replace(/(.{64})(?=.)/g, '$1\n') + '\n';
}

const PRIVATE_KEYS = ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];
const BASE64_LINE = /^[A-Za-z0-9+/=]+$/;
const HEX_LINE = /^[0-9A-Fa-f]+$/;
/** Headers of a legacy encrypted PEM key (OpenSSL's traditional format). */
const PEM_HEADER = /^(Proc-Type|DEK-Info): [A-Za-z0-9,-]{1,100}$/;

/**
 * A key block exactly as OpenVPN reads one and nothing more: comment lines before a static key,
 * the BEGIN line, body lines in the key's alphabet, the END line. No other line can pass, so a
 * secret can never close its block and add directives to the profile rendered for a check
 * (a `plugin` or a `config` line). Used on every path a key reaches the service by. Returns the
 * block with its lines trimmed; the value is never quoted in an error.
 */
export function checkKeyBlock(name: string, text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length && !lines[0]) lines.shift();
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  if (name === 'pkcs12') {
    if (!lines.length || !lines.every((l) => BASE64_LINE.test(l))) throw invalidArgument('<pkcs12> must be base64');
    return lines.join('\n') + '\n';
  }
  const isStatic = name !== 'key';
  const kinds =
    name === 'key'
      ? PRIVATE_KEYS
      : name === 'tls-crypt-v2'
        ? ['OpenVPN tls-crypt-v2 client key']
        : ['OpenVPN Static key V1'];
  const what =
    name === 'key'
      ? '<key> is not a PEM private key'
      : `<${name}> is not an OpenVPN ${name === 'tls-crypt-v2' ? 'tls-crypt-v2 client key' : 'static key'}`;
  let first = 0;
  while (isStatic && first < lines.length && lines[first]!.startsWith('#')) first++;
  const last = lines.length - 1;
  const begin = /^-----BEGIN ([A-Za-z0-9 -]+)-----$/.exec(lines[first] ?? '');
  const end = /^-----END ([A-Za-z0-9 -]+)-----$/.exec(lines[last] ?? '');
  if (!begin || !end || last <= first + 1 || begin[1] !== end[1] || !kinds.includes(begin[1]!))
    throw invalidArgument(what);
  const alphabet = name === 'key' || name === 'tls-crypt-v2' ? BASE64_LINE : HEX_LINE;
  for (const line of lines.slice(first + 1, last)) {
    if (line && !alphabet.test(line) && !(name === 'key' && PEM_HEADER.test(line)))
      throw invalidArgument(`${what}: it holds a line that is not key material`);
  }
  // Comments are dropped, never rendered: OpenVPN reads a line in pieces of 255 bytes, and a
  // piece starting with </name> ends the block whatever the line began with.
  const kept = lines.slice(first);
  if (kept.some((l) => l.length > MAX_LINE))
    throw invalidArgument(`${what}: a line is longer than ${MAX_LINE} characters`);
  return kept.join('\n') + '\n';
}

/** Secrets OpenVPN is given through its management interface: one quoted line each. */
export const MANAGEMENT_SECRETS = ['password', 'openvpn', 'key-passphrase'] as const;

/** A password or passphrase the management interface can carry: no line break or other control character. */
export function checkManagementSecret(name: string, value: string): string {
  // eslint-disable-next-line no-control-regex -- OpenVPN's management interface reads bytes up to a line break
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw invalidArgument(
      `secret '${name}' must not contain line breaks or other control characters (OpenVPN reads it as one line)`,
    );
  return value;
}

/**
 * Reads a file a directive names: absolute, or relative to `dir` (the profile's directory). A
 * PKCS#12 file is binary (DER): it becomes the base64 an inline <pkcs12> block holds.
 */
function readReferenced(directive: string, file: string, dir: string | null | undefined): string {
  if (dir === null)
    throw new AccountsError(
      'AccessDenied',
      `${directive} ${file}: a sandboxed app cannot have the service read files; inline it as <${directive}>`,
    );
  if (!isAbsolute(file) && !dir)
    throw invalidArgument(
      `${directive} ${file}: a relative file needs openvpn.profile_dir (the profile's directory), or inline it as <${directive}>`,
    );
  const path = isAbsolute(file) ? file : join(dir!, file);
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_PROFILE) throw new Error('too large');
    const text = bytes.toString('utf8');
    return directive === 'pkcs12' && !/^[A-Za-z0-9+/=\s]+$/.test(text) ? bytes.toString('base64') : text;
  } catch (err) {
    throw invalidArgument(
      `${directive} ${file}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/**
 * Parses a profile; throws InvalidArgument naming the line and what is wrong. `dir` resolves
 * files the profile names; null when the caller may not have files read (a sandboxed app).
 */
export function importProfile(text: string, dir?: string | null): ImportedProfile {
  if (text.length > MAX_PROFILE)
    throw invalidArgument(`openvpn.profile is too large (${text.length} characters, at most ${MAX_PROFILE})`);
  if (text.includes('\u0000')) throw invalidArgument('openvpn.profile is binary, not an OpenVPN profile');
  if (typeof dir === 'string' && !isAbsolute(dir))
    throw invalidArgument('openvpn.profile_dir must be an absolute directory');
  const settings: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const options: string[] = [];
  const remotes: string[] = [];
  let proto = 'udp';
  let port = '1194';
  let password = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    const at = `line ${i + 1}`;
    if (!raw || raw.startsWith('#') || raw.startsWith(';')) continue;
    if (CONTROL.test(raw)) throw invalidArgument(`openvpn.profile ${at}: control characters`);
    const block = /^<([a-z0-9-]+)>$/.exec(raw);
    if (block) {
      const name = block[1]!;
      if (!BLOCKS.has(name)) throw invalidArgument(`openvpn.profile ${at}: the block <${name}> is not allowed`);
      const end = lines.findIndex((l, j) => j > i && l.trim() === `</${name}>`);
      if (end < 0) throw invalidArgument(`openvpn.profile ${at}: <${name}> is never closed`);
      const body = lines.slice(i + 1, end).join('\n');
      i = end;
      if (name === 'connection' || name === 'http-proxy-user-pass')
        throw invalidArgument(`openvpn.profile ${at}: <${name}> blocks are not supported; use remote lines`);
      if (name === 'auth-user-pass') {
        const [user, pass] = body.split('\n').map((s) => s.trim());
        if (user) settings.username = user;
        if (pass) secrets.password = pass;
        password = true;
      } else if (name in CERT_BLOCKS) {
        settings[CERT_BLOCKS[name as keyof typeof CERT_BLOCKS]] = certsToSetting(body, `<${name}>`);
      } else {
        secrets[name] = checkKeyBlock(name, body);
      }
      continue;
    }
    const [directive, ...args] = words(raw.replace(/^--/, ''));
    const d = directive!.toLowerCase();
    if (REFUSED[d]) throw invalidArgument(`openvpn.profile ${at}: '${d}' is refused: it ${REFUSED[d]}`);
    if (d === 'remote') {
      if (remotes.length >= MAX_REMOTES)
        throw invalidArgument(`openvpn.profile: more than ${MAX_REMOTES} remote lines`);
      remotes.push(args.join(' '));
    } else if (d === 'auth-user-pass') {
      password = true;
      if (args[0]) {
        // A credentials file: its first line is the user name, the second the password.
        const [user, pass] = readReferenced(d, args[0], dir)
          .split(/\r?\n/)
          .map((s) => s.trim());
        if (user) settings.username = user;
        if (pass) secrets.password = pass;
      }
    } else if (d in CERT_BLOCKS) {
      if (!args[0]) throw invalidArgument(`openvpn.profile ${at}: ${d} needs a file`);
      if (args[0] !== '[inline]')
        settings[CERT_BLOCKS[d as keyof typeof CERT_BLOCKS]] = certsToSetting(
          readReferenced(d, args[0], dir),
          `${d} ${args[0]}`,
        );
    } else if ((KEY_BLOCKS as readonly string[]).includes(d)) {
      if (!args[0]) throw invalidArgument(`openvpn.profile ${at}: ${d} needs a file`);
      if (args[0] !== '[inline]') secrets[d] = checkKeyBlock(d, readReferenced(d, args[0], dir));
      // tls-auth FILE 1: the direction moves to key-direction
      if (d === 'tls-auth' && args[1]) options.push(`key-direction ${args[1]}`);
    } else if (ALLOWED.has(d)) {
      if (d === 'client') continue; // the profile is always rendered as a client
      if (d === 'proto' && args[0]) proto = args[0];
      else if (d === 'port' && args[0]) port = args[0];
      else
        options.push([d, ...args.map((a) => (/[\s;"']/.test(a) ? `"${a.replace(/["\\]/g, '\\$&')}"` : a))].join(' '));
    } else {
      throw invalidArgument(
        `openvpn.profile ${at}: '${d.slice(0, 40)}' is not an OpenVPN client option px-accounts accepts`,
      );
    }
  }
  if (remotes.length === 0) throw invalidArgument('openvpn.profile has no remote line');
  settings.remotes = remotes
    .map((r) => {
      const [host, p, pr] = r.split(/\s+/);
      return [host, p ?? port, pr ?? proto].join(' ');
    })
    .join(', ');
  const tls = !!settings.cert || 'pkcs12' in secrets;
  settings.auth = password && tls ? 'password-tls' : password ? 'password' : 'tls';
  if (!settings.ca && !('pkcs12' in secrets) && !('secret' in secrets))
    throw invalidArgument('openvpn.profile names no CA certificate (ca or <ca>)');
  if (options.length) settings.options = options.join('; ');
  return { settings, secrets };
}

export interface Remote {
  host: string;
  port: number;
  proto: string;
}

const PROTOS = new Set(['udp', 'tcp', 'udp4', 'udp6', 'tcp4', 'tcp6', 'tcp-client', 'tcp4-client', 'tcp6-client']);
const HOST = /^[A-Za-z0-9.-]{1,253}$|^[0-9A-Fa-f:.]{2,45}$/;

/** `host port proto, …` → remotes; throws naming the entry. */
export function parseRemotes(value: string, label: string): Remote[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw invalidArgument(`${label} must name at least one server (host port proto)`);
  if (list.length > MAX_REMOTES) throw invalidArgument(`${label}: more than ${MAX_REMOTES} servers`);
  return list.map((entry) => {
    const [host, port = '1194', proto = 'udp', ...rest] = entry.split(/\s+/);
    const n = Number(port);
    if (!host || !HOST.test(host) || rest.length || !Number.isInteger(n) || n < 1 || n > 65535 || !PROTOS.has(proto)) {
      throw invalidArgument(`${label}: '${entry.slice(0, 80)}' is not 'host port proto' (proto udp or tcp)`);
    }
    return { host, port: n, proto };
  });
}

/** Options as stored (`a; b c; …`) → directive lines, each checked against the allow-list again. */
export function parseOptionList(value: string, label: string): string[] {
  return value
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((line) => {
      const d = words(line)[0]!.toLowerCase();
      if (REFUSED[d]) throw invalidArgument(`${label}: '${d}' is refused: it ${REFUSED[d]}`);
      if (!ALLOWED.has(d))
        throw invalidArgument(`${label}: '${d.slice(0, 40)}' is not an OpenVPN client option px-accounts accepts`);
      if (CONTROL.test(line)) throw invalidArgument(`${label}: control characters`);
      if (line.length > MAX_LINE) throw invalidArgument(`${label}: an option longer than ${MAX_LINE} characters`);
      return line;
    });
}
