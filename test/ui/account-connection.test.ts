/**
 * An account's connection from its page, in chromium against the real service and Dovecot:
 * muting the kind of failure its status or its check shows ("Don't notify me about this again" →
 * Account.MuteError with the failure's code), and choosing or clearing the proxy or OpenVPN
 * account it is reached through (the Edit form's select, saved through the same route as the
 * rest of the form → Update 'parent'; the service checks the choice again and its refusal is shown).
 */
import { strict as assert } from 'node:assert';
import type { Account } from '../../src/client/index.js';
import { testSecret, useFixture } from '../harness/fixture.js';
import { waitFor } from '../harness/session.js';
import { settled } from './helpers.js';

describe('px-accounts-ui: muting failures and the parent account', function () {
  this.timeout(60_000);
  const fx = useFixture({ peers: ['dovecot'], service: true, window: true });

  /** A by-hand IMAP account on the loopback Dovecot, with a password Dovecot refuses. */
  const refusedImap = (name: string) =>
    fx.accounts.addAccount({
      provider: 'imap',
      account: `${name}@example.org`,
      name,
      password: `${fx.peers.password}-wrong`,
      protocols: ['imap'],
      settings: { imap: { host: '127.0.0.1', port: fx.peers.ports.imap, security: 'none', username: fx.peers.user } },
    });
  const proxyAccount = (name: string) =>
    fx.accounts.addAccount({
      provider: 'proxy',
      account: name,
      name,
      password: testSecret(),
      protocols: ['proxy'],
      settings: { proxy: { host: '127.0.0.1', port: 1, type: 'http' } },
    });
  const open = async (a: Account) => {
    const { page } = fx.win;
    await page.goto(new URL(`/#/account/${a.id}`, page.url()).href);
    await settled(page);
  };
  const muted = async (id: string) => (await fx.accounts.getAccount(id)).mutedErrors;

  it("a check's refused password: muted from its result, then listed with 'Notify again'", async () => {
    const { page } = fx.win;
    const a = await refusedImap('Refused from a check');
    try {
      await open(a);
      await page.getByRole('button', { name: 'Check now' }).click();
      const results = page.getByRole('list', { name: 'Check results' });
      await results.getByRole('button', { name: "Don't notify me about Unauthorized again" }).click();
      // The page says so once the service has answered.
      await results.getByText('Muted: no notification about Unauthorized.').waitFor();
      assert.deepEqual(await muted(a.id), ['Unauthorized']);
      await page
        .getByRole('region', { name: 'Connection and notes' })
        .getByRole('button', { name: 'Notify again about Unauthorized' })
        .waitFor();
    } finally {
      await fx.accounts.removeAccount(a.id);
    }
  });

  it('an account whose status needs attention: muted from the status, which then needs none', async () => {
    const { page } = fx.win;
    const a = await refusedImap('Refused in the background');
    try {
      await fx.accounts.checkAccounts([a.id]);
      await waitFor(
        'the service found the refusal',
        async () => (await fx.accounts.getAccount(a.id)).attentionNeeded,
        10_000,
      );
      await open(a);
      const status = page.getByRole('region', { name: 'Status' });
      await status.getByText('Needs your attention:').waitFor();
      await status.getByRole('button', { name: "Don't notify me about Unauthorized again" }).click();
      // The page follows the account's change on the bus.
      await status.getByText('Needs your attention:').waitFor({ state: 'detached' });
      assert.deepEqual(await muted(a.id), ['Unauthorized']);
      // muting the trouble the account has clears AttentionNeeded (docs/account-fields.md)
      assert.equal((await fx.accounts.getAccount(a.id)).attentionNeeded, false);
      await status
        .getByRole('button', { name: "Don't notify me about Unauthorized again" })
        .waitFor({ state: 'detached' });
      assert.equal((await fx.accounts.getAccount(a.id)).status, 'error', 'the status stays true');
    } finally {
      await fx.accounts.removeAccount(a.id);
    }
  });

  it("the Edit form's 'Reached through' offers the proxy accounts, sets and clears the parent; a choice the service refuses is shown", async () => {
    const { page } = fx.win;
    const office = await proxyAccount('Office proxy');
    const home = await proxyAccount('Home proxy');
    const a = await refusedImap('Behind a proxy');
    try {
      await open(a);
      await page.getByRole('button', { name: 'Edit' }).click();
      const select = page.getByLabel('Reached through');
      await select.waitFor();
      assert.deepEqual(await select.locator('option').allTextContents(), [
        'None: connect directly',
        'Home proxy (proxy)',
        'Office proxy (proxy)',
      ]);
      await select.selectOption(office.id);
      await page.getByRole('button', { name: 'Save changes' }).click();
      const section = page.getByRole('region', { name: 'Connection and notes' });
      await section.getByRole('link', { name: 'Office proxy' }).waitFor();
      await settled(page);
      assert.equal((await fx.accounts.getAccount(a.id)).parent, office.id, 'the parent set on the bus');

      await page.getByRole('button', { name: 'Edit' }).click();
      await page.getByLabel('Reached through').waitFor();
      assert.equal(await page.getByLabel('Reached through').inputValue(), office.id, 'the form shows the parent');
      await page.getByLabel('Reached through').selectOption('');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('link', { name: 'Office proxy' }).waitFor({ state: 'detached' });
      await settled(page);
      assert.equal((await fx.accounts.getAccount(a.id)).parent, '', 'the parent cleared on the bus');

      // a proxy cannot be reached through another proxy: the service refuses, the page says so
      await open(office);
      await page.getByRole('button', { name: 'Edit' }).click();
      await page.getByLabel('Reached through').selectOption(home.id);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('alert').filter({ hasText: /proxy/i }).waitFor();
      await settled(page);
      assert.equal((await fx.accounts.getAccount(office.id)).parent, '', 'nothing changed');
    } finally {
      await fx.accounts.removeAccount(a.id);
      await fx.accounts.removeAccount(office.id);
      await fx.accounts.removeAccount(home.id);
    }
  });
});
