/**
 * Verification in parallel: Account.Verify on 100 accounts at once (Promise.all) against the
 * loopback Dovecot, versus one Verify, directly and through a proxy that adds 25 ms each way
 * (a 50 ms round trip, like a mail server across the country). Prints a Markdown table; never
 * part of the pass/fail tests. Needs root (the harness starts Dovecot as root).
 *
 *   node dist/bench/verify.js [--quick] [--accounts 100] [--delay 25]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ACCOUNT, TestClient, s, q, type V } from '../test/harness/client.js';
import { startLatencyProxy, startPeers, type LatencyProxy, type Peers } from '../test/harness/peers.js';
import { startService, startSession, type ServiceProcess, type Session } from '../test/harness/session.js';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    accounts: { type: 'string', default: '100' },
    delay: { type: 'string', default: '25' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opt.help) {
  console.log('Usage: node dist/bench/verify.js [--quick] [--accounts N (100)] [--delay MS one-way (25)]');
  process.exit(0);
}
const N = Math.max(1, Number(opt.accounts) || 100);
const DELAY = Math.max(0, Number(opt.delay) || 0);
const SINGLE_RUNS = opt.quick ? 3 : 7;
const PARALLEL_RUNS = opt.quick ? 1 : 3;

const progress = (msg: string) => process.stderr.write(`[verify ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};
const fmt = (x: number, d = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a';

/** The limits of Debian's stock session bus (the harness bus has dbus-daemon's defaults: 256 connections per user). */
async function desktopLimits(session: Session): Promise<void> {
  let stock = '';
  try {
    stock = readFileSync('/usr/share/dbus-1/session.conf', 'utf8');
  } catch {
    /* fallback below */
  }
  const limits =
    [...stock.matchAll(/<limit name="(max_[a-z_]+|auth_timeout|pending_fd_timeout)">\s*(\d+)\s*<\/limit>/g)]
      .map((m) => `  <limit name="${m[1]}">${m[2]}</limit>`)
      .join('\n') || '  <limit name="max_connections_per_user">100000</limit>';
  const file = join(session.dir, 'session.conf');
  writeFileSync(file, readFileSync(file, 'utf8').replace('</busconfig>', `${limits}\n</busconfig>`));
  const c = await TestClient.connect(session.address, false);
  try {
    await c.callTo('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'ReloadConfig');
  } finally {
    c.disconnect();
  }
}

interface Row {
  label: string;
  single: number;
  parallel: number;
  ok: number;
  total: number;
  failures: string[];
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log(
      '## Account.Verify: 100 in parallel vs one\n\nn/a: needs root (the loopback Dovecot of the harness is started as root).',
    );
    return;
  }
  let peers: Peers | undefined;
  let session: Session | undefined;
  let service: ServiceProcess | undefined;
  let proxy: LatencyProxy | undefined;
  let client: TestClient | undefined;
  const stopAll = async () => {
    client?.disconnect();
    await service?.stop().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await session?.stop().catch(() => undefined);
    await peers?.stop().catch(() => undefined);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void stopAll().finally(() => process.exit(130)));
  try {
    progress('starting the loopback Dovecot, a private bus and keyring, and px-accounts');
    peers = await startPeers(['dovecot']);
    session = await startSession('unlocked');
    await desktopLimits(session);
    service = await startService(session, ['--no-background-check']);
    proxy = await startLatencyProxy({ host: '127.0.0.1', port: peers.ports.imap }, DELAY);
    client = await TestClient.connect(session.address, false);
    const c = client;
    const p = peers;

    const add = async (tag: string, i: number, port: number): Promise<string> =>
      c.addAccount(
        'imap',
        `${tag}${i}`,
        { password: p.password },
        {
          'imap.host': s('127.0.0.1'),
          'imap.port': q(port),
          'imap.security': s('none'),
          'imap.username': s(p.user),
        },
      );
    const addAll = async (tag: string, port: number) => {
      const paths = new Array<string>(N);
      let next = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < N) {
            const i = next++;
            paths[i] = await add(tag, i, port);
          }
        }),
      );
      return paths;
    };
    progress(`adding ${N} accounts at Dovecot directly and ${N} through the ${DELAY} ms proxy`);
    const direct = await addAll('direct', p.ports.imap);
    const slow = await addAll('slow', proxy.port);

    const verify = async (path: string): Promise<string> => {
      const [results] = await c.call(path, ACCOUNT, 'Verify');
      const imap = (results as Record<string, V>).imap?.value as Record<string, V> | undefined;
      const code = imap?.code?.value;
      return typeof code === 'string' ? code : 'no result';
    };

    const measure = async (label: string, paths: string[]): Promise<Row> => {
      progress(`${label}: ${SINGLE_RUNS} single verifications, then ${PARALLEL_RUNS}× ${paths.length} in parallel`);
      await verify(paths[0]!); // warm-up: first connection, first keyring read
      const single: number[] = [];
      for (let r = 0; r < SINGLE_RUNS; r++) {
        const t0 = performance.now();
        await verify(paths[r % paths.length]!);
        single.push(performance.now() - t0);
      }
      const parallel: number[] = [];
      let ok = 0;
      const failures = new Map<string, number>();
      for (let r = 0; r < PARALLEL_RUNS; r++) {
        const t0 = performance.now();
        const codes = await Promise.all(
          paths.map((path) => verify(path).catch((err: Error) => `D-Bus error: ${err.message}`)),
        );
        parallel.push(performance.now() - t0);
        if (r === PARALLEL_RUNS - 1) {
          ok = codes.filter((x) => x === 'Ok').length;
          for (const code of codes) if (code !== 'Ok') failures.set(code, (failures.get(code) ?? 0) + 1);
        }
      }
      return {
        label,
        single: median(single),
        parallel: median(parallel),
        ok,
        total: paths.length,
        failures: [...failures].map(([k, v]) => `${k} ×${v}`),
      };
    };

    const rows = [
      await measure('loopback Dovecot', direct),
      await measure(`through a ${DELAY} ms one-way latency proxy`, slow),
    ];

    console.log(`## Account.Verify: ${N} in parallel (Promise.all) vs one`);
    console.log();
    console.log(
      `${new Date().toISOString()} · ${os.cpus().length} CPUs · load ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} · ` +
        `each Verify is one IMAP login (plain, loopback Dovecot); one warm-up Verify first; medians of ${SINGLE_RUNS} single and ${PARALLEL_RUNS} parallel runs.`,
    );
    console.log();
    console.log(
      `| server | one Verify (ms) | ${N} in parallel (ms) | parallel / one | effective parallelism (${N} × one / parallel) | Ok |`,
    );
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(
        `| ${r.label} | ${fmt(r.single, 1)} | ${fmt(r.parallel)} | ${fmt(r.parallel / r.single, 1)}× | ${fmt((N * r.single) / r.parallel, 1)} | ${r.ok} / ${r.total}${r.failures.length ? ` (${r.failures.join(', ')})` : ''} |`,
      );
    }
    console.log();
  } finally {
    await stopAll();
  }
}

await main();
process.exit(0);
