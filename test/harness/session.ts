/**
 * A private desktop session for tests: a dbus-daemon from our own config (its only service
 * directory is the test's), an unlocked gnome-keyring on it, and a fresh HOME. Everything is
 * stopped by PID and the directory removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type Dirent,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { alive, run, sleep, stopPid, waitFor } from './process.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const SERVICE_BIN = join(ROOT, 'dist/bin/px-accounts-service.cjs');
/**
 * Where the window's tests leave their screenshots: docs/screenshots only when
 * scripts/screenshots.sh asks (a test run must not change the repository).
 */
export const SCREENSHOTS_DIR =
  process.env.PX_ACCOUNTS_SCREENSHOTS_DIR || join(tmpdir(), `px-accounts-screenshots-${process.pid}`);

export type KeyringMode = 'unlocked' | 'locked' | 'none';

export interface Session {
  readonly dir: string;
  readonly home: string;
  readonly accountsDir: string;
  readonly servicesDir: string;
  readonly address: string;
  readonly env: NodeJS.ProcessEnv;
  readonly busPid: number;
  keyringPid: number | undefined;
  /** The password the session's login keyring was created with. */
  readonly keyringPassword: string;
  stop(): Promise<void>;
}

function busConfig(dir: string, servicesDir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=${dir}/run</listen>
  <auth>EXTERNAL</auth>
  <servicedir>${servicesDir}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="service_start_timeout">10000</limit>
</busconfig>
`;
}

export async function nameHasOwner(env: NodeJS.ProcessEnv, name: string): Promise<boolean> {
  const r = await run(
    'gdbus',
    [
      'call',
      '--session',
      '-d',
      'org.freedesktop.DBus',
      '-o',
      '/org/freedesktop/DBus',
      '-m',
      'org.freedesktop.DBus.NameHasOwner',
      name,
    ],
    env,
  );
  return r.stdout.trim() === '(true,)';
}

export async function pidOfName(env: NodeJS.ProcessEnv, name: string): Promise<number> {
  const r = await run(
    'gdbus',
    [
      'call',
      '--session',
      '-d',
      'org.freedesktop.DBus',
      '-o',
      '/org/freedesktop/DBus',
      '-m',
      'org.freedesktop.DBus.GetConnectionUnixProcessID',
      name,
    ],
    env,
  );
  const m = /uint32 (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`no process owns ${name}: ${r.stderr}`);
  return Number(m[1]);
}

/** Starts gnome-keyring's Secret Service on the session's bus, unlocked with `password`. */
export async function startKeyring(session: Session, password: string): Promise<number> {
  const r = await run(
    'gnome-keyring-daemon',
    ['--unlock', '--components=secrets', '--daemonize'],
    session.env,
    password,
  );
  if (r.code !== 0) throw new Error(`gnome-keyring-daemon failed: ${r.stderr}`);
  // --daemonize returns before the daemon owns its name.
  await waitFor('org.freedesktop.secrets', () => nameHasOwner(session.env, 'org.freedesktop.secrets'), 10000);
  const pid = await pidOfName(session.env, 'org.freedesktop.secrets');
  session.keyringPid = pid;
  return pid;
}

export async function stopKeyring(session: Session): Promise<void> {
  await stopPid(session.keyringPid);
  session.keyringPid = undefined;
  await waitFor('keyring gone', async () => !(await nameHasOwner(session.env, 'org.freedesktop.secrets')));
}

export async function startSession(keyring: KeyringMode = 'unlocked'): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'pxa-test-'));
  const home = join(dir, 'home');
  const servicesDir = join(dir, 'services');
  for (const d of ['run', 'data', 'services', 'home', 'config', 'cache']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'run'), 0o700);
  writeFileSync(join(dir, 'session.conf'), busConfig(dir, servicesDir));
  // The daemon runs with the session's environment: a service it activates inherits it, so an
  // activated px-accounts-service uses this session's HOME, never the real one.
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: home,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    PX_ACCOUNTS_NO_BACKGROUND_CHECK: '1',
  };
  const daemon = await run(
    'dbus-daemon',
    [`--config-file=${join(dir, 'session.conf')}`, '--fork', '--nosyslog', '--print-address=1', '--print-pid=1'],
    baseEnv,
  );
  if (daemon.code !== 0) throw new Error(`dbus-daemon failed: ${daemon.stderr}`);
  const [address, pid] = daemon.stdout.trim().split('\n');
  if (!address || !pid) throw new Error(`dbus-daemon printed no address and pid: ${daemon.stdout}`);
  const { PX_ACCOUNTS_NO_BACKGROUND_CHECK: _, ...sessionEnv } = baseEnv;
  const env: NodeJS.ProcessEnv = { ...sessionEnv, DBUS_SESSION_BUS_ADDRESS: address };
  const session: Session = {
    dir,
    home,
    servicesDir,
    address,
    env,
    busPid: Number(pid),
    keyringPid: undefined,
    keyringPassword: randomBytes(12).toString('hex'),
    accountsDir: join(home, '.userdata', 'accounts'),
    async stop() {
      await stopPid(session.keyringPid);
      await stopPid(session.busPid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    if (keyring !== 'none') {
      await startKeyring(session, session.keyringPassword);
      if (keyring === 'locked') {
        // The collection exists now; a daemon started with another password cannot unlock it.
        await stopKeyring(session);
        await startKeyring(session, randomBytes(12).toString('hex'));
      }
    }
  } catch (err) {
    await session.stop();
    throw err;
  }
  return session;
}

export interface ServiceProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the service wrote to stderr so far. */
  log(): string;
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/**
 * Starts px-accounts-service on the session and waits until it owns its name. Background
 * checks are off unless extraEnv sets PX_ACCOUNTS_NO_BACKGROUND_CHECK=0: a test's accounts
 * may name real providers, and nothing here may reach off this machine.
 */
export async function startService(
  session: Session,
  args: string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
  wrapper: string[] = [],
): Promise<ServiceProcess> {
  const env = { ...session.env, PX_ACCOUNTS_NO_BACKGROUND_CHECK: '1', ...extraEnv };
  // `wrapper` runs the service under another command (e.g. setpriv dropping capabilities).
  const [command = process.execPath, ...argv] = [...wrapper, process.execPath, SERVICE_BIN, ...args];
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  child.stdout?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const proc: ServiceProcess = {
    pid: child.pid!,
    child,
    exited,
    log: () => stderr,
    async stop() {
      await stopPid(child.pid);
      return exited;
    },
  };
  const ready = await Promise.race([
    waitFor('org.pantherx.Accounts', () => nameHasOwner(session.env, 'org.pantherx.Accounts'), 15000).then(() => true),
    exited.then(() => false),
  ]);
  if (!ready) throw new Error(`px-accounts-service exited during start-up:\n${stderr}`);
  return proc;
}

/** The bytes of every file under a directory, for "no secret on disk" checks. */
export function readTree(dir: string): string {
  let out = '';
  const walk = (d: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out += readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

export { alive, sleep, waitFor };
