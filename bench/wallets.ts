/**
 * Watch-only wallets at scale: N Ethereum addresses (default 1 000) watched on one local anvil.
 * Reports the service's memory, the CPU it spends per new block, and the time from a transfer
 * (eth_sendTransaction, mined at once) to its TransferReceived signal, p50/p99. The poll
 * interval (PX_ACCOUNTS_WALLET_POLL_MS, 1 s here, 10 s by default) bounds that time. Prints
 * Markdown; never part of the pass/fail tests.
 *
 *   node dist/bench/wallets.js [--quick] [--wallets 1000] [--transfers 50]
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { toChecksumAddress } from '@ethereumjs/util';
import { MANAGER, ROOT, TestClient, s } from '../test/harness/client.js';
import { startAnvil } from '../test/harness/peers/anvil.js';
import { sleep, startService, startSession } from '../test/harness/session.js';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    wallets: { type: 'string' },
    transfers: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opt.help) {
  console.log('Usage: node dist/bench/wallets.js [--quick] [--wallets N (1000)] [--transfers N (50)]');
  process.exit(0);
}
const N = Number(opt.wallets) || (opt.quick ? 200 : 1000);
const TRANSFERS = Number(opt.transfers) || (opt.quick ? 20 : 50);
const BLOCKS = opt.quick ? 10 : 30;
const POLL_MS = 1000;
const WALLET = 'org.pantherx.Accounts.Wallet';

const progress = (msg: string) => process.stderr.write(`[wallets ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
/** utime + stime of a process, in clock ticks (100 per second here). */
const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

async function main(): Promise<void> {
  const anvil = await startAnvil();
  const session = await startSession();
  const service = await startService(session, [], {
    PX_ACCOUNTS_WALLET_POLL_MS: String(POLL_MS),
    PX_ACCOUNTS_ETH_BACKFILL: '0',
  });
  const client = await TestClient.connect(session.address);
  try {
    const rssIdle = rssMb(service.pid);
    progress(`adding ${N} wallets`);
    const addresses: string[] = [];
    const paths = new Map<string, string>();
    for (let i = 0; i < N; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, N - i) }, async () => {
          const a = toChecksumAddress(`0x${randomBytes(20).toString('hex')}`);
          const [path] = await client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
            'eth',
            a,
            {},
            { 'eth.network': s('local'), 'eth.url': s(anvil.url) },
          ]);
          addresses.push(a);
          paths.set(path as string, a);
        }),
      );
    }
    await sleep(3 * POLL_MS);
    const rssWatching = rssMb(service.pid);

    progress(`${BLOCKS} blocks with one transfer each`);
    const before = cpuTicks(service.pid);
    for (let b = 0; b < BLOCKS; b++) {
      await anvil.send(addresses[b % N]!, 1n);
      await sleep(POLL_MS);
    }
    await sleep(POLL_MS);
    const cpuPerBlockMs = ((cpuTicks(service.pid) - before) * 10) / BLOCKS;

    progress(`${TRANSFERS} transfers, each timed to its signal`);
    const latencies: number[] = [];
    for (let t = 0; t < TRANSFERS; t++) {
      const to = addresses[(t * 7919) % N]!;
      const mark = client.signals.length;
      const start = performance.now();
      const txid = await anvil.send(to, 10n ** 15n);
      await client.waitSignal((x) => x.member === 'TransferReceived' && x.body[0] === txid, 10 * POLL_MS, mark);
      latencies.push(performance.now() - start);
      await sleep(Math.random() * POLL_MS); // land anywhere in the poll cycle
    }
    const rssAfter = rssMb(service.pid);
    const sample = [...paths.keys()][0]!;
    await client.get(sample, WALLET, 'Balance');

    console.log('## Watch-only wallets (bench/wallets.ts)\n');
    console.log(`${N} Ethereum addresses on one anvil (Foundry ${'1.7.1'}), poll interval ${POLL_MS} ms.\n`);
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(`| VmRSS before adding (MB) | ${rssIdle.toFixed(1)} |`);
    console.log(`| VmRSS watching ${N} wallets (MB) | ${rssWatching.toFixed(1)} |`);
    console.log(`| VmRSS after the transfers (MB) | ${rssAfter.toFixed(1)} |`);
    console.log(`| CPU per new block with one transfer (ms, service process) | ${cpuPerBlockMs.toFixed(1)} |`);
    console.log(`| transfer → TransferReceived p50 (ms) | ${pct(latencies, 50).toFixed(0)} |`);
    console.log(`| transfer → TransferReceived p99 (ms) | ${pct(latencies, 99).toFixed(0)} |`);
  } finally {
    client.disconnect();
    await service.stop();
    await session.stop();
    await anvil.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
