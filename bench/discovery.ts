/**
 * Discovery: time from Manager.Discover to its answer, per source (p50 and p99 over many
 * calls), against the local servers of the discovery suite (test/discovery/world.ts: dnsmasq,
 * HTTPS autoconfig and ISPDB, a real Dovecot) in a network namespace of its own, the worst case
 * with every server silent, and the service's memory before and after. Prints a Markdown table;
 * never part of the pass/fail tests. Needs root (unshare, Dovecot).
 *
 *   node dist/bench/discovery.js [--quick] [--runs N (40)]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { b, MANAGER, ROOT, TestClient, type V } from '../test/harness/client.js';
import { startService, startSession } from '../test/harness/session.js';
import { execInside, INSIDE } from '../test/discovery/netns.js';
import { configXml, ISPDB_URL, MAIL, SILENT, startWorld, WEB, type Zone } from '../test/discovery/world.js';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string', default: '40' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opt.help) {
  console.log('Usage: node dist/bench/discovery.js [--quick] [--runs N (40)]');
  process.exit(0);
}
const RUNS = opt.quick ? 10 : Math.max(3, Number(opt.runs) || 40);
const SILENT_RUNS = opt.quick ? 1 : 3;
const progress = (msg: string) =>
  process.stderr.write(`[discovery ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

const xml = (d: string) => ({
  body: configXml(
    [d],
    [
      { type: 'imap', host: `imap.${d}`, port: 993, socket: 'SSL' },
      { type: 'smtp', host: `smtp.${d}`, port: 465, socket: 'SSL' },
    ],
  ),
});
const hosts = (ip: string, ...names: string[]) => Object.fromEntries(names.map((n) => [n, ip]));
const ZONE: Zone = {
  hosts: {
    ...hosts(WEB, 'ispdb.test', 'autoconfig.ac.test', 'autoconfig.mailhost.test', 'autoconfig.plain.test'),
    ...hosts(MAIL, 'imap.guess.test', 'smtp.guess.test'),
    ...hosts(
      SILENT,
      'autoconfig.silent.test',
      'silent.test',
      'imap.silent.test',
      'mail.silent.test',
      'smtp.silent.test',
      'pop.silent.test',
      'pop3.silent.test',
      'autoconfig.silenthost.test',
      'silenthost.test',
    ),
  },
  srv: ['_imaps._tcp.srv.test,imap.srv.test,993,0,1', '_submission._tcp.srv.test,smtp.srv.test,587,0,1'],
  mx: { 'custom.test': 'mx1.mailhost.test', 'silent.test': 'mx.silenthost.test' },
  txt: {},
  web: {
    'https://autoconfig.ac.test/mail/config-v1.1.xml': xml('ac.test'),
    [`${ISPDB_URL}isp.test`]: xml('isp.test'),
    'https://autoconfig.mailhost.test/mail/config-v1.1.xml': xml('mailhost.test'),
    'http://autoconfig.plain.test/mail/config-v1.1.xml': xml('plain.test'),
    [`${ISPDB_URL}silent.test`]: { never: true },
    [`${ISPDB_URL}silenthost.test`]: { never: true },
  },
};
const CASES: Array<[label: string, address: string, source: string]> = [
  ['catalogue', 'a@fastmail.com', 'catalogue'],
  ['database (shipped)', 'a@posteo.de', 'database'],
  ['HTTPS autoconfig', 'a@ac.test', 'autoconfig'],
  ['DNS SRV', 'a@srv.test', 'srv'],
  ['online ISPDB', 'a@isp.test', 'ispdb'],
  ['MX → autoconfig of the MX domain', 'a@custom.test', 'mx'],
  ['guess (TLS probes)', 'a@guess.test', 'guess'],
  ['plain HTTP (last resort)', 'a@plain.test', 'autoconfig'],
];

const pct = (xs: number[], p: number) => {
  const v = [...xs].sort((x, y) => x - y);
  return v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)]!;
};
const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function inside(): Promise<void> {
  progress('starting dnsmasq, the web servers and Dovecot');
  const world = await startWorld(ZONE, { 'bench@guess.test': 'unused-password' });
  const session = await startSession();
  const service = await startService(session, [], { NODE_EXTRA_CA_CERTS: world.ca, PX_ACCOUNTS_ISPDB_URL: ISPDB_URL });
  const client = await TestClient.connect(session.address, false);
  const call = async (address: string, options: Record<string, V> = {}) => {
    const t0 = performance.now();
    try {
      const [answer] = await client.call(ROOT, MANAGER, 'Discover', 'sa{sv}', [address, options]);
      return { ms: performance.now() - t0, source: String((answer as Record<string, V>).source!.value) };
    } catch (err) {
      return { ms: performance.now() - t0, source: (err as { type?: string }).type?.split('.').pop() ?? 'error' };
    }
  };
  try {
    const rssStart = rssMiB(service.pid);
    const rows: string[] = [];
    for (const [label, address, source] of CASES) {
      const first = await call(address);
      if (first.source !== source) throw new Error(`${address}: answered by ${first.source}, not ${source}`);
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push((await call(address)).ms);
      rows.push(
        `| ${label} | \`${source}\` | ${pct(times, 50).toFixed(1)} | ${pct(times, 99).toFixed(1)} | ${first.ms.toFixed(1)} |`,
      );
      progress(`${label}: p50 ${pct(times, 50).toFixed(1)} ms; service RSS ${rssMiB(service.pid).toFixed(1)} MiB`);
    }
    const silent: number[] = [];
    for (let i = 0; i < SILENT_RUNS; i++) silent.push((await call('a@silent.test')).ms);
    const silentNoProbe = await call('a@silent.test', { probe: b(false) });
    const rssEnd = rssMiB(service.pid);
    console.log(`\n### Discovery: time to an answer (${RUNS} calls per source; ms, client side, through the bus)\n`);
    console.log("| source | answer's `source` | p50 | p99 | first call |");
    console.log('|---|---|---:|---:|---:|');
    for (const r of rows) console.log(r);
    console.log(
      `\nEvery server silent (NotFound): ${silent.map((x) => x.toFixed(0)).join(', ')} ms; with probe = false: ${silentNoProbe.ms.toFixed(0)} ms.`,
    );
    console.log(
      `Service memory (RSS): ${rssStart.toFixed(1)} MiB before, ${rssEnd.toFixed(1)} MiB after ${CASES.length * (RUNS + 1) + SILENT_RUNS + 1} discoveries.`,
    );
  } finally {
    client.disconnect();
    await service.stop();
    await session.stop();
    await world.stop();
  }
}

if (INSIDE) {
  await inside();
} else {
  process.exitCode = await execInside([process.execPath, import.meta.filename, ...process.argv.slice(2)]);
}
