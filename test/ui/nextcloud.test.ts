/**
 * Nextcloud from the window: the add page asks for the server's address, starts Login Flow v2
 * against the tests' own Nextcloud stand-in (test/harness/peers/nextcloud-stand-in.ts), shows
 * the link to its login page, and goes on by itself once the test (playing the browser) grants
 * access there. The stand-in's DAV upstreams are not needed here (nothing is checked).
 */
import { strict as assert } from 'node:assert';
import { AccountsClient } from '../../src/client/index.js';
import { startNextcloudStandIn, type NextcloudStandIn } from '../harness/peers/nextcloud-stand-in.js';
import { startService, startSession, type ServiceProcess, type Session } from '../harness/session.js';
import { openWindow, startUi, type UiProcess, type Window } from './helpers.js';

describe('px-accounts-ui: Nextcloud sign-in', function () {
  this.timeout(60_000);
  let nc: NextcloudStandIn;
  let session: Session;
  let service: ServiceProcess;
  let ui: UiProcess;
  let win: Window;

  before(async function () {
    this.timeout(90_000);
    // upstreams on port 9 (discard, closed on loopback): the window test checks no server
    nc = await startNextcloudStandIn({
      loginName: 'alice',
      radicale: { port: 9, user: 'x', password: 'x' },
      webdav: { port: 9, path: '/dav/', user: 'x', password: 'x' },
    });
    session = await startSession();
    service = await startService(session, [], { PX_ACCOUNTS_NEXTCLOUD_POLL_MS: '100' });
    ui = await startUi(session);
    win = await openWindow(ui.url);
  });
  after(async function () {
    this.timeout(30_000);
    await win?.browser.close();
    await ui?.stop();
    await service?.stop();
    await session?.stop();
    await nc?.stop();
  });

  it('asks for the server, links to its login page, and opens the new account once access is granted there', async () => {
    const page = win.page;
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
    await page.getByRole('heading', { name: `alice@${host}`, level: 2 }).waitFor({ timeout: 15_000 });
    const client = await AccountsClient.connect({ busAddress: session.address });
    try {
      const [a] = await client.listAccounts();
      assert.equal(a?.provider, 'nextcloud');
      assert.deepEqual(a?.protocols, ['caldav', 'carddav', 'webdav']);
      assert.deepEqual(a?.credentials, ['password']);
      await client.removeAccount(a.id);
    } finally {
      client.close();
    }
  });

  it('a server that is not https (off loopback) is refused, saying why', async () => {
    const page = win.page;
    await page.goto(new URL('/#/add/nextcloud', page.url()).href);
    await page.getByLabel('Server address').fill('http://cloud.example.org');
    await page.getByRole('button', { name: 'Sign in with Nextcloud' }).click();
    await page.getByRole('alert').filter({ hasText: /https/ }).waitFor();
  });
});
