/**
 * Provider icons in the window (chromium): the catalogue, the list and the account page show the
 * SVG the service names for catalogue providers, served by the window under its CSP (and only
 * with the session: /icons/provider/ID), and a generic tile for an icon name of the theme.
 */
import { strict as assert } from 'node:assert';
import { testSecret, useFixture } from '../harness/fixture.js';
import { http } from './helpers.js';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

describe('px-accounts-ui: provider icons', function () {
  this.timeout(60_000);
  let fastmail: string;
  const fx = useFixture({
    service: true,
    seed: async (fx) => {
      const added = await fx.accounts.addAccount({
        provider: 'fastmail',
        account: 'icons@fastmail.com',
        password: testSecret(),
      });
      fastmail = added.id;
      await fx.accounts.addAccount({
        provider: 'imap',
        account: 'byhand@example.org',
        password: testSecret(),
        settings: { imap: { host: '127.0.0.1', port: 1 } },
      });
    },
    window: true,
  });

  it('the list, the catalogue and the account page show them (loaded), a generic tile for the manual account', async () => {
    const { page } = fx.win;
    await page.getByRole('link', { name: 'icons@fastmail.com' }).waitFor();
    type Img = { getAttribute(n: string): string | null; complete: boolean; naturalWidth: number };
    const loaded = async (selector: string) =>
      page
        .locator(selector)
        .evaluateAll((imgs) =>
          (imgs as unknown as Img[]).map((i) => [i.getAttribute('src'), i.complete && i.naturalWidth > 0]),
        );
    type Doc = { querySelectorAll(s: string): ArrayLike<Img> };
    const allLoaded = () =>
      page.waitForFunction(() =>
        Array.from((globalThis as unknown as { document: Doc }).document.querySelectorAll('img.provider-icon')).every(
          (i) => i.complete,
        ),
      );
    await allLoaded();
    assert.deepEqual(await loaded('ul.accounts img.provider-icon'), [['/icons/provider/fastmail', true]]);
    assert.equal(
      await page.locator('ul.accounts .provider-icon.generic').textContent(),
      'I',
      'a tile with the letter for IMAP by hand',
    );
    assert.equal(await page.locator('ul.accounts .provider-icon.generic').getAttribute('aria-hidden'), 'true');

    await page.evaluate("location.hash = '#/add'");
    await page.getByRole('link', { name: /FastMail/ }).waitFor();
    await allLoaded();
    const catalogue = await loaded('ul.choices img.provider-icon');
    assert.ok(catalogue.length >= 10, `${catalogue.length} icons in the catalogue`);
    assert.ok(
      catalogue.every(([, ok]) => ok),
      JSON.stringify(catalogue),
    );
    assert.equal(
      await page
        .getByRole('link', { name: /FastMail/ })
        .first()
        .getAttribute('href'),
      '#/add/fastmail',
      'the icon adds nothing to the name',
    );

    await page.evaluate(`location.hash = '#/account/${fastmail}'`);
    await page.getByRole('heading', { name: 'icons@fastmail.com', level: 2 }).waitFor();
    await allLoaded();
    assert.deepEqual(await loaded('.title img.provider-icon'), [['/icons/provider/fastmail', true]]);
  });

  it('served by the window with the session only, as image/svg+xml under the CSP; unknown providers and icon names are 404', async () => {
    assert.equal((await http(fx.ui.origin, '/icons/provider/fastmail')).status, 401, 'no session, no icon');
    // The window's own session (its launch link was used by the page).
    const cookie = (await fx.win.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const get = (path: string) => http(fx.ui.origin, path, { headers: { Cookie: cookie } });
    const icon = await get('/icons/provider/fastmail');
    assert.equal(icon.status, 200);
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['content-security-policy'], CSP);
    assert.equal(icon.headers['x-content-type-options'], 'nosniff');
    assert.match(icon.body, /<title>FastMail<\/title>/);
    for (const path of [
      '/icons/provider/imap',
      '/icons/provider/nosuch',
      '/icons/provider/..%2f..%2fetc%2fpasswd',
      '/icons/provider/',
    ]) {
      assert.equal((await get(path)).status, 404, path);
    }
  });
});
