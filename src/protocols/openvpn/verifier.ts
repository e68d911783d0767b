// OpenVPN verifier: really connects, as a client that touches nothing on this machine:
// `--dev null`, no routes, no interface configuration, pulled redirect-gateway ignored. The
// profile with its key material goes in through stdin (never a file); passwords go through the
// management interface (a unix socket in a private directory), never a file or argv. Exit
// codes say nothing (AUTH_FAILED exits 0, TLS errors retry forever), so the outcome is read
// from the management interface and the log: CONNECTED,SUCCESS is Ok.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { spawnTied } from '../../util/child.js';
import { VerifyFailure } from '../common/classify.js';
import { runVerification, type VerifyContext } from '../common/run.js';
import type { Verifier, VerifyCode } from '../common/types.js';
import { renderProfile } from './plugin.js';
import { checkManagementSecret, importProfile, MAX_LINE, parseRemotes } from './profile.js';

const BINARIES = [process.env.PX_ACCOUNTS_OPENVPN, '/usr/sbin/openvpn', '/usr/bin/openvpn', '/usr/local/sbin/openvpn'];

/** Log lines that settle the outcome, most specific first. */
const LOG_RULES: Array<[RegExp, VerifyCode, string]> = [
  [/AUTH_FAILED/, 'Unauthorized', 'AUTH_FAILED'],
  [
    /VERIFY X509NAME ERROR|VERIFY KU ERROR|VERIFY EKU ERROR|VERIFY ERROR: depth=0.*(name|X509)/,
    'TlsHostnameMismatch',
    "the server's certificate does not carry the expected name",
  ],
  [
    /certificate has expired|certificate is not yet valid/,
    'TlsExpired',
    "the server's certificate has expired or is not yet valid",
  ],
  [/VERIFY ERROR/, 'TlsUntrusted', "the server's certificate does not chain to the profile's CA"],
  [/RESOLVE: Cannot resolve host address/, 'HostNotFound', 'the server name does not resolve'],
  [/Connection refused/, 'ConnectionRefused', 'nothing listens there'],
  [/TLS key negotiation failed to occur|TLS handshake failed/, 'Timeout', 'no TLS handshake with the server'],
  [
    /Cannot load private key|Cannot load certificate|Private key password verification failed|Error: private key password verification failed/,
    'Unauthorized',
    'the private key cannot be used (wrong passphrase?)',
  ],
  // Never quoted: an options error can carry a line of whatever file OpenVPN was made to read.
  [/Options error: /, 'Unknown', 'the profile is not valid for this OpenVPN'],
];

/** The failure a log or management line settles, if any. */
function classifyLine(text: string): VerifyFailure | undefined {
  for (const [re, code, why] of LOG_RULES) {
    const m = re.exec(text);
    if (m) return new VerifyFailure(code as Exclude<VerifyCode, 'Ok'>, m[1] ? `${why}: ${m[1]}` : why);
  }
  return undefined;
}

function binary(): string {
  const found = BINARIES.find((b): b is string => !!b && existsSync(b));
  if (!found) throw new VerifyFailure('Unavailable', 'the openvpn program is not installed');
  return found;
}

/** A management-interface string argument (checked to be one line before openvpn starts). */
const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** What goes through the management interface must be one line: a line break would start a command. */
function checkOneLine(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    try {
      if (value) checkManagementSecret(name, value);
    } catch (err) {
      throw new VerifyFailure('Unknown', (err as Error).message);
    }
  }
}

/**
 * The profile for this check, read back through the importer's allow-list before openvpn sees
 * it: whatever the stored settings and secrets hold, openvpn gets no directive a profile
 * import would refuse (no plugin, no script, no file read).
 */
function checkedProfile(settings: Record<string, string | number>, secrets: Record<string, string>): string {
  const profile = renderProfile(settings, secrets);
  // As OpenVPN reads it: no line it would take in pieces (a piece can close a block).
  if (profile.split('\n').some((l) => Buffer.byteLength(l) > MAX_LINE))
    throw new VerifyFailure('Unknown', `the account's profile cannot be used: a line is longer than ${MAX_LINE} bytes`);
  try {
    importProfile(profile, null);
  } catch (err) {
    throw new VerifyFailure('Unknown', `the account's profile cannot be used: ${(err as Error).message}`);
  }
  return profile;
}

async function connectManagement(path: string, ctx: VerifyContext, exited: () => boolean): Promise<net.Socket> {
  for (;;) {
    if (exited()) throw new VerifyFailure('Unknown', 'openvpn stopped before its management interface was up');
    if (existsSync(path)) {
      try {
        return await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
      } catch {
        /* not listening yet */
      }
    }
    if (ctx.signal.aborted) throw new VerifyFailure('Unknown', 'cancelled');
    await new Promise((r) => setTimeout(r, 15));
  }
}

