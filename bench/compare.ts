/**
 * px-accounts measured against GNOME Online Accounts (goa-daemon), on the same private bus,
 * with the same Secret Service and equivalent IMAP+SMTP accounts. Prints Markdown tables with
 * ratios (us / goa) and PASS/MISS next to each target; never part of the pass/fail tests.
 *
 *   scripts/bench.sh [--quick] [--sizes 1,100,1000] [--runs 3] [--big-runs 3] [--skip sweep,ops]
 *   node dist/bench/compare.js --help
 *
 * Both daemons run on one dbus-daemon and one unlocked gnome-keyring, one after the other (never
 * at the same time: the machine has two cores and each would slow the other down). Every
 * account points at 127.0.0.1: a refusing port, or the loopback Dovecot of the harness for the
 * background-check sweep. Nothing connects off this machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import dbus from 'dbus-next';
import { TestClient } from '../test/harness/client.js';
import { startPeers, type Peers } from '../test/harness/peers.js';
import { run, sleep, stopPid } from '../test/harness/process.js';
import { SERVICE_BIN, startSession, type Session } from '../test/harness/session.js';

const { Variant, Message } = dbus;

// ---------------------------------------------------------------------------------------------
// Options

const USAGE = `Usage: node dist/bench/compare.js [OPTIONS]
  --quick              fewer runs (1 per size), sizes 1,100,1000, a 10 s sweep of 1000 accounts
  --sizes LIST         account counts for start-up, GMO, Get/Ping, hand edit and RSS (default 1,100,1000,10000)
  --runs N             runs per size (default 3; --quick: 1)
  --big-runs N         runs for sizes >= 10000 (default: --runs)
  --skip LIST          leave sections out: startup (covers 1-5), ops, sweep, secrets
  --no-goa             measure px-accounts only (goa columns print n/a)
  --goa PATH           the goa-daemon binary (default /usr/libexec/goa-daemon)
  --service PATH       the px-accounts-service program to measure (default: this build's dist/bin/px-accounts-service, executed as the bus does)
  --ops N              add+remove pairs per client in the concurrency test (default 10; --quick: 3)
  --sweep-accounts N   accounts in the background-check sweep (default 10000; --quick: 1000)
  --sweep-seconds S    how long the client calls Get during the sweep (default 30; --quick: 10)
  --sweep-secrets N    accounts per service that get a secret stored (default 1000; --quick: 200)
  --json FILE          also write every raw figure to FILE`;

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    runs: { type: 'string' },
    'big-runs': { type: 'string' },
    skip: { type: 'string', default: '' },
    'no-goa': { type: 'boolean', default: false },
    goa: { type: 'string', default: '/usr/libexec/goa-daemon' },
    service: { type: 'string' },
    ops: { type: 'string' },
    'sweep-accounts': { type: 'string' },
    'sweep-seconds': { type: 'string' },
    'sweep-secrets': { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opt.help) {
  console.log(USAGE);
  process.exit(0);
}
const quick = Boolean(opt.quick);
const int = (v: string | undefined, dflt: number, what: string): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${what} needs a whole number, not '${v}'`);
  return n;
};
const SIZES = (opt.sizes ?? (quick ? '1,100,1000' : '1,100,1000,10000'))
  .split(',')
  .map((s) => int(s.trim(), 0, 'sizes'))
  .filter((n) => n > 0);
const RUNS = Math.max(1, int(opt.runs, quick ? 1 : 3, 'runs'));
const BIG_RUNS = Math.max(1, int(opt['big-runs'], RUNS, 'big-runs'));
const SKIP = new Set(
  (opt.skip ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const OPS_PER_CLIENT = Math.max(1, int(opt.ops, quick ? 3 : 10, 'ops'));
const CLIENTS = 20;
const SWEEP_ACCOUNTS = Math.max(2, int(opt['sweep-accounts'], quick ? 1000 : 10000, 'sweep-accounts'));
const SWEEP_SECONDS = Math.max(1, int(opt['sweep-seconds'], quick ? 10 : 30, 'sweep-seconds'));
const SWEEP_SECRETS = Math.min(SWEEP_ACCOUNTS, int(opt['sweep-secrets'], quick ? 200 : 1000, 'sweep-secrets'));
const GET_ITERATIONS = quick ? 500 : 2000;
const GOA_BIN = opt.goa ?? '/usr/libexec/goa-daemon';
/** A .js file runs under this Node (as before); anything else is an executable (a launcher). The
 * default is the installed command, executed as D-Bus activation and systemd do, with the
 * MALLOC_ARENA_MAX=1 their launch files set (given in `ours.start`). */
const OUR_BIN = opt.service ?? SERVICE_BIN.replace(/\.cjs$/, '');
const GOA_ENABLED = !opt['no-goa'] && existsSync(GOA_BIN);
const GOA_MISSING = opt['no-goa'] ? 'skipped (--no-goa)' : `${GOA_BIN} not installed`;

const progress = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

const sorted = (xs: number[]) => xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
function median(xs: number[]): number {
  const s = sorted(xs);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function pct(xs: number[], p: number): number {
  const s = sorted(xs);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)]!;
}
/** The largest finite value (a loop: a spread into Math.max overflows the stack at ~100 000 samples). */
function max(xs: number[]): number {
  let m = NaN;
  for (const x of xs) if (Number.isFinite(x) && !(x <= m)) m = x;
  return m;
}
const fmt = (x: number | undefined, d = 0) =>
  x === undefined || !Number.isFinite(x)
    ? 'n/a'
    : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');
const known = (...xs: number[]) => xs.every((x) => Number.isFinite(x));

// ---------------------------------------------------------------------------------------------
// Processes: spawned, watched and stopped by PID only

interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  exitCode(): number | null | undefined;
  log(): string;
  stop(): Promise<void>;
}

const live = new Set<Daemon>();
const sessions = new Set<Session>();
let peers: Peers | undefined;

function spawnDaemon(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Daemon {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let exit: number | null | undefined;
  const keep = (d: Buffer) => {
    log += d.toString();
    if (log.length > 64 * 1024) log = log.slice(-32 * 1024); // the tail is enough to explain a failure
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = code ?? (signal ? -1 : null);
      resolve();
    }),
  );
  const d: Daemon = {
    name,
    pid: child.pid!,
    child,
    log: () => log,
    exitCode: () => exit,
    async stop() {
      await stopPid(child.pid, 5000);
      await Promise.race([exited, sleep(2000)]);
      live.delete(d);
    },
  };
  live.add(d);
  return d;
}

