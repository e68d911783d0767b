/**
 * Nextcloud from the window: the add page asks for the server's address, starts Login Flow v2
 * against the tests' own Nextcloud stand-in (test/harness/peers/nextcloud-stand-in.ts), shows
 * the link to its login page, and goes on by itself once the test (playing the browser) grants
 * access there. The stand-in's DAV upstreams are not needed here (nothing is checked).
 */
import { strict as assert } from 'node:assert';
import { useFixture } from '../harness/fixture.js';
import { startNextcloudStandIn, type NextcloudStandIn } from '../harness/peers/nextcloud-stand-in.js';

describe('px-accounts-ui: Nextcloud sign-in', function () {
  this.timeout(60_000);
  let nc: NextcloudStandIn;
  const fx = useFixture({
    // upstreams on port 9 (discard, closed on loopback): the window test checks no server
    start: async (fx) =>
      void (nc = fx.own(
        await startNextcloudStandIn({
          loginName: 'alice',
          radicale: { port: 9, user: 'x', password: 'x' },
          webdav: { port: 9, path: '/dav/', user: 'x', password: 'x' },
        }),
      )),
    service: { env: { PX_ACCOUNTS_NEXTCLOUD_POLL_MS: '100' } },
    window: true,
  });

  it('asks for the server, links to its login page, and opens the new account once access is granted there', async () => {
    const { page } = fx.win;
    await page.goto(new URL('/#/add/nextcloud', page.url()).href);
    await page.getByRole('heading', { name: 'Add a Nextcloud account' }).waitFor();
    assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0, 'no password field');
    assert.equal(await page.getByLabel('E-mail address').count(), 0, 'no e-mail field');
    await page.getByLabel('Server address').fill(nc.url);
    await page.getByRole('button', { name: 'Sign in with Nextcloud' }).click();
    const link = page.getByRole('link', { name: 'Open the sign-in page' });
    await link.waitFor();
    const url = (await link.getAttribute('href'))!;
    assert.ok(url.startsWith(`${nc.url}/login/v2/flow/`), url);
    await nc.grant(url);
    const host = new URL(nc.url).host;
    await page.getByRole('heading', { name: `alice@${host}`, level: 2 }).waitFor();
    const [a] = await fx.accounts.listAccounts();
    assert.equal(a?.provider, 'nextcloud');
    assert.deepEqual(a?.protocols, ['caldav', 'carddav', 'webdav']);
    assert.deepEqual(a?.credentials, ['password']);
    await fx.accounts.removeAccount(a.id);
  });

  it('a server that is not https (off loopback) is refused, saying why', async () => {
    const { page } = fx.win;
    await page.goto(new URL('/#/add/nextcloud', page.url()).href);
    await page.getByLabel('Server address').fill('http://cloud.example.org');
    await page.getByRole('button', { name: 'Sign in with Nextcloud' }).click();
    await page.getByRole('alert').filter({ hasText: /https/ }).waitFor();
  });
});
