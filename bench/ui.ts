/**
 * The Online Accounts window: time from starting px-accounts-ui to a usable list (every
 * account shown) with N accounts, the memory of its server, and how long 100 status changes
 * take to reach the page. Chromium (Debian's, headless) is started once beforehand and its own
 * start is measured apart, since a desktop's chromium may already run. Prints a Markdown table;
 * never part of the pass/fail tests.
 *
 *   node dist/bench/ui.js [--accounts 100] [--runs 5]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { AccountsClient } from '../src/client/index.js';
import { stopPid } from '../test/harness/process.js';
import { startService, startSession } from '../test/harness/session.js';
import { UI_BIN } from '../test/harness/window.js';

const { values: opt } = parseArgs({
  options: {
    accounts: { type: 'string', default: '100' },
    runs: { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opt.help) {
  console.log('Usage: node dist/bench/ui.js [--accounts 100] [--runs 5]');
  process.exit(0);
}
const N = Number(opt.accounts);
const RUNS = Number(opt.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const progress = (msg: string) => process.stderr.write(`[ui ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function accountFile(i: number): string {
  return (
    `[account]\nname = Bench ${String(i).padStart(4, '0')}\nprovider = imap\nusername = user${i}@example.org\nprotocols = imap, smtp\n` +
    `[imap]\nhost = 127.0.0.1\nport = 993\nsecurity = tls\n[smtp]\nhost = 127.0.0.1\nport = 465\nsecurity = tls\n`
  );
}

const memory = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rss: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024,
    hwm: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024,
  };
};

async function main(): Promise<void> {
  const session = await startSession();
  mkdirSync(session.accountsDir, { recursive: true });
  for (let i = 0; i < N; i++)
    writeFileSync(join(session.accountsDir, `bench_${i}.ini`), accountFile(i), { mode: 0o600 });
  const service = await startService(session);
  const client = await AccountsClient.connect({ busAddress: session.address });
  const c0 = performance.now();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  const browserStart = performance.now() - c0;
  /** Programs started, stopped by PID whatever happens. */
  const children = new Set<number>();
  const rows: Array<{
    toUrl: number;
    toList: number;
    seen: number;
    total: number;
    rss: number;
    hwm: number;
    statuses: number;
    rssAfter: number;
  }> = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const t0 = performance.now();
      const child = spawn(process.execPath, [UI_BIN, '--no-browser'], {
        env: session.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.add(child.pid!);
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /^Online Accounts: (\S+)\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`px-accounts-ui exited with ${code}`)));
      });
      const toUrl = performance.now() - t0;
      const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
      const page = await context.newPage();
      const t1 = performance.now();
      await page.goto(url);
      // Usable: every account is in the list and its links can be clicked.
      await page
        .getByRole('list', { name: 'Accounts' })
        .getByRole('listitem')
        .nth(N - 1)
        .waitFor();
      // The page's own mark (list.js, after the first full render), from the start of navigation:
      // the locator's polling above would add its own delay.
      const toList = Number(await page.evaluate("performance.getEntriesByName('px-list')[0]?.startTime ?? -1"));
      if (toList < 0) throw new Error('the page made no px-list mark');
      const seen = performance.now() - t1;
      const before = memory(child.pid!);
      // 100 status changes from the bus → all on the page.
      const t2 = performance.now();
      const ids = (await client.listAccounts()).slice(0, 100).map((a) => a.id);
      await Promise.all(ids.map((id) => client.reportStatus(id, 'offline', `bench ${run}`)));
      // A function, not a string: the page's CSP forbids eval.
      type Doc = { querySelectorAll(selector: string): { length: number } };
      await page.waitForFunction(
        (n) => (globalThis as unknown as { document: Doc }).document.querySelectorAll('li.account.offline').length >= n,
        ids.length,
        { timeout: 60_000 },
      );
      const statuses = performance.now() - t2;
      const after = memory(child.pid!);
      rows.push({
        toUrl,
        toList,
        seen,
        total: toUrl + toList,
        rss: before.rss,
        hwm: before.hwm,
        statuses,
        rssAfter: after.rss,
      });
      progress(`run ${run}: ${(toUrl + toList).toFixed(0)} ms to a usable list, RSS ${before.rss.toFixed(0)} MB`);
      await context.close();
      await stopPid(child.pid);
      await Promise.all(ids.map((id) => client.reportStatus(id, 'none', '')));
    }
  } finally {
    for (const pid of children) await stopPid(pid);
    await browser.close();
    client.close();
    await service.stop();
    await session.stop();
  }
  const m = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k]));
  console.log(
    `\nOnline Accounts window, ${N} accounts, median of ${RUNS} runs (chromium headless started once: ${browserStart.toFixed(0)} ms)\n`,
  );
  console.log(
    '| start → URL printed (ms) | page open → every account rendered (ms) | launch → usable list (ms) | (as playwright saw it, ms) | server VmRSS / VmHWM (MB) | 100 status changes → all shown (ms) | VmRSS after (MB) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  console.log(
    `| ${m('toUrl').toFixed(0)} | ${m('toList').toFixed(0)} | ${m('total').toFixed(0)} | ${(m('toUrl') + m('seen')).toFixed(0)} | ${m('rss').toFixed(1)} / ${m('hwm').toFixed(1)} | ${m('statuses').toFixed(0)} | ${m('rssAfter').toFixed(1)} |`,
  );
  console.log(
    `\nload average during the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
}

await main();