async function cleanUp(): Promise<void> {
  for (const d of [...live]) await d.stop().catch(() => undefined);
  for (const s of [...sessions]) await s.stop().catch(() => undefined);
  sessions.clear();
  if (peers) await peers.stop().catch(() => undefined);
  peers = undefined;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    progress(`${sig}: stopping everything this benchmark started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/**
 * The limits of Debian's stock session bus (/usr/share/dbus-1/session.conf: 100 000
 * connections per user, 1 GB messages, ...). The harness bus runs with dbus-daemon's built-in
 * defaults (256 connections per user, 32 MiB messages), which a desktop session never has.
 */
const SESSION_LIMITS = [
  'max_incoming_bytes',
  'max_incoming_unix_fds',
  'max_outgoing_bytes',
  'max_outgoing_unix_fds',
  'max_message_size',
  'auth_timeout',
  'pending_fd_timeout',
  'max_completed_connections',
  'max_incomplete_connections',
  'max_connections_per_user',
  'max_pending_service_starts',
  'max_names_per_connection',
  'max_match_rules_per_connection',
  'max_replies_per_connection',
];
const FALLBACK_LIMITS: Record<string, string> = {
  max_incoming_bytes: '1000000000',
  max_incoming_unix_fds: '250000000',
  max_outgoing_bytes: '1000000000',
  max_outgoing_unix_fds: '250000000',
  max_message_size: '1000000000',
  auth_timeout: '240000',
  pending_fd_timeout: '150000',
  max_completed_connections: '100000',
  max_incomplete_connections: '10000',
  max_connections_per_user: '100000',
  max_pending_service_starts: '10000',
  max_names_per_connection: '50000',
  max_match_rules_per_connection: '50000',
  max_replies_per_connection: '50000',
};

async function desktopLimits(s: Session): Promise<void> {
  let stock = '';
  try {
    stock = readFileSync('/usr/share/dbus-1/session.conf', 'utf8');
  } catch {
    /* use the fallback values */
  }
  const limits = SESSION_LIMITS.map((name) => {
    const value = new RegExp(`<limit name="${name}">\\s*(\\d+)\\s*</limit>`).exec(stock)?.[1] ?? FALLBACK_LIMITS[name];
    return `  <limit name="${name}">${value}</limit>`;
  }).join('\n');
  const file = join(s.dir, 'session.conf');
  writeFileSync(file, readFileSync(file, 'utf8').replace('</busconfig>', `${limits}\n</busconfig>`));
  const c = await TestClient.connect(s.address, false);
  try {
    await c.callTo('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'ReloadConfig');
  } finally {
    c.disconnect();
  }
}

async function newSession(): Promise<Session> {
  const s = await startSession('unlocked');
  sessions.add(s);
  await desktopLimits(s);
  return s;
}

async function endSession(s: Session): Promise<void> {
  sessions.delete(s);
  await s.stop();
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

/**
 * Waits until the processes have used no CPU for `quietMs` (and at least until `notBefore`):
 * a daemon's own start-up work (goa-daemon's credential check starts 1 s after it is up) must
 * not leak into the steady-state figures. Resolves the wait in ms, or NaN if it never settled.
 */
async function waitQuiet(pids: number[], notBefore: number, maxMs: number, quietMs = 600): Promise<number> {
  const t0 = performance.now();
  let last = pids.map(cpuTicks);
  let quietSince = performance.now();
  for (;;) {
    await sleep(150);
    const now = pids.map(cpuTicks);
    const busy = now.some((v, i) => v - last[i]! > 1);
    last = now;
    const t = performance.now();
    if (busy) quietSince = t;
    if (!busy && t - quietSince >= quietMs && t >= notBefore) return t - t0;
    if (t - t0 > maxMs) return NaN;
  }
}

// CPU time of all of a process's threads so far (ms): the first field of /proc/PID/task/TID/schedstat
// is ns on a CPU. Load moves it much less than wall time.
function cpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`))
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return NaN;
  }
}

function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1]);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** A loopback port nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// The two services and their equivalent account configurations

/** One IMAP+SMTP account, the same for both services. Every host is 127.0.0.1. */
interface Spec {
  i: number;
  imapPort: number;
  smtpPort: number;
  /** login on both servers */
  user: string;
}

const OM = 'org.freedesktop.DBus.ObjectManager';
const PROPS = 'org.freedesktop.DBus.Properties';

interface Target {
  key: 'us' | 'goa';
  label: string;
  busName: string;
  omPath: string;
  accountPrefix: string;
  accountPath(i: number | string): string;
  /** a string property of an account, for the Properties.Get round trip */
  probe: { iface: string; prop: string };
  start(s: Session, backgroundCheck: boolean): Daemon;
  /** Writes exactly these accounts (replacing any earlier set). */
  writeAccounts(s: Session, specs: Spec[]): void;
  /** A person adds one account by editing files; returns its object path. */
  handAdd(s: Session, tag: string, spec: Spec): string;
  /** Attributes and secret text of the Secret Service item the service reads for an account. */
  secret(i: number, password: string): { label: string; attributes: Record<string, string>; value: string };
  /** Reads an account's password the way an app does (GetSecret / PasswordBased.GetPassword). */
  readSecret(c: TestClient, i: number): Promise<unknown[]>;
}

const ours: Target = {
  key: 'us',
  label: 'px-accounts',
  busName: 'org.pantherx.Accounts',
  omPath: '/org/pantherx/Accounts',
  accountPrefix: '/org/pantherx/Accounts/account/',
  accountPath: (i) => `/org/pantherx/Accounts/account/${typeof i === 'number' ? `bench_${i}` : i}`,
  probe: { iface: 'org.pantherx.Accounts.Account', prop: 'Name' },
  start(s, backgroundCheck) {
    const args = backgroundCheck ? [] : ['--no-background-check'];
    const [cmd, argv] = /\.c?js$/.test(OUR_BIN) ? [process.execPath, [OUR_BIN, ...args]] : [OUR_BIN, args];
    return spawnDaemon('px-accounts', cmd, argv, {
      ...s.env,
      MALLOC_ARENA_MAX: '1', // what its D-Bus activation file and systemd unit set
      PX_ACCOUNTS_NO_BACKGROUND_CHECK: backgroundCheck ? '0' : '1',
    });
  },
  writeAccounts(s, specs) {
    rmSync(s.accountsDir, { recursive: true, force: true });
    mkdirSync(s.accountsDir, { recursive: true, mode: 0o700 });
    for (const spec of specs) writeFileSync(join(s.accountsDir, `bench_${spec.i}.ini`), oursIni(spec), { mode: 0o600 });
  },
  handAdd(s, tag, spec) {
    writeFileSync(join(s.accountsDir, `${tag}.ini`), oursIni(spec), { mode: 0o600 });
    return this.accountPath(tag);
  },
  secret: (i, password) => ({
    label: `keyring:bench_${i}/password@org.pantherx.Accounts`,
    attributes: { service: 'org.pantherx.Accounts', username: `bench_${i}/password` },
    value: password,
  }),
  readSecret(c, i) {
    return c.callTo(this.busName, this.accountPath(i), 'org.pantherx.Accounts.Account', 'GetSecret', 's', ['password']);
  },
};

function oursIni(spec: Spec): string {
  return (
    `[account]\nname = Bench ${spec.i}\nprovider = imap\nusername = bench${spec.i}@bench.invalid\nprotocols = imap, smtp\ncredentials = password\n\n` +
    `[imap]\nhost = 127.0.0.1\nport = ${spec.imapPort}\nsecurity = none\nusername = ${spec.user}\n\n` +
    `[smtp]\nhost = 127.0.0.1\nport = ${spec.smtpPort}\nsecurity = none\nusername = ${spec.user}\n`
  );
}

const goaConf = (s: Session) => join(s.env.XDG_CONFIG_HOME!, 'goa-1.0', 'accounts.conf');

/** The goa-daemon 3.46 imap_smtp keys (src/goabackend/goaimapsmtpprovider.c, build_object). */
function goaGroup(id: string, spec: Spec): string {
  const email = `bench${spec.i}@bench.invalid`;
  return (
    `[Account ${id}]\nProvider=imap_smtp\nIdentity=${email}\nPresentationIdentity=${email}\nEnabled=true\n` +
    `EmailAddress=${email}\nName=Bench ${spec.i}\n` +
    `ImapHost=127.0.0.1:${spec.imapPort}\nImapUserName=${spec.user}\nImapUseSsl=false\nImapUseTls=false\nImapAcceptSslErrors=false\n` +
    `SmtpHost=127.0.0.1:${spec.smtpPort}\nSmtpUseAuth=true\nSmtpUserName=${spec.user}\nSmtpAuthLogin=false\nSmtpAuthPlain=true\n` +
    `SmtpUseSsl=false\nSmtpUseTls=false\nSmtpAcceptSslErrors=false\n\n`
  );
}

const goa: Target = {
  key: 'goa',
  label: 'goa-daemon',
  busName: 'org.gnome.OnlineAccounts',
  omPath: '/org/gnome/OnlineAccounts',
  accountPrefix: '/org/gnome/OnlineAccounts/Accounts/',
  accountPath: (i) => `/org/gnome/OnlineAccounts/Accounts/${typeof i === 'number' ? `account_bench_${i}` : i}`,
  probe: { iface: 'org.gnome.OnlineAccounts.Account', prop: 'PresentationIdentity' },
  start(s) {
    return spawnDaemon('goa-daemon', GOA_BIN, [], s.env);
  },
  writeAccounts(s, specs) {
    mkdirSync(join(s.env.XDG_CONFIG_HOME!, 'goa-1.0'), { recursive: true });
    writeFileSync(goaConf(s), specs.map((spec) => goaGroup(`account_bench_${spec.i}`, spec)).join(''), { mode: 0o600 });
  },
  handAdd(s, tag, spec) {
    appendFileSync(goaConf(s), goaGroup(tag, spec));
    return this.accountPath(tag);
  },
  secret: (i, password) => ({
    label: `GOA imap_smtp credentials for identity account_bench_${i}`,
    attributes: { 'xdg:schema': 'org.gnome.OnlineAccounts', 'goa-identity': `imap_smtp:gen0:account_bench_${i}` },
    value: `{'imap-password': <'${password}'>, 'smtp-password': <'${password}'>}`,
  }),
  readSecret(c, i) {
    return c.callTo(this.busName, this.accountPath(i), 'org.gnome.OnlineAccounts.PasswordBased', 'GetPassword', 's', [
      'imap-password',
    ]);
  },
};

