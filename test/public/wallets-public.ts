/**
 * Wallets against the real public endpoints (not part of CI, which has no network): a
 * well-known Bitcoin address, Ethereum address and XRP account, watched through the service on a private bus
 * with the default public backends, must come online with a balance. Run by hand:
 *
 *   PX_ACCOUNTS_PUBLIC=1 node dist/test/public/wallets-public.js
 *
 * It only reads public data; nothing is sent anywhere but the public endpoints.
 */
import { ACCOUNT, MANAGER, ROOT, TestClient } from '../harness/client.js';
import { startService, startSession, waitFor } from '../harness/session.js';

const CASES: Array<[protocol: string, address: string]> = [
  ['btc', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'], // the genesis block's (a long history of gifts)
  ['eth', '0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe'], // the Ethereum Foundation's
  ['xrp', 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh'], // the XRP Ledger's genesis account
];

async function main(): Promise<void> {
  if (process.env.PX_ACCOUNTS_PUBLIC !== '1') {
    console.error('set PX_ACCOUNTS_PUBLIC=1 to run against the public endpoints (this needs the Internet)');
    process.exit(2);
  }
  const session = await startSession();
  const service = await startService(session, [], { PX_ACCOUNTS_WALLET_POLL_MS: '5000' });
  const client = await TestClient.connect(session.address);
  let failed = 0;
  try {
    for (const [protocol, address] of CASES) {
      const [path] = await client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [protocol, address, {}, {}]);
      try {
        await waitFor(
          `${protocol} online`,
          async () => (await client.get(path as string, ACCOUNT, 'Status')) === 'online',
          60_000,
        );
        const balance = await client.get(path as string, 'org.pantherx.Accounts.Wallet', 'Balance');
        console.log(`${protocol} ${address}: online, balance ${String(balance)}`);
        if (balance === '0') throw new Error('a zero balance for a well-known funded account');
      } catch (err) {
        failed++;
        console.log(
          `${protocol} ${address}: FAILED (${(err as Error).message}; status ${String(await client.get(path as string, ACCOUNT, 'StatusMessage'))})`,
        );
      }
    }
  } finally {
    client.disconnect();
    await service.stop();
    await session.stop();
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
