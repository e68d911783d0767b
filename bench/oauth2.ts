/**
 * OAuth2 access tokens: GetAccessToken with a cached token against Properties.Get on the same
 * account (issue 11's target: within 1.2×), and 50 concurrent callers at the moment the token
 * goes stale (how many refreshes reach the provider: the target is exactly one; how long the
 * callers wait). A real OpenID provider (oidc-provider) on loopback, signed in once through its
 * pages. Prints a Markdown table; never part of the pass/fail tests.
 *
 *   node dist/bench/oauth2.js [--quick]
 */
import { parseArgs } from 'node:util';
import { Browser } from '../test/harness/browser.js';
import { ACCOUNT, MANAGER, PROPS, ROOT, TestClient, s } from '../test/harness/client.js';
import { startOidc } from '../test/harness/peers/oidc.js';
import { sleep, startService, startSession } from '../test/harness/session.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { values: opt } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  strict: true,
});
if (opt.help) {
  console.log('Usage: node dist/bench/oauth2.js [--quick]');
  process.exit(0);
}
const SAMPLES = opt.quick ? 1000 : 4000;
const ROUNDS = opt.quick ? 2 : 5;
const CALLERS = 50;
const TTL_S = 8;
const OAUTH2 = 'org.pantherx.Accounts.OAuth2';

const progress = (msg: string) => process.stderr.write(`[oauth2 ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const pct = (xs: number[], p: number) => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))]!;
};
const ms = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const oidc = await startOidc({ accessTokenTtl: TTL_S });
  const session = await startSession();
  const dir = join(session.env.XDG_DATA_HOME!, 'px-accounts', 'providers');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'benchidp.ini'),
    `[provider]\nname = Bench IdP\nauth = oauth2\nprotocols = imap\n\n[oauth2]\nissuer = ${oidc.issuer}\nclient_id = ${oidc.clientId}\nscopes = openid email offline_access\n\n[imap]\nhost = 127.0.0.1\n`,
  );
  const service = await startService(session);
  const client = await TestClient.connect(session.address);
  try {
    progress('signing in');
    const [request] = await client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', [
      'benchidp',
      { account: s('bench@example.org') },
    ]);
    const url = String(await client.get(request as string, 'org.pantherx.Accounts.SignIn', 'Url'));
    await new Browser().signIn(url, { login: 'bench@example.org' });
    const done = await client.waitSignal((x) => x.path === request && x.member === 'Completed', 15_000);
    const account = done.body[0] as string;

    /** Waits until the cached token has less than a quarter of its life left. */
    const untilStale = async () => {
      const [, left] = await client.call(account, OAUTH2, 'GetAccessToken');
      await sleep(Math.max(0, ((left as number) + 1 - TTL_S / 4) * 1000) + 300);
    };

    const refreshesAtStart = oidc.grants.refresh_token ?? 0;
    // Cached tokens, interleaved with Properties.Get, in blocks that fit in a token's fresh time.
    progress(`${SAMPLES} cached GetAccessToken calls, each next to a Properties.Get`);
    const token: number[] = [];
    const get: number[] = [];
    while (token.length < SAMPLES) {
      await client.call(account, OAUTH2, 'GetAccessToken'); // fresh (refreshed if it was stale)
      const blockEnd = performance.now() + ((TTL_S * 3) / 4 - 1.5) * 1000;
      while (token.length < SAMPLES && performance.now() < blockEnd) {
        let t = performance.now();
        await client.call(account, OAUTH2, 'GetAccessToken');
        token.push(performance.now() - t);
        t = performance.now();
        await client.call(account, PROPS, 'Get', 'ss', [ACCOUNT, 'Name']);
        get.push(performance.now() - t);
      }
    }
    const refreshesCached = (oidc.grants.refresh_token ?? 0) - refreshesAtStart;

    progress(`${ROUNDS} rounds of ${CALLERS} concurrent callers as the token goes stale`);
    const callers = await Promise.all(Array.from({ length: 5 }, () => TestClient.connect(session.address, false)));
    const rounds: Array<{ refreshes: number; p50: number; max: number; distinct: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      await untilStale();
      const before = oidc.grants.refresh_token ?? 0;
      const waits: number[] = [];
      const answers = await Promise.all(
        Array.from({ length: CALLERS }, async (_, i) => {
          const t = performance.now();
          const [tok] = await callers[i % callers.length]!.call(account, OAUTH2, 'GetAccessToken');
          waits.push(performance.now() - t);
          return tok;
        }),
      );
      rounds.push({
        refreshes: (oidc.grants.refresh_token ?? 0) - before,
        p50: pct(waits, 50),
        max: waits.reduce((a, b) => Math.max(a, b), -Infinity),
        distinct: new Set(answers).size,
      });
    }
    for (const c of callers) c.disconnect();

    console.log('## OAuth2 access tokens (bench/oauth2.ts)\n');
    console.log(`oidc-provider on loopback, access tokens of ${TTL_S} s; ${token.length} samples.\n`);
    console.log('| call | p50 ms | p99 ms |');
    console.log('|---|---|---|');
    console.log(`| OAuth2.GetAccessToken (cached) | ${ms(pct(token, 50))} | ${ms(pct(token, 99))} |`);
    console.log(`| Properties.Get (Account.Name) | ${ms(pct(get, 50))} | ${ms(pct(get, 99))} |`);
    console.log(
      `| ratio | ${(pct(token, 50) / pct(get, 50)).toFixed(2)}× | ${(pct(token, 99) / pct(get, 99)).toFixed(2)}× |`,
    );
    console.log(
      `\nRefreshes during the cached runs (one at the start of each block of ${(TTL_S * 3) / 4 - 1.5} s): ${refreshesCached}.\n`,
    );
    console.log(
      `| round | refreshes that reached the provider | distinct tokens handed out | wait p50 ms | wait max ms |`,
    );
    console.log('|---|---|---|---|---|');
    rounds.forEach((x, i) =>
      console.log(`| ${i + 1} | ${x.refreshes} | ${x.distinct} | ${ms(x.p50)} | ${ms(x.max)} |`),
    );
  } finally {
    client.disconnect();
    await service.stop();
    await session.stop();
    await oidc.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
