/**
 * Shared state of the faults run: the secrets it used, where it looked for them, the figures
 * printed at the end, and sessions that record everything a leak check needs (service logs,
 * signals seen by clients and by a dbus-monitor) before they are torn down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { TestClient } from '../../harness/client.js';
import { alive, stopPid } from '../../harness/process.js';
import {
  startService,
  startSession,
  type KeyringMode,
  type ServiceProcess,
  type Session,
} from '../../harness/session.js';

export const FIGURES = {
  killsSurvived: 0,
  callsFuzzed: 0,
  filesTried: 0,
  leaksFound: 0,
  secretsUsed: 0,
  /** Signals of the service (ObjectManager, Properties, Account) that dbus-monitor printed. */
  signalsMonitored: 0,
  placesScanned: 0,
  bytesScanned: 0,
};

/** Every secret of the run carries this prefix, so a scan finds any of them with one regex. */
const SECRET_PREFIX = 'pxfz';
const SECRET_RE = /pxfz[0-9a-f]{32}/g;
const secrets = new Set<string>();

/** A fresh random test secret, remembered for the leak checks. */
export function newSecret(): string {
  const s = SECRET_PREFIX + randomBytes(16).toString('hex');
  secrets.add(s);
  FIGURES.secretsUsed = secrets.size;
  return s;
}

export const leakFindings: string[] = [];

/** Records every test secret found in `text` (which must never hold one). */
export function scanForLeaks(where: string, text: string): void {
  FIGURES.placesScanned++;
  FIGURES.bytesScanned += text.length;
  const found = new Set(text.match(SECRET_RE) ?? []);
  for (const s of found) {
    leakFindings.push(`${where}: a test secret (${s.slice(0, 8)}…, ${secrets.has(s) ? 'known' : 'unknown'}) appears`);
  }
  FIGURES.leaksFound = leakFindings.length;
}

const json = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? String(x) : Buffer.isBuffer(x) ? x.toString('latin1') : x,
  );

/** dbus-monitor on a session's bus, watching every signal, stopped by PID. */
export class SignalMonitor {
  output = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
  }

  static async start(session: Session): Promise<SignalMonitor> {
    const child = spawn('dbus-monitor', ['--address', session.address, "type='signal'"], {
      env: session.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const m = new SignalMonitor(child);
    // It prints its own NameAcquired/NameLost once it listens.
    const deadline = Date.now() + 3000;
    while (!m.output.includes('signal') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return m;
  }

  async stop(): Promise<void> {
    await stopPid(this.child.pid, 1000);
  }
}

/** A private session with everything the leak checks need recorded before teardown. */
export interface FaultSession {
  readonly session: Session;
  readonly monitor: SignalMonitor;
  readonly services: ServiceProcess[];
  readonly clients: TestClient[];
  /** The service started last. */
  service: ServiceProcess;
  client: TestClient;
  /** Extra text to scan at close (logs written elsewhere, replies). */
  readonly extraText: Array<{ where: string; text: () => string }>;
}

export async function openSession(
  mode: KeyringMode = 'unlocked',
  withService = true,
  env: NodeJS.ProcessEnv = {},
): Promise<FaultSession> {
  const session = await startSession(mode);
  const monitor = await SignalMonitor.start(session);
  const fs: FaultSession = {
    session,
    monitor,
    services: [],
    clients: [],
    service: undefined as unknown as ServiceProcess,
    client: undefined as unknown as TestClient,
    extraText: [],
  };
  if (withService) {
    await startTracked(fs, [], env);
    fs.client = await connectTracked(fs);
  }
  return fs;
}

export async function startTracked(
  fs: FaultSession,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ServiceProcess> {
  const service = await startService(fs.session, args, env);
  fs.services.push(service);
  fs.service = service;
  return service;
}

/**
 * Starts the service like the harness does, but through setpriv without CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH: we run as root, and only then do file modes (chmod 000, a read-only
 * directory) make reads and writes fail.
 */
export async function startWithoutDacOverride(fs: FaultSession): Promise<ServiceProcess> {
  const caps = '-dac_override,-dac_read_search';
  const proc = await startService(fs.session, [], {}, ['setpriv', `--inh-caps=${caps}`, `--bounding-set=${caps}`]);
  fs.services.push(proc);
  fs.service = proc;
  return proc;
}

export async function connectTracked(fs: FaultSession, watchSignals = true): Promise<TestClient> {
  const c = await TestClient.connect(fs.session.address, watchSignals);
  // Some tests kill the bus under their clients: a dead connection must not crash mocha.
  c.bus.on('error', () => undefined);
  fs.clients.push(c);
  return c;
}

/** Scans the accounts directory, every service log, every client's signals and the monitor; then stops everything by PID. */
export async function closeSession(fs: FaultSession | undefined): Promise<void> {
  if (!fs) return;
  const { session } = fs;
  scanDirForLeaks(`account files of ${session.dir}`, session.accountsDir);
  for (const [i, s] of fs.services.entries())
    scanForLeaks(`stderr of service #${i + 1} (pid ${s.pid}) in ${session.dir}`, s.log());
  for (const [i, c] of fs.clients.entries())
    scanForLeaks(`signals seen by client #${i + 1} in ${session.dir}`, json(c.signals));
  for (const e of fs.extraText) scanForLeaks(e.where, e.text());
  await fs.monitor.stop();
  scanForLeaks(`dbus-monitor (signals) of ${session.dir}`, fs.monitor.output);
  FIGURES.signalsMonitored += (
    fs.monitor.output.match(
      /^signal .*(interface=org\.freedesktop\.DBus\.(ObjectManager|Properties)|interface=org\.pantherx\.Accounts)/gm,
    ) ?? []
  ).length;
  for (const c of fs.clients) {
    try {
      c.disconnect();
    } catch {
      /* already gone with its bus */
    }
  }
  for (const s of fs.services) if (alive(s.pid)) await s.stop();
  await session.stop();
}

/** Every regular file under dir up to 2 MiB (bigger ones are the hostile-file tests' own). */
export function scanDirForLeaks(where: string, dir: string): void {
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size <= 2 * 1024 * 1024) {
        try {
          scanForLeaks(`${where}: ${relative(dir, p)}`, readFileSync(p, 'latin1'));
        } catch {
          /* unreadable on purpose */
        }
      }
    }
  };
  walk(dir);
}