export const verifyOpenVpn: Verifier = (settings, secret, options) => {
  let first: { host: string; port: number } = { host: '', port: 0 };
  try {
    first = parseRemotes(String(settings?.remotes ?? ''), 'remotes')[0]!;
  } catch {
    /* the frame reports the missing host */
  }
  const shown = settings && { ...settings, host: first.host, port: first.port, security: 'tls' as const };
  return runVerification('OpenVPN', shown, secret, options, async (ctx) => {
    const secrets = options.secrets ?? {};
    const auth = String(settings.auth);
    if (auth.startsWith('password') && !secret)
      throw new VerifyFailure('Unauthorized', "no password is stored: set 'openvpn' or 'password'");
    checkOneLine({
      username: String(settings.username ?? ''),
      password: secret,
      'key-passphrase': secrets['key-passphrase'],
    });
    const profile = checkedProfile(settings as Record<string, string | number>, secrets);
    const dir = await mkdtemp(
      join(
        process.env.XDG_RUNTIME_DIR && existsSync(process.env.XDG_RUNTIME_DIR) ? process.env.XDG_RUNTIME_DIR : tmpdir(),
        'px-openvpn-',
      ),
    );
    ctx.defer(() => void rm(dir, { recursive: true, force: true }));
    const socketPath = join(dir, 'management');
    const handSeconds = Math.max(2, Math.floor(ctx.remaining() / 1000));
    // `--config /dev/stdin` needs a real pipe, and Node gives children socket pairs: `cat`
    // copies into one. Its own process group, so a kill stops both.
    const child = spawnTied(
      '/bin/sh',
      [
        '-c',
        'cat | exec "$0" "$@"',
        binary(),
        '--config',
        '/dev/stdin',
        '--dev',
        'null',
        '--route-nopull',
        '--ifconfig-noexec',
        '--route-noexec',
        '--pull-filter',
        'ignore',
        'redirect-gateway',
        '--resolv-retry',
        '0',
        '--connect-retry-max',
        '1',
        '--hand-window',
        String(handSeconds),
        '--connect-timeout',
        String(handSeconds),
        '--management',
        socketPath,
        'unix',
        '--management-query-passwords',
        '--management-hold',
        '--auth-retry',
        'none',
        '--auth-nocache',
        '--script-security',
        '0',
        '--verb',
        '3',
        '--setenv',
        'IV_GUI_VER',
        'px-accounts',
      ],
      { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
    );
    let exited = false;
    const gone = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true;
        resolve();
      }),
    );
    ctx.defer(() => {
      try {
        if (!exited && child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(profile);

    return new Promise((resolve, reject) => {
      let log = '';
      const onLog = (d: Buffer) => {
        log = (log + d.toString('utf8')).slice(-64 * 1024);
        const failure = classifyLine(log);
        if (failure) reject(failure);
      };
      child.stdout.on('data', onLog);
      child.stderr.on('data', onLog);
      void gone.then(() =>
        setTimeout(
          () => reject(new VerifyFailure('Unknown', `openvpn stopped without connecting${lastLine(log)}`)),
          50,
        ),
      );
      connectManagement(socketPath, ctx, () => exited).then((mgmt) => {
        ctx.defer(() => mgmt.destroy());
        mgmt.setEncoding('utf8');
        let buf = '';
        mgmt.on('error', () => undefined);
        mgmt.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line.startsWith(">PASSWORD:Need 'Auth'")) {
              mgmt.write(`username "Auth" ${quote(String(settings.username))}\npassword "Auth" ${quote(secret)}\n`);
            } else if (line.startsWith(">PASSWORD:Need 'Private Key'")) {
              if (!secrets['key-passphrase'])
                return reject(
                  new VerifyFailure(
                    'Unauthorized',
                    'the private key is encrypted and no key-passphrase secret is stored',
                  ),
                );
              mgmt.write(`password "Private Key" ${quote(secrets['key-passphrase'])}\n`);
            } else if (line.startsWith('>PASSWORD:Verification Failed')) {
              return reject(
                new VerifyFailure(
                  'Unauthorized',
                  line.includes('Private Key') ? 'the private key passphrase is wrong' : 'AUTH_FAILED',
                ),
              );
            } else if (/^>STATE:\d+,CONNECTED,SUCCESS/.test(line) || /,CONNECTED,SUCCESS,/.test(line)) {
              return resolve({ detail: 'connected (the tunnel was not brought up)' });
            } else if (line.startsWith('>FATAL:')) {
              return reject(classifyLine(line) ?? new VerifyFailure('Unknown', line.slice(7)));
            }
          }
        });
        mgmt.write('state on\nhold release\n');
      }, reject);
    });
  });
};

function lastLine(log: string): string {
  const line = log
    .trim()
    .split('\n')
    .pop()
    ?.replace(/^\S+ \S+ /, '')
    .trim();
  return line ? `: ${line.slice(0, 200)}` : '';
}