const targets = (): Target[] => (GOA_ENABLED ? [ours, goa] : [ours]);

// ---------------------------------------------------------------------------------------------
// Bus helpers

async function connect(s: Session): Promise<TestClient> {
  return TestClient.connect(s.address, false);
}

const addMatch = (c: TestClient, rule: string) =>
  c.callTo('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [rule]);

const ping = (c: TestClient) =>
  c.callTo('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping');

const getProp = (c: TestClient, t: Target, path: string) =>
  c.callTo(t.busName, path, PROPS, 'Get', 'ss', [t.probe.iface, t.probe.prop]);

async function gmo(
  c: TestClient,
  t: Target,
): Promise<Record<string, Record<string, Record<string, InstanceType<typeof Variant>>>>> {
  const [objects] = await c.callTo(t.busName, t.omPath, OM, 'GetManagedObjects');
  return objects as Record<string, Record<string, Record<string, InstanceType<typeof Variant>>>>;
}

const countAccounts = (t: Target, paths: string[]) => paths.filter((p) => p.startsWith(t.accountPrefix)).length;

function assertAlive(d: Daemon): void {
  const code = d.exitCode();
  if (code !== undefined) throw new Error(`${d.name} exited (status ${code}):\n${d.log().slice(-2000)}`);
}

/** `watch` must have a NameOwnerChanged match for t.busName. Resolves when the name is owned. */
async function waitOwned(watch: TestClient, t: Target, d: Daemon, mark: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    assertAlive(d);
    try {
      await watch.waitSignal(
        (x) => x.member === 'NameOwnerChanged' && x.body[0] === t.busName && x.body[2] !== '',
        200,
        mark,
      );
      return;
    } catch {
      if (performance.now() > deadline)
        throw new Error(`${t.label} did not own ${t.busName} within ${timeoutMs} ms:\n${d.log().slice(-2000)}`);
    }
  }
}

interface Started {
  d: Daemon;
  t0: number;
  name: number;
  all: number;
  /** CPU time of the daemon (all threads) when every account was exported, ms */
  cpu: number;
}

/**
 * Spawns a service and measures, from the spawn, (a) until its bus name is owned (from the
 * NameOwnerChanged signal; no polling) and (b) until a GetManagedObjects returns all `n`
 * accounts: GMO is called once the name is owned and repeated with a growing pause (2 ms
 * doubling to 200 ms) while incomplete, so polling cannot dominate the figure.
 */