/**
 * `<id>/<name>` of every item the Secret Service holds for px-accounts (unlocked or locked),
 * read through the Secret Service API like `secret-tool search --all service
 * org.pantherx.Accounts` would, but without fetching every secret value (much faster, and it
 * does not trip over an item the service deletes at the same moment).
 */
export async function keyringItems(fs: FaultSession): Promise<string[]> {
  const c = (keyringClients.get(fs) ?? keyringClients.set(fs, await connectTracked(fs, false)).get(fs))!;
  const S = 'org.freedesktop.secrets';
  // gnome-keyring under heavy load has once answered SearchItems with GDBus's UnknownMethod
  // ("Method SearchItems is not implemented"), a moment later it works: ask again, a few times.
  let found: unknown[] | undefined;
  for (let attempt = 1; !found; attempt++) {
    try {
      found = await c.callTo(S, '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'SearchItems', 'a{ss}', [
        { service: 'org.pantherx.Accounts' },
      ]);
    } catch (err) {
      if (
        attempt >= 5 ||
        !/UnknownMethod|not implemented/.test(String((err as { type?: string }).type) + (err as Error).message)
      )
        throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const [unlocked, locked] = found;
  const out: string[] = [];
  for (const item of [...(unlocked as string[]), ...(locked as string[])]) {
    try {
      const [attrs] = await c.callTo(S, item, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
        'org.freedesktop.Secret.Item',
        'Attributes',
      ]);
      const username = (attrs as { value: Record<string, string> }).value.username;
      if (username) out.push(username);
    } catch (err) {
      // Deleted between the search and the read: it is gone, which is what we want to know.
      if (
        !/UnknownObject|NoSuchObject|No such|does not exist/i.test(
          String((err as { type?: string }).type) + (err as Error).message,
        )
      )
        throw err;
    }
  }
  return out.sort();
}
const keyringClients = new WeakMap<FaultSession, TestClient>();

/** The `credentials` names each `<id>.ini` lists (read directly from the files). */
export function credentialsOnDisk(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of readdirSync(dir)) {
    if (!/^[A-Za-z0-9_]+\.ini$/.test(n)) continue;
    let text: string;
    try {
      text = readFileSync(join(dir, n), 'utf8');
    } catch {
      continue;
    }
    const head = /^\[account\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(text)?.[1] ?? '';
    const line = /^credentials\s*=\s*(.*)$/m.exec(head)?.[1] ?? '';
    out.set(
      n.slice(0, -4),
      line
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .sort(),
    );
  }
  return out;
}

