/**
 * Wallets against the real public endpoints (not part of CI, which has no network): a
 * well-known Bitcoin address, Ethereum address and XRP account, watched through the service on a private bus
 * with the default public backends, must come online with a balance. Run by hand:
 *
 *   PX_ACCOUNTS_PUBLIC=1 npx mocha dist/test/public/wallets-public.js
 *
 * (no `.test` in its name: `npm test` leaves it out). It only reads public data; nothing is sent
 * anywhere but the public endpoints.
 */
import { strict as assert } from 'node:assert';
import { ACCOUNT } from '../harness/client.js';
import { useFixture } from '../harness/fixture.js';
import { waitFor } from '../harness/session.js';

const CASES: Array<[protocol: string, address: string]> = [
  ['btc', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'], // the genesis block's (a long history of gifts)
  ['eth', '0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe'], // the Ethereum Foundation's
  ['xrp', 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh'], // the XRP Ledger's genesis account
];

if (process.env.PX_ACCOUNTS_PUBLIC !== '1')
  throw new Error('set PX_ACCOUNTS_PUBLIC=1 to run against the public endpoints (this needs the Internet)');

describe('wallets against the public endpoints', () => {
  const fx = useFixture({ service: { env: { PX_ACCOUNTS_WALLET_POLL_MS: '5000' } } });

  for (const [protocol, address] of CASES)
    it(`${protocol} ${address}: online, with a balance`, async function () {
      this.timeout(70_000);
      const path = await fx.client.addAccount(protocol, address);
      try {
        await waitFor(
          `${protocol} online`,
          async () => (await fx.client.get(path, ACCOUNT, 'Status')) === 'online',
          60_000,
        );
      } catch (err) {
        throw new Error(
          `${(err as Error).message}; status ${String(await fx.client.get(path, ACCOUNT, 'StatusMessage'))}`,
          { cause: err },
        );
      }
      const balance = await fx.client.get(path, 'org.pantherx.Accounts.Wallet', 'Balance');
      console.log(`      ${protocol} ${address}: balance ${String(balance)}`);
      assert.notEqual(balance, '0', 'a zero balance for a well-known funded account');
    });
});
