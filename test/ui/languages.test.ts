/**
 * The window in the person's language (Debian's chromium with the locale de-DE or fa-IR, which
 * sets navigator.language and Accept-Language): the texts from the German and Persian catalogues
 * (a plural included), numbers and times through Intl, the server's own words (a check's result)
 * in the same language; Persian laid out right to left (dir="rtl", mirrored, nothing clipped);
 * screenshots of both for docs/screenshots. A language without a catalogue gets English.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { testSecret, useFixture } from '../harness/fixture.js';
import { SCREENSHOTS_DIR } from '../harness/session.js';
import { openWindow, startUi, type Window } from '../harness/window.js';
import { settled } from './helpers.js';

/** Elements whose text is cut off: wider content than box (labels, buttons, links, headings, badges...). */
const CLIPPED = `[...document.querySelectorAll('label, button, a, h1, h2, h3, legend, th, summary, .badge, .provider, .hint')]
  .filter((e) => e.getClientRects().length > 0 && e.clientWidth > 0 && e.scrollWidth > e.clientWidth)
  .map((e) => e.outerHTML.slice(0, 160))`;

describe('px-accounts-ui in German and Persian', function () {
  this.timeout(60_000);
  let club: string;
  const windows: Window[] = [];
  const fx = useFixture({
    service: true,
    // By hand, on a port where nothing answers: a check fails at connecting, the same every time.
    seed: async (fx) => {
      const added = await fx.accounts.addAccount({
        provider: 'imap',
        account: 'ana@club.example.org',
        name: 'Club mailbox — ana@club.example.org',
        password: testSecret(),
        settings: { imap: { host: '127.0.0.1', port: 1, security: 'none' } },
      });
      club = added.id;
    },
  });

  /** A window in `locale` on the accounts list (a program of its own: each launch link works once), stopped with the suite. */
  async function open(locale: string): Promise<Page> {
    const ui = fx.own(await startUi(fx.session));
    const win = await openWindow(ui.url, 'light', locale);
    fx.onStop(() => win.browser.close());
    windows.push(win);
    await settled(win.page);
    return win.page;
  }

  async function show(page: Page, hash: string): Promise<void> {
    await page.goto(new URL(`/${hash}`, page.url()).href);
    await settled(page);
  }

  /** Every page of the window, each without clipped text or a sideways scroll; screenshots of some. */
  async function walk(page: Page, lang: string): Promise<void> {
    mkdirSync(SCREENSHOTS_DIR, { recursive: true });
    for (const [name, hash] of [
      ['list', '#/'],
      ['add', '#/add'],
      ['add-manual', '#/add/manual-mail'],
      ['account', `#/account/${club}`],
      ['access', '#/access'],
    ] as const) {
      await show(page, hash);
      assert.deepEqual(await page.evaluate(CLIPPED), [], `${lang} ${hash}: clipped text`);
      assert.equal(
        await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
        0,
        `${lang} ${hash} scrolls sideways`,
      );
      if (name === 'list' || name === 'add' || name === 'account')
        await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}-${lang}.png`) });
    }
  }

  it('German: the frame and the list from the catalogue, "1 Konto" then "3 Konten" as accounts come, a time through Intl', async () => {
    const page = await open('de-DE');
    assert.equal(await page.evaluate('document.documentElement.lang + " " + document.documentElement.dir'), 'de ltr');
    assert.equal(await page.title(), 'Online-Konten');
    await page.getByRole('heading', { name: 'Online-Konten', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Bereiche' }).getByRole('link', { name: 'Konto hinzufügen' }).waitFor();
    await page.getByRole('heading', { name: 'Konten', level: 2 }).waitFor();
    await page.locator('p.count', { hasText: /^1 Konto$/ }).waitFor();
    await page.locator('.badge', { hasText: 'Noch kein Status' }).waitFor();
    await fx.accounts.addAccount({
      provider: 'fastmail',
      account: 'ana@example.org',
      name: 'Work mail — ana@example.org',
      password: testSecret(),
    });
    await fx.accounts.addAccount({
      provider: 'gandi',
      account: 'ana@silva.example',
      name: 'Personal mail — ana@silva.example',
      password: testSecret(),
    });
    await page.locator('p.count', { hasText: /^3 Konten$/ }).waitFor();
    await fx.accounts.reportStatus(club, 'error', 'mailbox sync failed');
    const status = page.getByRole('listitem').filter({ hasText: 'Club mailbox' }).locator('.status');
    await status.filter({ hasText: 'Fehler' }).waitFor();
    // Today: the time alone, German style (24 hours, no AM/PM).
    assert.match(await status.innerText(), /seit \d{1,2}:\d{2}:\d{2}$/);
  });

  it("German: the server's words too: a failed check says the step and the reason in German", async () => {
    const page = windows[0]!.page;
    await show(page, `#/account/${club}`);
    await page.getByRole('button', { name: 'Jetzt prüfen' }).click();
    await page
      .getByRole('list', { name: 'Prüfergebnisse' })
      .getByText(
        'IMAP (127.0.0.1:1): Fehler beim Schritt „Verbinden“. Der Server hat die Verbindung abgelehnt: Auf diesem Port antwortet nichts.',
      )
      .waitFor();
    await page.getByRole('button', { name: 'Konto entfernen' }).click();
    await page
      .getByRole('dialog', { name: 'Club mailbox — ana@club.example.org entfernen?' })
      .getByText('Gelöscht werden:')
      .waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Abbrechen' }).click();
  });

  it('German: every page without clipped text', async () => {
    for (const a of await fx.accounts.listAccounts()) await fx.accounts.reportStatus(a.id, 'online', '');
    await walk(windows[0]!.page, 'de');
  });

  it('Persian: right to left (dir="rtl"), mirrored, Persian digits through Intl, nothing clipped', async () => {
    const page = await open('fa-IR');
    assert.equal(await page.evaluate('document.documentElement.lang + " " + document.documentElement.dir'), 'fa rtl');
    assert.equal(await page.title(), 'حساب‌های برخط');
    await page.getByRole('heading', { name: 'حساب‌ها', level: 2 }).waitFor();
    await page.getByRole('navigation', { name: 'بخش‌ها' }).getByRole('link', { name: 'افزودن حساب' }).waitFor();
    assert.equal(await page.locator('p.count').innerText(), '۳ حساب');
    // Mirrored: the heading and the first section start on the right; in each account the icon is right of the name.
    const width = page.viewportSize()!.width;
    // The heading's text (its box is as wide as the page).
    const heading = await page.evaluate<{
      x: number;
      width: number;
    }>(`(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('main h2'));
      const b = r.getBoundingClientRect(); return { x: b.x, width: b.width }; })()`);
    assert.ok(
      heading.x + heading.width > width - 60 && heading.x > width / 2,
      `the heading sits on the right: ${JSON.stringify(heading)}`,
    );
    const nav = page.getByRole('navigation', { name: 'بخش‌ها' }).getByRole('link');
    assert.ok(
      (await nav.nth(0).boundingBox())!.x > (await nav.nth(1).boundingBox())!.x,
      'the first section is the rightmost',
    );
    const item = page.locator('ul.accounts li').filter({ hasText: 'Work mail' });
    const icon = (await item.locator('.provider-icon').boundingBox())!;
    const name = (await item.locator('a.name').boundingBox())!;
    assert.ok(icon.x > name.x + name.width - 1, `the icon is right of the name: ${JSON.stringify({ icon, name })}`);
    const list = (await page.locator('ul.accounts').boundingBox())!;
    assert.ok(name.x + name.width > list.x + list.width / 2, 'the names start on the right side of the list');
    await walk(page, 'fa');
  });

  it('a language without a catalogue (French) gets the English window', async () => {
    const page = await open('fr-FR');
    assert.equal(await page.evaluate('document.documentElement.lang + " " + document.documentElement.dir'), 'en ltr');
    await page.getByRole('heading', { name: 'Online Accounts', level: 1 }).waitFor();
    assert.equal(await page.locator('p.count').innerText(), '3 accounts');
  });

  it("English, light and dark: the README's pictures (realistic accounts with their providers' icons, a failed check)", async () => {
    await fx.accounts.addAccount({
      provider: 'icloud',
      account: 'ana.silva@icloud.com',
      name: 'Family calendar — ana.silva@icloud.com',
      password: testSecret(),
    });
    for (const a of await fx.accounts.listAccounts()) await fx.accounts.reportStatus(a.id, 'online', '');
    const page = await open('en-US');
    await page.locator('p.count', { hasText: '4 accounts' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS_DIR, 'overview-light.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await show(page, `#/account/${club}`);
    await page.getByRole('button', { name: 'Check now' }).click();
    await page
      .getByRole('list', { name: 'Check results' })
      .getByText('IMAP (127.0.0.1:1): failed at connecting. The server refused the connection')
      .waitFor();
    await page.getByText('Details (IMAP)').click();
    await page.screenshot({ path: join(SCREENSHOTS_DIR, 'check-failed-account-dark.png') });
  });
});
