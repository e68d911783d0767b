/**
 * A watch-only wallet from the window: added by address against a local Ethereum node
 * (anvil), its balance and latest transfers shown and kept current as money arrives.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { useFixture } from '../harness/fixture.js';
import { startAnvil, type Anvil } from '../harness/peers/anvil.js';
import { SCREENSHOTS_DIR } from '../harness/session.js';

const WEI = 10n ** 18n;

describe('px-accounts-ui: wallets', function () {
  this.timeout(60_000);
  let anvil: Anvil;
  const fx = useFixture({
    start: async (fx) => {
      anvil = fx.own(await startAnvil());
      mkdirSync(SCREENSHOTS_DIR, { recursive: true });
    },
    service: { env: { PX_ACCOUNTS_WALLET_POLL_MS: '300', PX_ACCOUNTS_ETH_BACKFILL: '5' } },
    window: true,
  });

  it('adds a wallet by address and shows money arriving, without reloading', async () => {
    const { page } = fx.win;
    // Lower case: the service accepts it and shows the checksummed form.
    const address = `0x${randomBytes(20).toString('hex')}`;
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Add account' }).click();
    await page.getByLabel('Search providers').fill('wallet');
    await page.getByRole('link', { name: /Ethereum wallet/ }).click();
    assert.equal(
      await page.getByLabel('Password', { exact: true }).count(),
      0,
      'a watch-only wallet asks for no secret',
    );
    await page.getByLabel('Address').fill(address);
    await page.getByLabel('Ethereum network').selectOption('local');
    await page.getByLabel('Ethereum URL').fill(anvil.url);
    await page.getByRole('button', { name: 'Add account' }).click();
    const wallet = page.getByRole('region', { name: 'Wallet' });
    await wallet.waitFor();
    await wallet.getByText('No transfers seen yet.').waitFor();
    // Address and network as the service writes them (checksummed), not as typed.
    await wallet
      .getByText(/^0x[0-9a-fA-F]{40}$/)
      .filter({ hasText: new RegExp(address.slice(2), 'i') })
      .waitFor();
    assert.notEqual(
      await wallet
        .getByText(/^0x[0-9a-fA-F]{40}$/)
        .first()
        .innerText(),
      address,
      'checksummed',
    );
    await wallet.getByText('local', { exact: true }).waitFor();
    await page.evaluate('window.notReloaded = true');
    const txid = await anvil.send(address, (15n * WEI) / 10n);
    await wallet.getByText('1.5 ETH').first().waitFor();
    const row = wallet.getByRole('row').filter({ hasText: 'Received' });
    await row.waitFor();
    assert.match(await row.innerText(), /1\.5 ETH/);
    assert.ok(txid);
    await page
      .getByRole('status')
      .filter({ hasText: /received 1\.5 ETH/ })
      .waitFor();
    assert.equal(await page.evaluate('window.notReloaded'), true);
    // The list shows the balance too.
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('listitem').filter({ hasText: '1.5 ETH' }).waitFor();
    // The wallet page for the README, light and dark.
    await page
      .getByRole('link', { name: address.slice(0, 6), exact: false })
      .first()
      .click();
    await wallet.getByRole('row').filter({ hasText: 'Received' }).waitFor();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(SCREENSHOTS_DIR, `wallet-${scheme}.png`) });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('shows the balance of each token the wallet lists, kept current', async () => {
    const { page } = fx.win;
    const token = await anvil.installToken();
    const holder = `0x${randomBytes(20).toString('hex')}`;
    const a = await fx.accounts.addAccount({
      provider: 'eth',
      account: holder,
      settings: { eth: { network: 'local', url: anvil.url, tokens: [token] } },
    });
    await page.goto(new URL(`/#/account/${a.id}`, page.url()).href);
    const wallet = page.getByRole('region', { name: 'Wallet' });
    await wallet
      .locator('dd')
      .filter({ hasText: `0 ${token}` })
      .waitFor();
    await anvil.mintToken(token, holder, 2_500_000n); // 2.5 of a 6-decimal token
    await wallet
      .locator('dd')
      .filter({ hasText: `2.5 ${token}` })
      .waitFor();
    await fx.accounts.removeAccount(a.id);
  });

  it('edits a setting whose key has an underscore (Bitcoin gap limit): the form shows it and saves it by its key', async () => {
    const { page } = fx.win;
    // BIP-173's address; its backend a closed port on loopback, so the check cannot pass.
    const a = await fx.accounts.addAccount({
      provider: 'btc',
      account: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      settings: { btc: { url: 'http://127.0.0.1:9/', gapLimit: 30 } },
    });
    await page.goto(new URL(`/#/account/${a.id}`, page.url()).href);
    await page.getByRole('button', { name: 'Edit' }).click();
    const gap = page.getByLabel('Bitcoin gap limit');
    assert.equal(await gap.inputValue(), '30', 'the form shows the current value (gap_limit is the field gapLimit)');
    assert.equal(await page.getByLabel('Bitcoin confirmations').inputValue(), '1');
    await gap.fill('45');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Save anyway' }).click();
    // The form closes once the service has saved.
    await page.getByRole('button', { name: 'Save changes' }).waitFor({ state: 'detached' });
    const saved = (await fx.accounts.getAccount(a.id)).settings.btc;
    assert.equal(saved?.gapLimit, 45, 'the gap limit saved');
    // Only the setting that changed was sent: the others are as they were.
    assert.equal(saved?.confirmations, 1);
    await fx.accounts.removeAccount(a.id);
  });
});