/**
 * Directory and keyring agree: every name a file lists has a secret, and every secret
 * belongs to a file that lists it. Returns one line per disagreement.
 */
export async function keyringDisagreements(
  fs: FaultSession,
): Promise<{ missing: string[]; orphans: string[]; unlisted: string[] }> {
  const items = new Set(await keyringItems(fs));
  const files = credentialsOnDisk(fs.session.accountsDir);
  const missing: string[] = [];
  for (const [id, names] of files)
    for (const n of names)
      if (!items.has(`${id}/${n}`)) missing.push(`${id}.ini lists '${n}' but the keyring has no ${id}/${n}`);
  const orphans: string[] = [];
  const unlisted: string[] = [];
  for (const item of items) {
    const slash = item.lastIndexOf('/');
    const id = item.slice(0, slash);
    const name = item.slice(slash + 1);
    const listed = files.get(id);
    if (!listed) orphans.push(`keyring item ${item} has no ${id}.ini`);
    else if (!listed.includes(name)) unlisted.push(`keyring item ${item} is not listed in ${id}.ini`);
  }
  return { missing, orphans, unlisted };
}

export interface TreeEntry {
  type: string;
  mode: number;
  size: number;
  mtimeMs: number;
  hash?: string;
  target?: string;
}

/** path → type, mode, size, mtime and content hash of everything under root, minus `exclude` (relative prefixes). */
export function snapshotTree(root: string, exclude: string[]): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const skip = (rel: string) => exclude.some((e) => rel === e || rel.startsWith(e + '/'));
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const rel = relative(root, p);
      if (skip(rel)) continue;
      const st = lstatSync(p);
      const e: TreeEntry = {
        type: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'link' : 'other',
        mode: st.mode,
        size: st.isDirectory() ? 0 : st.size,
        mtimeMs: st.isDirectory() ? 0 : st.mtimeMs,
      };
      if (e.type === 'file') e.hash = createHash('sha256').update(readFileSync(p)).digest('hex');
      if (e.type === 'link') e.target = readlinkSync(p);
      out.set(rel, e);
      if (e.type === 'dir') walk(p);
    }
  };
  walk(root);
  return out;
}

export function diffTrees(before: Map<string, TreeEntry>, after: Map<string, TreeEntry>): string[] {
  const out: string[] = [];
  for (const [p, e] of after) {
    const b = before.get(p);
    if (!b) out.push(`created ${p} (${e.type})`);
    else if (json(b) !== json(e)) out.push(`changed ${p}: ${json(b)} → ${json(e)}`);
  }
  for (const p of before.keys()) if (!after.has(p)) out.push(`deleted ${p}`);
  return out;
}

/** Error name of a D-Bus call, or 'ok'. */
export async function outcome(p: Promise<unknown>): Promise<{ name: string; text: string; value?: unknown }> {
  try {
    const value = await p;
    return { name: 'ok', text: '', value };
  } catch (err) {
    const e = err as { type?: string; text?: string; message?: string };
    return { name: e.type ?? `not a D-Bus error: ${e.message}`, text: e.text ?? e.message ?? '' };
  }
}

/** Resolves with the promise's value or rejects after ms. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Small seeded PRNG (mulberry32) so a failing fuzz run can be replayed with PX_FAULTS_SEED. */
export class Rng {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export function seedFromEnv(name: string): number {
  const v = process.env.PX_FAULTS_SEED;
  const seed = v ? Number(v) >>> 0 : randomBytes(4).readUInt32LE(0);
  console.log(`      [${name}] seed ${seed} (replay with PX_FAULTS_SEED=${seed})`);
  return seed;
}

export const idOf = (path: string) => path.split('/').pop()!;

/** xs[i], or a RangeError naming the index: a test's own bookkeeping gone wrong fails loudly. */
export function at<T>(xs: readonly T[], i: number): T {
  if (!Number.isInteger(i) || i < 0 || i >= xs.length) throw new RangeError(`index ${i} outside 0..${xs.length - 1}`);
  return xs[i] as T;
}
