/**
 * The window's session key never appears in a URL (issue 25, finding 6): not in the address the
 * launch ends on, not in any step of its redirects, not in the tab's history, not in any request
 * the page makes; the page has it from its first body, and the API and the event stream work
 * with it, after a reload too.
 */
import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import { testSecret, useFixture } from '../harness/fixture.js';

describe('px-accounts-ui: the session key stays out of URLs', function () {
  this.timeout(60_000);
  /** Every URL the page asked for or navigated to, redirects included. */
  const urls: string[] = [];
  /** The page's own navigations, each step of a redirect included. */
  const navigations: string[] = [];
  let name = '';
  const fx = useFixture({
    service: true,
    window: {
      browser: {
        watch: (page) => {
          page.on('request', (r) => {
            urls.push(r.url());
            if (r.isNavigationRequest() && r.frame() === page.mainFrame()) navigations.push(r.url());
          });
          page.on('framenavigated', (f) => urls.push(f.url()));
        },
      },
    },
  });
  let page: Page;
  before(() => (page = fx.win.page));

  const sessionKey = () => page.evaluate<string>("sessionStorage.getItem('px-accounts-key') ?? ''");

  it("ends on the page's plain address; no URL of the launch, the history or any request carries the key", async () => {
    await page.getByRole('heading', { name: 'Accounts', level: 2 }).waitFor();
    const key = await sessionKey();
    assert.match(key, /^[A-Za-z0-9_-]{43}$/, 'the page has the key');
    assert.equal(page.url(), `${fx.ui.origin}/`);
    assert.deepEqual(navigations, [fx.ui.url, `${fx.ui.origin}/`], 'the launch URL, then the page');
    const cdp = await page.context().newCDPSession(page);
    const history = (await cdp.send('Page.getNavigationHistory')).entries.map((e) => e.url);
    assert.ok(history.includes(`${fx.ui.origin}/`), history.join(' '));
    for (const u of [...history, ...navigations, ...urls, page.url()])
      assert.ok(!u.includes(key) && !/[?&]k=/.test(u), `the key in ${u}`);
    assert.ok(
      urls.some((u) => u === `${fx.ui.origin}/api/events`),
      'the event stream was opened, without the key in its URL',
    );
    assert.equal(
      await page.evaluate<boolean>(`document.querySelector('meta[name="px-session-key"]') !== null`),
      false,
      'the key does not stay in the document',
    );
  });

  it('the API and the event stream work with the key: an account added elsewhere shows up live, the catalogue loads', async () => {
    const account = await fx.accounts.addAccount({
      provider: 'imap',
      account: 'key@example.org',
      password: testSecret(),
      protocols: ['imap'],
      settings: { imap: { host: '127.0.0.1', port: 1 } },
    });
    name = account.name;
    await page.getByRole('link', { name, exact: true }).waitFor();
    await page.goto(`${fx.ui.origin}/#/add`);
    await page.getByRole('heading', { name: 'Add an account', level: 2 }).waitFor();
    await page.getByRole('link', { name: /FastMail/ }).waitFor();
  });

  it("after a reload (the key is not handed out again) the page still works from the tab's own copy", async () => {
    const key = await sessionKey();
    await page.reload();
    await page.goto(`${fx.ui.origin}/#/`);
    await page.getByRole('link', { name, exact: true }).waitFor();
    assert.equal(await sessionKey(), key);
    assert.equal(page.url(), `${fx.ui.origin}/#/`);
    for (const u of urls) assert.ok(!u.includes(key), `the key in ${u}`);
  });
});