async function startAndWait(
  s: Session,
  t: Target,
  watch: TestClient,
  wire: WireClient,
  n: number,
  backgroundCheck: boolean,
): Promise<Started> {
  const mark = watch.signals.length;
  const timeoutMs = 30_000 + n * 20;
  const t0 = performance.now();
  const d = t.start(s, backgroundCheck);
  try {
    await waitOwned(watch, t, d, mark, timeoutMs);
    const name = performance.now() - t0;
    let pause = 2;
    for (;;) {
      assertAlive(d);
      if (countAccounts(t, (await wire.managedPaths(t)).paths) >= n) break;
      if (performance.now() - t0 > timeoutMs)
        throw new Error(`${t.label} did not export ${n} accounts within ${timeoutMs} ms`);
      await sleep(pause);
      pause = Math.min(200, pause * 2);
    }
    const all = performance.now() - t0;
    return { d, t0, name, all, cpu: cpuMs(d.pid) };
  } catch (err) {
    await d.stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// A wire-level GetManagedObjects: sends the call and counts the objects in the reply without
// decoding it. dbus-next needs seconds to turn goa-daemon's 10 000-object reply into JS objects
// (about 4× the bytes of ours), which would be charged to whichever service sends more bytes.

class WireClient {
  private buf: Buffer = Buffer.alloc(0);
  /** chunks of a message still arriving, and how many bytes it needs in all */
  private chunks: Buffer[] = [];
  private pending = 0;
  private need = 0;
  private serial = 1;
  private waiting = new Map<number, (m: { type: number; le: boolean; body: Buffer; error?: string }) => void>();

  private constructor(private readonly sock: net.Socket) {}

  static async connect(address: string): Promise<WireClient> {
    const path = /unix:path=([^,;]+)/.exec(address)?.[1];
    if (!path) throw new Error(`WireClient: cannot use the bus address ${address}`);
    const sock = net.connect(path);
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    const uid = String(process.getuid?.() ?? 0);
    sock.write(`\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`);
    const line = await new Promise<string>((resolve, reject) => {
      let got = '';
      const onData = (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n')) {
          sock.off('data', onData);
          resolve(got);
        }
      };
      sock.on('data', onData).once('error', reject);
    });
    if (!line.startsWith('OK ')) throw new Error(`WireClient: authentication refused: ${line.trim()}`);
    sock.write('BEGIN\r\n');
    const c = new WireClient(sock);
    sock.on('data', (d: Buffer) => c.onData(d));
    await c.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Hello');
    return c;
  }

  private onData(d: Buffer): void {
    // A 15 MB reply arrives in hundreds of chunks: join them once, when all are there.
    if (this.need) {
      this.chunks.push(d);
      this.pending += d.length;
      if (this.pending < this.need) return;
      this.buf = Buffer.concat(this.chunks);
      this.chunks = [];
      this.need = 0;
    } else {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    }
    for (;;) {
      if (this.buf.length < 16) return;
      const le = this.buf[0] === 0x6c;
      const u32 = (o: number) => (le ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o));
      const bodyLen = u32(4);
      const fieldsLen = u32(12);
      const bodyAt = 16 + fieldsLen + ((8 - ((16 + fieldsLen) % 8)) % 8);
      const total = bodyAt + bodyLen;
      if (this.buf.length < total) {
        this.chunks = [this.buf];
        this.pending = this.buf.length;
        this.need = total;
        this.buf = Buffer.alloc(0);
        return;
      }
      const msg = this.buf.subarray(0, total);
      this.buf = this.buf.subarray(total);
      const type = msg[1]!;
      if (type !== 2 && type !== 3) continue; // signals (NameAcquired) and anything else
      // Header fields: find REPLY_SERIAL (5, 'u') and ERROR_NAME (4, 's').
      let o = 16;
      let replySerial = -1;
      let error: string | undefined;
      while (o < 16 + fieldsLen) {
        o = (o + 7) & ~7;
        const code = msg[o]!;
        const sigLen = msg[o + 1]!;
        const sig = msg.toString('latin1', o + 2, o + 2 + sigLen);
        o += 3 + sigLen;
        if (sig === 'u' || sig === 's' || sig === 'o') {
          o = (o + 3) & ~3;
          const v = le ? msg.readUInt32LE(o) : msg.readUInt32BE(o);
          if (sig === 'u') {
            if (code === 5) replySerial = v;
            o += 4;
          } else {
            if (code === 4) error = msg.toString('utf8', o + 4, o + 4 + v);
            o += 4 + v + 1;
          }
        } else if (sig === 'g') {
          o += 1 + msg[o]! + 1;
        } else {
          break; // not expected in replies
        }
      }
      const done = this.waiting.get(replySerial);
      if (done) {
        this.waiting.delete(replySerial);
        done({ type, le, body: msg.subarray(bodyAt), ...(error ? { error } : {}) });
      }
    }
  }

  call(dest: string, path: string, iface: string, member: string): Promise<{ le: boolean; body: Buffer }> {
    const serial = this.serial++;
    const fields: Buffer[] = [];
    let len = 16;
    const field = (code: number, sig: 's' | 'o', value: string) => {
      const pad = (8 - (len % 8)) % 8;
      const v = Buffer.from(value, 'utf8');
      const b = Buffer.alloc(pad + 4 + 4 + v.length + 1);
      b[pad] = code;
      b[pad + 1] = 1;
      b.write(sig, pad + 2, 'latin1');
      b.writeUInt32LE(v.length, pad + 4);
      v.copy(b, pad + 8);
      fields.push(b);
      len += b.length;
    };
    field(1, 'o', path);
    field(2, 's', iface);
    field(3, 's', member);
    field(6, 's', dest);
    const head = Buffer.alloc(16);
    head.write('l', 0, 'latin1');
    head[1] = 1; // METHOD_CALL
    head[2] = 0;
    head[3] = 1;
    head.writeUInt32LE(0, 4);
    head.writeUInt32LE(serial, 8);
    head.writeUInt32LE(len - 16, 12);
    const tail = Buffer.alloc((8 - (len % 8)) % 8);
    return new Promise<{ le: boolean; body: Buffer }>((resolve, reject) => {
      this.waiting.set(serial, (m) => (m.type === 3 ? reject(new Error(m.error ?? 'D-Bus error')) : resolve(m)));
      this.sock.write(Buffer.concat([head, ...fields, tail]));
    });
  }

  /** GetManagedObjects; resolves the object paths of the reply (a{oa{sa{sv}}}) and its size. */
  async managedPaths(t: Target): Promise<{ paths: string[]; bytes: number }> {
    const { le, body } = await this.call(t.busName, t.omPath, OM, 'GetManagedObjects');
    const u32 = (o: number) => (le ? body.readUInt32LE(o) : body.readUInt32BE(o));
    const paths: string[] = [];
    const arrayLen = u32(0);
    let o = 8; // the dict entries are 8-aligned
    const end = 8 + arrayLen;
    while (o < end) {
      o = (o + 7) & ~7;
      const n = u32(o);
      paths.push(body.toString('utf8', o + 4, o + 4 + n));
      o += 4 + n + 1;
      o = (o + 3) & ~3;
      const inner = u32(o);
      o += 4;
      o = (o + 7) & ~7;
      o += inner;
    }
    return { paths, bytes: body.length };
  }

  close(): void {
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The Secret Service, written directly (one CreateItem per secret; much faster than a process each)

class SecretWriter {
  private constructor(
    private readonly bus: dbus.MessageBus,
    private readonly session: string,
  ) {}

  static async open(address: string): Promise<SecretWriter> {
    const bus = dbus.sessionBus({ busAddress: address });
    const reply = await bus.call(
      new Message({
        destination: 'org.freedesktop.secrets',
        path: '/org/freedesktop/secrets',
        interface: 'org.freedesktop.Secret.Service',
        member: 'OpenSession',
        signature: 'sv',
        body: ['plain', new Variant('s', '')],
      }),
    );
    return new SecretWriter(bus, reply!.body[1] as string);
  }

  async store(item: { label: string; attributes: Record<string, string>; value: string }): Promise<void> {
    await this.bus.call(
      new Message({
        destination: 'org.freedesktop.secrets',
        path: '/org/freedesktop/secrets/aliases/default',
        interface: 'org.freedesktop.Secret.Collection',
        member: 'CreateItem',
        signature: 'a{sv}(oayays)b',
        body: [
          {
            'org.freedesktop.Secret.Item.Label': new Variant('s', item.label),
            'org.freedesktop.Secret.Item.Attributes': new Variant('a{ss}', item.attributes),
          },
          [this.session, Buffer.alloc(0), Buffer.from(item.value, 'utf8'), 'text/plain'],
          true,
        ],
      }),
    );
  }

  close(): void {
    this.bus.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// 1–5: start-up, Get vs Ping, GetManagedObjects, hand edit, memory

interface RunFigures {
  name: number;
  all: number;
  cpu: number;
  settle: number;
  /** GetManagedObjects until the last byte of the reply arrived (not decoded) */
  gmo: number[];
  /** the same call decoded into JS objects by dbus-next */
  gmoDecoded: number[];
  gmoBytes: number;
  get: number;
  ping: number;
  get99: number;
  hand: number;
  rss: number;
  hwm: number;
}
type SizeFigures = Record<string, RunFigures[]>;

async function measureSize(n: number, runs: number): Promise<SizeFigures> {
  const out: SizeFigures = { us: [], goa: [] };
  const s = await newSession();
  try {
    const port = await closedPort();
    const specs = Array.from({ length: n }, (_, i) => ({ i, imapPort: port, smtpPort: port, user: `bench${i}` }));
    const watch = await connect(s);
    const client = await connect(s);
    const wire = await WireClient.connect(s.address);
    try {
      for (const t of targets())
        await addMatch(
          watch,
          `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${t.busName}'`,
        );
      await addMatch(watch, `type='signal',interface='${OM}',member='InterfacesAdded'`);
      for (let r = 0; r < runs; r++) {
        // Alternate who goes first, so neither always meets a warmer page cache.
        const order = r % 2 === 0 ? targets() : [...targets()].reverse();
        for (const t of order) {
          t.writeAccounts(s, specs);
          progress(`${n} accounts, run ${r + 1}/${runs}: ${t.label}`);
          out[t.key]!.push(await measureRun(s, t, n, r, { watch, client, wire }, port));
        }
        bareFloor.set(n, [...(bareFloor.get(n) ?? []), await measureBare(s, client)]);
      }
    } finally {
      watch.disconnect();
      client.disconnect();
      wire.close();
    }
  } finally {
    await endSession(s);
  }
  return out;
}

async function measureRun(
  s: Session,
  t: Target,
  n: number,
  r: number,
  c: { watch: TestClient; client: TestClient; wire: WireClient },
  port: number,
): Promise<RunFigures> {
  const { watch, client, wire } = c;
  const st = await startAndWait(s, t, watch, wire, n, false);
  const { d } = st;
  try {
    // Steady state: the daemon (and the keyring it may be busy with) idle for 0.6 s, and at
    // least 2.5 s after the spawn (goa-daemon checks every account's credentials 1 s after start).
    const settle = await waitQuiet([d.pid, s.keyringPid ?? d.pid], st.t0 + 2500, 60_000 + n * 30);
    assertAlive(d);

    const gmoTimes: number[] = [];
    const gmoDecoded: number[] = [];
    let gmoBytes = NaN;
    const calls = n >= 10_000 ? 3 : 10;
    for (let i = 0; i < calls; i++) {
      let t1 = performance.now();
      const reply = await wire.managedPaths(t);
      gmoTimes.push(performance.now() - t1);
      gmoBytes = reply.bytes;
      if (countAccounts(t, reply.paths) < n)
        throw new Error(`${t.label}: GetManagedObjects lost accounts (${countAccounts(t, reply.paths)} of ${n})`);
      if (i < 3) {
        t1 = performance.now();
        await gmo(client, t);
        gmoDecoded.push(performance.now() - t1);
      }
    }

    const path = t.accountPath(0);
    const get: number[] = [];
    const pings: number[] = [];
    for (let i = 0; i < GET_ITERATIONS + 200; i++) {
      let t1 = performance.now();
      await getProp(client, t, path);
      const g = performance.now() - t1;
      t1 = performance.now();
      await ping(client);
      const p = performance.now() - t1;
      if (i >= 200) {
        // the first 200 pairs warm up both sides
        get.push(g);
        pings.push(p);
      }
    }

    const mem = memory(d.pid);

    // A person adds one account by editing the files.
    const tag = `${t.key === 'us' ? 'bench' : 'account'}_hand_${r}`;
    const mark = watch.signals.length;
    const t1 = performance.now();
    const added = t.handAdd(s, tag, { i: n + 1 + r, imapPort: port, smtpPort: port, user: 'hand' });
    let hand = NaN;
    try {
      await watch.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === added, 10_000, mark);
      hand = performance.now() - t1;
    } catch {
      progress(`${t.label}: no InterfacesAdded for ${added} within 10 s`);
    }
    return {
      name: st.name,
      all: st.all,
      cpu: st.cpu,
      settle,
      gmo: gmoTimes,
      gmoDecoded,
      gmoBytes,
      get: median(get),
      ping: median(pings),
      get99: pct(get, 0.99),
      hand,
      ...mem,
    };
  } finally {
    await d.stop();
  }
}

/** Get/Ping of bench/bare-responder.ts per size: the floor for a Node.js service. */
const bareFloor = new Map<number, Array<{ get: number; ping: number }>>();
const BARE_NAME = 'org.pantherx.BareResponder';
const BARE_BIN = join(import.meta.dirname, 'bare-responder.js');

async function measureBare(s: Session, client: TestClient): Promise<{ get: number; ping: number }> {
  const d = spawnDaemon('bare responder', process.execPath, [BARE_BIN, BARE_NAME], s.env);
  try {
    const deadline = performance.now() + 10_000;
    while (
      !(
        await client.callTo(
          'org.freedesktop.DBus',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus',
          'NameHasOwner',
          's',
          [BARE_NAME],
        )
      )[0]
    ) {
      assertAlive(d);
      if (performance.now() > deadline) throw new Error(`the bare responder did not own ${BARE_NAME}:\n${d.log()}`);
      await sleep(5);
    }
    const get: number[] = [];
    const pings: number[] = [];
    for (let i = 0; i < GET_ITERATIONS + 200; i++) {
      let t1 = performance.now();
      await client.callTo(BARE_NAME, '/', PROPS, 'Get', 'ss', [ours.probe.iface, ours.probe.prop]);
      const g = performance.now() - t1;
      t1 = performance.now();
      await ping(client);
      const p = performance.now() - t1;
      if (i >= 200) {
        get.push(g);
        pings.push(p);
      }
    }
    return { get: median(get), ping: median(pings) };
  } finally {
    await d.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 8: reading a password, as an app does

interface SecretFigures {
  calls: number;
  p50: number;
  p99: number;
  worst: number;
  firstCall: number;
  error?: string;
}
const SECRET_CALLS = 500;

async function measureSecrets(): Promise<Record<string, SecretFigures>> {
  const out: Record<string, SecretFigures> = {};
  const s = await newSession();
  try {
    const port = await closedPort();
    const specs: Spec[] = Array.from({ length: 100 }, (_, i) => ({
      i,
      imapPort: port,
      smtpPort: port,
      user: `bench${i}`,
    }));
    const writer = await SecretWriter.open(s.address);
    const watch = await connect(s);
    const client = await connect(s);
    const wire = await WireClient.connect(s.address);
    try {
      for (const t of targets()) {
        await addMatch(
          watch,
          `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${t.busName}'`,
        );
        t.writeAccounts(s, specs);
        for (const spec of specs) await writer.store(t.secret(spec.i, `pw-${spec.i}`));
        progress(`secret reads: ${t.label}`);
        const st = await startAndWait(s, t, watch, wire, specs.length, false);
        try {
          await waitQuiet([st.d.pid], st.t0 + 1500, 20_000);
          for (let k = 0; k < 20; k++) await t.readSecret(client, k % specs.length); // warm-up
          const lat: number[] = [];
          for (let k = 0; k < SECRET_CALLS; k++) {
            const t0 = performance.now();
            await t.readSecret(client, k % specs.length);
            lat.push(performance.now() - t0);
          }
          let worst = 0;
          for (const x of lat) worst = Math.max(worst, x);
          // The first call of a new connection: px-accounts identifies the caller then (bus credentials, /proc).
          const first: number[] = [];
          for (let k = 0; k < 20; k++) {
            const fresh = await connect(s);
            const t0 = performance.now();
            await t.readSecret(fresh, k % specs.length);
            first.push(performance.now() - t0);
            fresh.disconnect();
          }
          out[t.key] = { calls: lat.length, p50: pct(lat, 0.5), p99: pct(lat, 0.99), worst, firstCall: median(first) };
        } catch (err) {
          out[t.key] = {
            calls: 0,
            p50: NaN,
            p99: NaN,
            worst: NaN,
            firstCall: NaN,
            error: (err as Error).message.split('\n')[0],
          };
        } finally {
          await st.d.stop();
        }
      }
    } finally {
      writer.close();
      watch.disconnect();
      client.disconnect();
      wire.close();
    }
  } finally {
    await endSession(s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 6: 20 concurrent clients adding and removing accounts with secrets

interface OpsFigures {
  ops: number;
  attempted: number;
  ms: number;
  perSecond: number;
  errors: number;
  firstError?: string;
}

async function measureOps(): Promise<Record<string, OpsFigures[]>> {
  const out: Record<string, OpsFigures[]> = { us: [], goa: [], floor: [] };
  const s = await newSession();
  try {
    const port = await closedPort();
    const runs = RUNS;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(s)));
    const watch = await connect(s);
    const wire = await WireClient.connect(s.address);
    try {
      for (const t of targets()) {
        await addMatch(
          watch,
          `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${t.busName}'`,
        );
        t.writeAccounts(s, []);
        progress(`concurrent add/remove: ${t.label}`);
        const st = await startAndWait(s, t, watch, wire, 0, false);
        try {
          await waitQuiet([st.d.pid], st.t0 + 1500, 20_000);
          for (let r = 0; r < runs; r++) out[t.key]!.push(await addRemove(t, clients, port, r));
        } finally {
          await st.d.stop();
        }
      }
      const count = CLIENTS * OPS_PER_CLIENT * 2;
      progress(`concurrent add/remove: ${count} × secret-tool store, 20 at a time`);
      for (let r = 0; r < runs; r++) {
        let errors = 0;
        const t0 = performance.now();
        let firstError: string | undefined;
        await pool(count, CLIENTS, async (i) => {
          const res = await run(
            'secret-tool',
            ['store', '--label=px-accounts bench floor', 'service', 'px-accounts-bench-floor', 'username', `u${i}`],
            s.env,
            'not-a-real-secret',
          );
          if (res.code !== 0) {
            errors++;
            firstError ??= res.stderr.trim().split('\n')[0];
          }
        });
        const ms = performance.now() - t0;
        out.floor!.push({
          ops: count - errors,
          attempted: count,
          ms,
          perSecond: ((count - errors) * 1000) / ms,
          errors,
          ...(firstError ? { firstError } : {}),
        });
        // Untimed: the keyring goes back to its size before the run (the services' add+remove leave nothing either).
        await run('secret-tool', ['clear', 'service', 'px-accounts-bench-floor'], s.env);
      }
    } finally {
      for (const c of clients) c.disconnect();
      watch.disconnect();
      wire.close();
    }
  } finally {
    await endSession(s);
  }
  return out;
}

/** Every client adds an account with a secret and removes it again, OPS_PER_CLIENT times. */
async function addRemove(t: Target, clients: TestClient[], port: number, r: number): Promise<OpsFigures> {
  let errors = 0;
  let ops = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, k) => {
      for (let i = 0; i < OPS_PER_CLIENT; i++) {
        const who = `op${r}x${k}x${i}`;
        try {
          let path: string;
          if (t.key === 'us') {
            [path] = (await c.callTo(
              t.busName,
              '/org/pantherx/Accounts',
              'org.pantherx.Accounts.Manager',
              'AddAccount',
              'ssa{ss}a{sv}',
              [
                'imap',
                who,
                { password: `secret-${who}` },
                {
                  protocols: new Variant('as', ['imap', 'smtp']),
                  'imap.host': new Variant('s', '127.0.0.1'),
                  'imap.port': new Variant('q', port),
                  'imap.security': new Variant('s', 'none'),
                  'smtp.host': new Variant('s', '127.0.0.1'),
                  'smtp.port': new Variant('q', port),
                  'smtp.security': new Variant('s', 'none'),
                },
              ],
            )) as [string];
            ops++;
            await c.callTo(t.busName, path, 'org.pantherx.Accounts.Account', 'Remove');
          } else {
            [path] = (await c.callTo(
              t.busName,
              '/org/gnome/OnlineAccounts/Manager',
              'org.gnome.OnlineAccounts.Manager',
              'AddAccount',
              'sssa{sv}a{ss}',
              [
                'imap_smtp',
                `${who}@bench.invalid`,
                `${who}@bench.invalid`,
                {
                  'imap-password': new Variant('s', `secret-${who}`),
                  'smtp-password': new Variant('s', `secret-${who}`),
                },
                {
                  Enabled: 'true',
                  EmailAddress: `${who}@bench.invalid`,
                  Name: who,
                  ImapHost: `127.0.0.1:${port}`,
                  ImapUserName: who,
                  ImapUseSsl: 'false',
                  ImapUseTls: 'false',
                  ImapAcceptSslErrors: 'false',
                  SmtpHost: `127.0.0.1:${port}`,
                  SmtpUseAuth: 'true',
                  SmtpUserName: who,
                  SmtpAuthLogin: 'false',
                  SmtpAuthPlain: 'true',
                  SmtpUseSsl: 'false',
                  SmtpUseTls: 'false',
                  SmtpAcceptSslErrors: 'false',
                },
              ],
            )) as [string];
            ops++;
            await c.callTo(t.busName, path, 'org.gnome.OnlineAccounts.Account', 'Remove');
          }
          ops++;
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message.split('\n')[0];
          if (errors <= 3) progress(`${t.label}: add/remove failed: ${(err as Error).message}`);
        }
      }
    }),
  );
  const ms = performance.now() - t0;
  return {
    ops,
    attempted: clients.length * OPS_PER_CLIENT * 2,
    ms,
    perSecond: (ops * 1000) / ms,
    errors,
    ...(firstError ? { firstError } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// 7: responsiveness while the background checker sweeps every account right after start-up

interface SweepFigures {
  accounts: number;
  secrets: number;
  seconds: number;
  calls: number;
  firstGetMs: number;
  p50: number;
  p99: number;
  worst: number;
  worstAtS: number;
  over50: number;
  changes: number;
  lastChangeS: number;
  /** accounts that signalled a state change, and when the last of them first did (s after spawn) */
  checked: number;
  allCheckedS: number;
  tally: string;
  rss: number;
  hwm: number;
  note?: string;
}

async function measureSweep(): Promise<Record<string, SweepFigures | string>> {
  const out: Record<string, SweepFigures | string> = {};
  if (process.getuid?.() !== 0) {
    const why = 'needs root (the loopback Dovecot of the harness is started as root)';
    return { us: why, goa: why };
  }
  progress('sweep: starting the loopback Dovecot');
  peers = await startPeers(['dovecot']);
  const p = peers;
  const s = await newSession();
  try {
    const n = SWEEP_ACCOUNTS;
    // Even accounts: a refusing port; odd accounts: Dovecot (IMAP + submission, plain on loopback).
    const specs: Spec[] = Array.from({ length: n }, (_, i) =>
      i % 2 === 0
        ? { i, imapPort: p.ports.closed, smtpPort: p.ports.closed, user: p.user }
        : { i, imapPort: p.ports.imap, smtpPort: p.ports.submission, user: p.user },
    );
    // Secrets for the first SWEEP_SECRETS accounts of each service: i % 4 == 1 right, == 3 wrong
    // (both at Dovecot), even ones at the refusing port. The rest fail as 'no secret'.
    const password = (i: number) => (i % 4 === 1 ? p.password : `${p.password}-wrong`);
    const writer = await SecretWriter.open(s.address);
    try {
      for (const t of targets()) {
        const t0 = performance.now();
        await pool(SWEEP_SECRETS, 8, (i) => writer.store(t.secret(i, password(i))));
        progress(
          `sweep: stored ${SWEEP_SECRETS} secrets for ${t.label} in ${fmt((performance.now() - t0) / 1000, 1)} s`,
        );
      }
    } finally {
      writer.close();
    }
    for (const t of targets()) {
      t.writeAccounts(s, specs);
      progress(`sweep: ${t.label}, ${n} accounts, calling Get for ${SWEEP_SECONDS} s`);
      try {
        out[t.key] = await sweepOne(s, t, n);
      } catch (err) {
        out[t.key] = `failed: ${(err as Error).message.split('\n')[0]}`;
      }
    }
  } finally {
    await endSession(s);
    await p.stop();
    peers = undefined;
  }
  return out;
}

const TIMEOUT = Symbol('timeout');
/** The promise's value, its error, or TIMEOUT after ms (the promise itself is left to settle). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | Error | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
      new Promise<typeof TIMEOUT>((r) => (timer = setTimeout(() => r(TIMEOUT), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function sweepOne(s: Session, t: Target, n: number): Promise<SweepFigures> {
  const watch = await connect(s);
  const client = await connect(s);
  const counter = await connect(s);
  let changes = 0;
  let lastChange = 0;
  const signalled = new Set<string>();
  let lastNew = 0;
  let t0: number;
  counter.bus.on('message', (msg: InstanceType<typeof Message>) => {
    if (msg.type !== dbus.MessageType.SIGNAL) return;
    if ((t.key === 'us' && msg.member === 'StatusChanged') || (t.key === 'goa' && msg.member === 'PropertiesChanged')) {
      changes++;
      lastChange = performance.now();
      if (msg.path?.startsWith(t.accountPrefix) && !signalled.has(msg.path)) {
        signalled.add(msg.path);
        lastNew = lastChange;
      }
    }
  });
  try {
    await addMatch(watch, `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${t.busName}'`);
    await addMatch(
      counter,
      t.key === 'us'
        ? `type='signal',sender='${t.busName}',interface='org.pantherx.Accounts.Account',member='StatusChanged'`
        : `type='signal',sender='${t.busName}',interface='${PROPS}',member='PropertiesChanged'`,
    );
    const mark = watch.signals.length;
    t0 = performance.now();
    const d = t.start(s, true);
    try {
      await waitOwned(watch, t, d, mark, 120_000);
      const path = t.accountPath(0);
      const lat: number[] = [];
      let firstGetMs = NaN;
      let worst = -1;
      let worstAt = NaN;
      const end = performance.now() + SWEEP_SECONDS * 1000;
      // A call stuck behind the daemon's own work is waited for up to capMs, then recorded as
      // "no reply within capMs" (dbus-next calls have no timeout of their own).
      const capMs = Math.max(60_000, 2 * SWEEP_SECONDS * 1000);
      let stuck = false;
      while (performance.now() < end) {
        const t1 = performance.now();
        const r = await within(getProp(client, t, path), capMs);
        if (r === TIMEOUT) {
          stuck = true;
          lat.push(capMs);
          worst = capMs;
          worstAt = (t1 - t0) / 1000;
          break;
        }
        if (r instanceof Error) {
          // Not exported yet (a name owned before the objects): keep trying; no latency sample.
          if (!Number.isFinite(firstGetMs)) {
            await sleep(1);
            continue;
          }
          throw r;
        }
        const t2 = performance.now();
        if (!Number.isFinite(firstGetMs)) firstGetMs = t2 - t0;
        lat.push(t2 - t1);
        if (t2 - t1 > worst) {
          worst = t2 - t1;
          worstAt = (t1 - t0) / 1000;
        }
      }
      assertAlive(d);
      const mem = memory(d.pid);
      const tally = new Map<string, number>();
      const objects = stuck ? TIMEOUT : await within(gmo(client, t), 60_000);
      if (objects === TIMEOUT || objects instanceof Error) {
        tally.set(
          objects === TIMEOUT ? 'n/a (GetManagedObjects did not answer within 60 s)' : `n/a (${objects.message})`,
          NaN,
        );
      } else {
        for (const [p, ifaces] of Object.entries(objects)) {
          if (!p.startsWith(t.accountPrefix)) continue;
          const acc = ifaces[t.key === 'us' ? 'org.pantherx.Accounts.Account' : 'org.gnome.OnlineAccounts.Account'];
          const key =
            t.key === 'us' ? String(acc?.Status?.value) : `AttentionNeeded=${String(acc?.AttentionNeeded?.value)}`;
          tally.set(key, (tally.get(key) ?? 0) + 1);
        }
      }
      return {
        accounts: n,
        secrets: SWEEP_SECRETS,
        seconds: SWEEP_SECONDS,
        calls: lat.length,
        firstGetMs,
        p50: median(lat),
        p99: pct(lat, 0.99),
        worst: max(lat),
        worstAtS: worstAt,
        over50: lat.filter((x) => x >= 50).length,
        changes,
        lastChangeS: changes ? (lastChange - t0) / 1000 : NaN,
        checked: signalled.size,
        allCheckedS: signalled.size >= n ? (lastNew - t0) / 1000 : NaN,
        tally: [...tally.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => (Number.isNaN(v) ? k : `${k}: ${v}`))
          .join(', '),
        ...mem,
        ...(stuck ? { note: `a Get got no reply within ${capMs / 1000} s; the window ended there` } : {}),
      };
    } finally {
      await d.stop();
    }
  } finally {
    watch.disconnect();
    client.disconnect();
    counter.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const say = (line = '') => console.log(line);

async function dpkgVersion(pkg: string): Promise<string> {
  const r = await run('dpkg-query', ['-W', '-f', '${Version}', pkg], process.env);
  return r.code === 0 ? r.stdout.trim() : 'unknown';
}

function cpuModel(): string {
  const c = os.cpus();
  return `${c.length} × ${c[0]?.model?.trim() ?? 'unknown CPU'}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const raw: Record<string, unknown> = { sizes: SIZES, runs: RUNS, bigRuns: BIG_RUNS };
  say('# px-accounts vs goa-daemon');
  say();
  say(
    `${new Date().toISOString()} · ${cpuModel()} · load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} · Node ${process.version} · ` +
      `goa-daemon ${GOA_ENABLED ? await dpkgVersion('gnome-online-accounts') : `n/a (${GOA_MISSING})`} · gnome-keyring ${await dpkgVersion('gnome-keyring')} · dbus ${await dpkgVersion('dbus')}`,
  );
  say(
    'Both daemons run on one private dbus-daemon (with the limits of the stock session.conf) and one unlocked gnome-keyring, one after the other; every account points at 127.0.0.1.',
  );
  if (!SKIP.has('startup'))
    say(
      `Runs per size: ${SIZES.map((n) => `${fmt(n)}: ${n >= 10_000 ? BIG_RUNS : RUNS}`).join(', ')}; figures are medians over runs.`,
    );
  say();

  // 1–5
  const bySize = new Map<number, SizeFigures>();
  if (!SKIP.has('startup')) {
    for (const n of SIZES) {
      try {
        bySize.set(n, await measureSize(n, n >= 10_000 ? BIG_RUNS : RUNS));
      } catch (err) {
        progress(`${n} accounts failed: ${(err as Error).stack ?? String(err)}`);
        say(`> ${n} accounts: measurement failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    raw.sizes = Object.fromEntries(bySize);
    raw.bareFloor = Object.fromEntries(bareFloor);
    const fig = (n: number, k: string, f: (r: RunFigures) => number) => median((bySize.get(n)?.[k] ?? []).map(f));
    const g = (n: number, f: (r: RunFigures) => number) => fig(n, 'goa', f);
    const u = (n: number, f: (r: RunFigures) => number) => fig(n, 'us', f);
    const ns = SIZES.filter((n) => bySize.has(n));

    say('## 1. Start-up: spawn → every account exported (GetManagedObjects returns all N), ms');
    say();
    say(
      '| accounts | runs | us: name owned | us: all exported | goa: name owned | goa: all exported | all exported us / goa | target: no slower than goa | name owned us / goa | CPU until all exported: us | goa | us / goa | every run, all exported: us · goa |',
    );
    say('|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---|');
    for (const n of ns) {
      const a = u(n, (r) => r.all);
      const b = g(n, (r) => r.all);
      const [an, bn] = [u(n, (r) => r.name), g(n, (r) => r.name)];
      const [ac, bc] = [u(n, (r) => r.cpu), g(n, (r) => r.cpu)];
      const each = (k: string) => (bySize.get(n)?.[k] ?? []).map((r) => fmt(r.all)).join(', ') || 'n/a';
      say(
        `| ${fmt(n)} | ${bySize.get(n)!.us!.length} | ${fmt(an)} | ${fmt(a)} | ${fmt(bn)} | ${fmt(b)} | ${ratio(a, b)} | ${verdict(known(a, b) ? a <= b : undefined)} | ${ratio(an, bn)} | ${fmt(ac)} | ${fmt(bc)} | ${ratio(ac, bc)} | ${each('us')} · ${each('goa')} |`,
      );
    }
    say();
    say(
      '1 s after it starts, goa-daemon queues a credentials check for every account and works through the queue one account at a time on its main loop (re-sorting the rest of the queue before each one); a call that arrives while it is busy with that waits. Where goa\'s "all exported" is far above its "name owned", the first GetManagedObjects met that.',
    );
    say();

    say('## 2. Properties.Get of a string property vs Peer.Ping to dbus-daemon (same client), p50 µs');
    say();
    say(
      '| accounts | us: Get | us: Ping | us: Get/Ping | target: ≤ 1.5× Ping | us: Get p99 | goa: Get | goa: Ping | goa: Get/Ping | goa: Get p99 | Get us / goa | bare Node responder: Get/Ping |',
    );
    say('|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const n of ns) {
      const [ug, up, gg, gp] = [
        u(n, (r) => r.get * 1000),
        u(n, (r) => r.ping * 1000),
        g(n, (r) => r.get * 1000),
        g(n, (r) => r.ping * 1000),
      ];
      say(
        `| ${fmt(n)} | ${fmt(ug)} | ${fmt(up)} | ${ratio(ug, up)} | ${verdict(known(ug, up) ? ug <= 1.5 * up : undefined)} | ${fmt(u(n, (r) => r.get99 * 1000))} | ` +
          `${fmt(gg)} | ${fmt(gp)} | ${ratio(gg, gp)} | ${fmt(g(n, (r) => r.get99 * 1000))} | ${ratio(ug, gg)} | ` +
          `${ratio(median((bareFloor.get(n) ?? []).map((b) => b.get)), median((bareFloor.get(n) ?? []).map((b) => b.ping)))} |`,
      );
    }
    say();
    say(
      'The last column is bench/bare-responder.ts, a Node.js process that answers every call with a fixed variant and does nothing else (no decoding beyond the reply serial, no dispatch), measured by the same client on the same bus: the floor for any service written in Node.js. A call to a service crosses dbus-daemon twice where Ping crosses it once, so the ratio cannot reach 1 for any daemon.',
    );
    say();

    say('## 3. GetManagedObjects, one call (median), ms');
    say();
    say(
      "Call sent → last byte of the reply received (counted, not decoded); then the same call decoded by dbus-next, which adds the client's own cost.",
    );
    say();
    say('| accounts | us | goa | us / goa | reply size us / goa (KiB) | decoded by dbus-next: us | goa |');
    say('|---:|---:|---:|---:|---:|---:|---:|');
    for (const n of ns) {
      const all = (k: string, f: (r: RunFigures) => number[]) => median((bySize.get(n)?.[k] ?? []).flatMap(f));
      const a = all('us', (r) => r.gmo);
      const b = all('goa', (r) => r.gmo);
      say(
        `| ${fmt(n)}${n === 1000 ? ' ★' : ''} | ${fmt(a, 1)} | ${fmt(b, 1)} | ${ratio(a, b)} | ${fmt(u(n, (r) => r.gmoBytes / 1024))} / ${fmt(g(n, (r) => r.gmoBytes / 1024))} | ` +
          `${fmt(
            all('us', (r) => r.gmoDecoded),
            1,
          )} | ${fmt(
            all('goa', (r) => r.gmoDecoded),
            1,
          )} |`,
      );
    }
    say();

    say('## 4. A file added by hand → InterfacesAdded received, ms');
    say();
    say('| accounts | us (new `<id>.ini`) | target: < 100 ms | goa (group appended to accounts.conf) |');
    say('|---:|---:|:---:|---:|');
    for (const n of ns) {
      const a = u(n, (r) => r.hand);
      say(
        `| ${fmt(n)} | ${fmt(a, 1)} | ${verdict(Number.isFinite(a) ? a < 100 : undefined)} | ${fmt(
          g(n, (r) => r.hand),
          1,
        )} |`,
      );
    }
    say();

    say('## 5. Memory after start-up (idle), MB');
    say();
    say(
      '| accounts | us: VmRSS | us: VmHWM | goa: VmRSS | goa: VmHWM | RSS us / goa | target: RSS ≤ goa (1 000 and 10 000) |',
    );
    say('|---:|---:|---:|---:|---:|---:|:---:|');
    for (const n of ns) {
      const [a, b] = [u(n, (r) => r.rss), g(n, (r) => r.rss)];
      say(
        `| ${fmt(n)} | ${fmt(a, 1)} | ${fmt(
          u(n, (r) => r.hwm),
          1,
        )} | ${fmt(b, 1)} | ${fmt(
          g(n, (r) => r.hwm),
          1,
        )} | ${ratio(a, b)} | ${n >= 1000 ? verdict(known(a, b) ? a <= b : undefined) : '–'} |`,
      );
    }
    say();
    const settles = ns
      .map((n) => `${n}: us ${fmt(u(n, (r) => r.settle))} / goa ${fmt(g(n, (r) => r.settle))}`)
      .join('; ');
    say(
      `Time each daemon needed to go idle after all accounts were exported, before 2–5 were measured (ms, median; at least 2.5 s after spawn): ${settles}.`,
    );
    say();
  }

  // 6
  if (!SKIP.has('ops')) {
    say(`## 6. ${CLIENTS} concurrent clients, each ${OPS_PER_CLIENT}× AddAccount (with a secret) + Remove`);
    say();
    try {
      const ops = await measureOps();
      raw.ops = ops;
      const m = (k: string, f: (o: OpsFigures) => number) => median((ops[k] ?? []).map(f));
      const floor = m('floor', (o) => o.perSecond);
      say(
        'An operation is one AddAccount or one Remove (one `secret-tool store` for the floor); ops/s counts completed operations only.',
      );
      say();
      say(
        '| who | operations completed per run (of attempted) | runs | ms (median) | ops/s (median) | vs secret-tool floor | failed add/remove pairs (all runs) |',
      );
      say('|---|---:|---:|---:|---:|---:|---:|');
      const row = (label: string, k: string) => {
        const runs = ops[k] ?? [];
        if (!runs.length) return say(`| ${label} | n/a | 0 | n/a | n/a | n/a | n/a |`);
        const errs = runs.reduce((a, o) => a + o.errors, 0);
        const why = runs.find((o) => o.firstError)?.firstError;
        say(
          `| ${label} | ${fmt(m(k, (o) => o.ops))} (${fmt(m(k, (o) => o.attempted))}) | ${runs.length} | ${fmt(m(k, (o) => o.ms))} | ${fmt(
            m(k, (o) => o.perSecond),
            1,
          )} | ${
            k === 'floor'
              ? '1.00×'
              : ratio(
                  m(k, (o) => o.perSecond),
                  floor,
                )
          } | ${errs}${why ? ` (first: ${why.replace(/\|/g, '/')})` : ''} |`,
        );
      };
      row('px-accounts (Add + Remove over D-Bus)', 'us');
      row(
        `goa-daemon (Manager.AddAccount + Account.Remove), for reference${GOA_ENABLED ? '' : `: ${GOA_MISSING}`}`,
        'goa',
      );
      row(`\`secret-tool store\` × the same count, ${CLIENTS} at a time (keyring floor)`, 'floor');
    } catch (err) {
      progress(`ops failed: ${(err as Error).stack}`);
      say(`> failed: ${(err as Error).message.split('\n')[0]}`);
    }
    say();
  }

  // 7
  if (!SKIP.has('sweep')) {
    say(
      `## 7. Properties.Get while the background check sweeps ${fmt(SWEEP_ACCOUNTS)} accounts right after start-up (${SWEEP_SECONDS} s of back-to-back calls)`,
    );
    say();
    try {
      const sweep = await measureSweep();
      raw.sweep = sweep;
      say(
        '| service | Get calls | first Get after spawn (ms) | p50 (ms) | p99 (ms) | worst (ms) | worst at (s after spawn) | calls ≥ 50 ms | target: worst < 50 ms | state changes signalled (last at s) | accounts that signalled one (all by s) | account states after the window | VmRSS / VmHWM (MB) |',
      );
      say('|---|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---|---:|');
      for (const t of [ours, goa]) {
        const f = sweep[t.key];
        if (f === undefined || typeof f === 'string') {
          say(
            `| ${t.label} | n/a | n/a | n/a | n/a | n/a | n/a | n/a | ${t.key === 'us' ? 'n/a' : '–'} | n/a | n/a | ${f ?? GOA_MISSING} | n/a |`,
          );
          continue;
        }
        say(
          `| ${t.label} | ${fmt(f.calls)} | ${fmt(f.firstGetMs)} | ${fmt(f.p50, 2)} | ${fmt(f.p99, 2)} | ${f.note ? `> ${fmt(f.worst)} (no reply)` : fmt(f.worst, 1)} | ${fmt(f.worstAtS, 1)} | ${fmt(f.over50)} | ${t.key === 'us' ? verdict(f.worst < 50) : '–'} | ` +
            `${fmt(f.changes)} (${fmt(f.lastChangeS, 1)}) | ${fmt(f.checked)} (${Number.isFinite(f.allCheckedS) ? fmt(f.allCheckedS, 1) : 'not all'}) | ${f.tally}${f.note ? ` — ${f.note}` : ''} | ${fmt(f.rss, 0)} / ${fmt(f.hwm, 0)} |`,
        );
      }
      say();
      say(
        `Accounts: even ones at a refusing loopback port, odd ones at the loopback Dovecot (IMAP + submission); secrets stored for the first ${fmt(SWEEP_SECRETS)} of each service (right password for i % 4 = 1, wrong for i % 4 = 3), the rest have none. ` +
          'State changes signalled: StatusChanged for px-accounts, PropertiesChanged (AttentionNeeded) for goa-daemon, counted until the daemon was stopped; goa-daemon signals only accounts whose check failed, so its count is a lower bound of the accounts it checked.',
      );
    } catch (err) {
      progress(`sweep failed: ${(err as Error).stack}`);
      say(`> failed: ${(err as Error).message.split('\n')[0]}`);
    }
    say();
  }

  // 8
  if (!SKIP.has('secrets')) {
    say(
      `## 8. Reading a password as an app does, ${SECRET_CALLS} calls in a row over 100 accounts (GetSecret / PasswordBased.GetPassword), ms`,
    );
    say();
    try {
      const sec = await measureSecrets();
      raw.secrets = sec;
      say(
        '| service | calls | p50 | p99 | worst | first call of a new connection (median of 20) | target: p50 ≤ goa |',
      );
      say('|---|---:|---:|---:|---:|---:|:---:|');
      for (const t of [ours, goa]) {
        const f = sec[t.key];
        if (!f || f.error) {
          say(`| ${t.label} | n/a | n/a | n/a | n/a | n/a | ${f?.error ?? GOA_MISSING} |`);
          continue;
        }
        const target = t.key === 'us' && sec.goa && !sec.goa.error ? verdict(f.p50 <= sec.goa.p50) : '–';
        say(
          `| ${t.label} | ${fmt(f.calls)} | ${fmt(f.p50, 2)} | ${fmt(f.p99, 2)} | ${fmt(f.worst, 2)} | ${fmt(f.firstCall, 2)} | ${target} |`,
        );
      }
    } catch (err) {
      progress(`secrets failed: ${(err as Error).stack}`);
      say(`> failed: ${(err as Error).message.split('\n')[0]}`);
    }
    say();
  }

  say(`Total time ${fmt((performance.now() - started) / 1000)} s.`);
  if (opt.json) writeFileSync(opt.json, JSON.stringify(raw, null, 2));
}

try {
  await main();
} finally {
  await cleanUp();
}
// leftover handles (bus sockets) must not keep the process alive
process.exit(0);
