/**
 * Service figures: start-up until every account is exported, GetManagedObjects, the
 * Properties.Get round trip against the Peer.Ping floor, hand edit → InterfacesAdded, RSS.
 * Prints a table; never part of the pass/fail tests.   Run: npm run bench [-- 1,100,1000]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_BIN, startSession, waitFor, nameHasOwner } from '../test/harness/session.js';
import { TestClient, ACCOUNT, ROOT } from '../test/harness/client.js';
import { stopPid } from '../test/harness/process.js';

const sizes = (process.argv[2] ?? '1,100,1000,10000').split(',').map(Number);

function accountFile(i: number): string {
  return (
    `[account]\nname = Bench ${i}\nprovider = imap\nusername = user${i}@example.org\nprotocols = imap, smtp\n` +
    `[imap]\nhost = 127.0.0.1\nport = 993\nsecurity = tls\n[smtp]\nhost = 127.0.0.1\nport = 465\nsecurity = tls\n`
  );
}

// NaN for no samples, so a table never shows a figure that was not measured.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

async function measure(n: number) {
  const session = await startSession('unlocked');
  try {
    mkdirSync(session.accountsDir, { recursive: true });
    for (let i = 0; i < n; i++)
      writeFileSync(join(session.accountsDir, `bench_${i}.ini`), accountFile(i), { mode: 0o600 });
    const client = await TestClient.connect(session.address, false);
    const t0 = performance.now();
    const child = spawn(process.execPath, [SERVICE_BIN, '--no-background-check'], {
      env: session.env,
      stdio: 'ignore',
    });
    await waitFor('name', () => nameHasOwner(session.env, 'org.pantherx.Accounts'), 60000);
    let objects = 0;
    await waitFor('all objects', async () => (objects = Object.keys(await client.managedObjects()).length) >= n, 60000);
    const startup = performance.now() - t0;
    const gmo: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await client.managedObjects();
      gmo.push(performance.now() - t);
    }
    const path = `${ROOT}/account/bench_0`;
    const get: number[] = [];
    const ping: number[] = [];
    for (let i = 0; i < 2000; i++) {
      let t = performance.now();
      await client.call(path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [ACCOUNT, 'Status']);
      get.push(performance.now() - t);
      t = performance.now();
      await client.callTo('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping');
      ping.push(performance.now() - t);
    }
    // Hand edit → InterfacesAdded.
    const watcher = await TestClient.connect(session.address, true);
    const t1 = performance.now();
    writeFileSync(join(session.accountsDir, 'bench_new.ini'), accountFile(n + 1));
    await watcher.waitSignal((s) => s.member === 'InterfacesAdded' && s.body[0] === `${ROOT}/account/bench_new`, 5000);
    const handEdit = performance.now() - t1;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
    watcher.disconnect();
    client.disconnect();
    await stopPid(child.pid);
    return {
      n,
      objects,
      startup,
      gmo: median(gmo),
      get: median(get),
      get99: pct(get, 0.99),
      ping: median(ping),
      handEdit,
      rss,
      hwm,
    };
  } finally {
    await session.stop();
  }
}

const rows = [];
for (const n of sizes) rows.push(await measure(n));
const f = (x: number, d = 1) => x.toFixed(d);
console.log(
  'accounts | start-up → all exported (ms) | GetManagedObjects (ms) | Get p50 (µs) | Ping p50 (µs) | Get/Ping | Get p99 (µs) | hand edit → InterfacesAdded (ms) | VmRSS / VmHWM (MB)',
);
console.log('---|---|---|---|---|---|---|---|---');
for (const r of rows) {
  console.log(
    `${r.n} | ${f(r.startup, 0)} | ${f(r.gmo)} | ${f(r.get * 1000, 0)} | ${f(r.ping * 1000, 0)} | ${f(r.get / r.ping, 2)} | ${f(r.get99 * 1000, 0)} | ${f(r.handEdit)} | ${f(r.rss, 0)} / ${f(r.hwm, 0)}`,
  );
}
