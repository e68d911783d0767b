/**
 * The Online Accounts window in Debian's chromium (headless, driven by playwright-core) against
 * the real service on a private bus with a real keyring and a loopback Dovecot. Locators are
 * roles and labels, as people (and screen readers) find things.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { AccountsClient, type Account } from '../../src/client/index.js';
import { loopbackProvider, testSecret, useFixture } from '../harness/fixture.js';
import { run as runProgram, stopPid } from '../harness/process.js';
import { SCREENSHOTS_DIR, waitFor } from '../harness/session.js';
import { UI_BIN, openWindow, startUi } from '../harness/window.js';
import { http, settled } from './helpers.js';

const run = promisify(execFile);
const SHOTS = SCREENSHOTS_DIR;
/** A provider of the catalogue whose IMAP and POP3 servers are the suite's loopback Dovecot. */
const PROVIDER_ID = 'loopmail';
const PROVIDER_NAME = 'Loopback Mail';

async function accounts(client: AccountsClient, provider?: string): Promise<Account[]> {
  return (await client.listAccounts()).filter((a) => provider === undefined || a.provider === provider);
}

/** Fills the by-hand IMAP form (SMTP switched off). */
async function fillManualImap(page: Page, user: string, password: string, port: number): Promise<void> {
  await page.goto(new URL('/#/add/manual-mail', page.url()).href);
  await page.getByLabel('User name or e-mail address').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('checkbox', { name: 'SMTP' }).uncheck();
  await page.getByLabel('IMAP server').fill('127.0.0.1');
  await page.getByLabel('IMAP port').fill(String(port));
  await page.getByLabel('IMAP security').selectOption('none');
}

describe('px-accounts-ui in chromium', function () {
  this.timeout(60_000);
  /** Every response body the page received (the event stream aside), for the no-secret check. */
  const bodies: Array<[string, string]> = [];
  const fx = useFixture({
    peers: ['dovecot'],
    prepare: (fx) =>
      fx.provider(
        PROVIDER_ID,
        loopbackProvider({ name: PROVIDER_NAME, servers: { imap: fx.peers.ports.imap, pop3: fx.peers.ports.pop3 } }),
      ),
    service: true,
    window: {
      browser: {
        watch: (page) =>
          page.on('response', (r) => {
            if (r.url().endsWith('/api/events')) return;
            r.text().then(
              (t) => bodies.push([r.url(), t]),
              () => undefined,
            );
          }),
      },
    },
  });
  let page: Page;
  before(() => (page = fx.win.page));

  it('opens on the accounts list, the launch token gone from the address', async () => {
    await page.getByRole('heading', { name: 'Accounts', level: 2 }).waitFor();
    assert.equal(new URL(page.url()).search, '', 'the token is not left in the address bar');
    await page.getByText('No accounts yet').waitFor();
  });

  it('adds an account from the catalogue after checking it with the servers', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Add account' }).click();
    await page.getByLabel('Search providers').fill('loop');
    assert.equal(
      await page.getByRole('link', { name: /FastMail/ }).isVisible(),
      false,
      'the search hides other providers',
    );
    await page.getByRole('link', { name: new RegExp(PROVIDER_NAME) }).click();
    await page.getByLabel('E-mail address').fill(fx.peers.user);
    await page.getByLabel('Password', { exact: true }).fill(fx.peers.password);
    assert.equal(await page.getByRole('checkbox', { name: 'IMAP' }).isChecked(), true);
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.getByRole('heading', { name: fx.peers.user, level: 2 }).waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: `Added ${fx.peers.user}` })
      .waitFor();
    const [a] = await accounts(fx.accounts, PROVIDER_ID);
    assert.ok(a, 'the account exists on the bus');
    assert.deepEqual(a.credentials, ['password']);
    assert.deepEqual(a.protocols, ['imap', 'pop3']);
  });

  it('does not save a rejected password, and says which server and step failed', async () => {
    await fillManualImap(page, fx.peers.user, testSecret(), fx.peers.ports.imap);
    await page.getByRole('button', { name: 'Add account' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The check failed, so nothing was saved.' });
    await alert.waitFor();
    assert.match(
      await alert.innerText(),
      new RegExp(
        `IMAP \\(127\\.0\\.0\\.1:${fx.peers.ports.imap}\\): failed at signing in\\. The server rejected the user name or password\\.`,
      ),
    );
    assert.equal(
      await page.getByRole('button', { name: 'Save anyway' }).count(),
      0,
      'no Save anyway for a rejected password',
    );
    await page.getByText('Details (IMAP)').click();
    assert.match(await alert.locator('pre').innerText(), /^Unauthorized: /);
    assert.deepEqual(await accounts(fx.accounts, 'imap'), [], 'nothing was saved');
    // With the right password the same form saves.
    await page.getByLabel('Password', { exact: true }).fill(fx.peers.password);
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.getByRole('heading', { name: fx.peers.user, level: 2 }).waitFor();
    assert.equal((await accounts(fx.accounts, 'imap')).length, 1);
  });

  it('offers "Save anyway" when the server cannot be reached, and saves when asked', async () => {
    await fillManualImap(page, 'away@example.org', testSecret(), fx.peers.ports.closed);
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.getByText(/failed at connecting\. The server refused the connection/).waitFor();
    assert.deepEqual(
      (await accounts(fx.accounts, 'imap')).map((a) => a.username),
      [fx.peers.user],
      'not saved before the person insists',
    );
    await page.getByRole('button', { name: 'Save anyway' }).click();
    await page.getByRole('heading', { name: 'away@example.org', level: 2 }).waitFor();
    const saved = (await accounts(fx.accounts, 'imap')).find((a) => a.username === 'away@example.org');
    assert.equal(saved?.settings.imap?.port, fx.peers.ports.closed);
  });

  it('shows a status reported with busctl at once, without reloading', async () => {
    await page.goto(new URL('/#/', page.url()).href);
    await page.evaluate('window.notReloaded = true');
    const [a] = await accounts(fx.accounts, PROVIDER_ID);
    await run(
      'busctl',
      [
        '--user',
        'call',
        'org.pantherx.Accounts',
        a!.path,
        'org.pantherx.Accounts.Account',
        'ReportStatus',
        'ss',
        'error',
        'mailbox sync failed',
      ],
      { env: fx.session.env },
    );
    const item = page
      .getByRole('listitem')
      .filter({ has: page.getByRole('link', { name: a!.name, exact: true }) })
      .filter({ hasText: 'mailbox sync failed' });
    await item.waitFor();
    assert.match(await item.innerText(), /Error/);
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');
  });

  it('changes a server setting only after a passing check, unless the person insists', async () => {
    const away = (await accounts(fx.accounts, 'imap')).find((a) => a.username === 'away@example.org')!;
    await fx.accounts.setSecret(away.id, 'password', fx.peers.password);
    await page.goto(new URL(`/#/account/${away.id}`, page.url()).href);
    // To the right port and user: the check passes and the change is saved.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('IMAP port').fill(String(fx.peers.ports.imap));
    await page.getByLabel('IMAP user name').fill(fx.peers.user);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.equal((await fx.accounts.getAccount(away.id)).settings.imap?.port, fx.peers.ports.imap);
    // To a port nothing listens on: refused, the old setting stays.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('IMAP port').fill(String(fx.peers.ports.closed));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/failed at connecting/).waitFor();
    assert.equal(
      (await fx.accounts.getAccount(away.id)).settings.imap?.port,
      fx.peers.ports.imap,
      'the old port stays',
    );
    await page.getByRole('button', { name: 'Save anyway' }).click();
    await waitFor(
      'the insisted port',
      async () => (await fx.accounts.getAccount(away.id)).settings.imap?.port === fx.peers.ports.closed,
    );
  });

  it('asks for the password again when the server rejects it, and clears the attention', async () => {
    const [a] = await accounts(fx.accounts, PROVIDER_ID);
    await fx.accounts.setSecret(a!.id, 'password', testSecret());
    await fx.accounts.verify(a!.id);
    await page.goto(new URL('/#/', page.url()).href);
    await page.getByRole('link', { name: `Enter the password of ${a!.name}` }).click();
    const field = page.getByLabel(/New password/);
    await field.waitFor();
    assert.equal(
      await page.evaluate('document.activeElement.id'),
      await field.getAttribute('id'),
      'the password field has the focus',
    );
    await field.fill(fx.peers.password);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await waitFor('attention cleared', async () => !(await fx.accounts.getAccount(a!.id)).attentionNeeded);
    await page.getByText('Needs your attention').waitFor({ state: 'detached' });
  });

  it('shows one secret at a time behind the eye button', async () => {
    const [a] = await accounts(fx.accounts, PROVIDER_ID);
    await page.goto(new URL(`/#/account/${a!.id}`, page.url()).href);
    assert.equal(await page.getByText(fx.peers.password).count(), 0, 'hidden at first');
    await page.getByRole('button', { name: 'Show password' }).click();
    await page.getByText(fx.peers.password, { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Hide password' }).click();
    await page.getByText(fx.peers.password, { exact: true }).waitFor({ state: 'detached' });
  });

  it('removes an account after a confirmation that names what goes', async () => {
    const away = (await accounts(fx.accounts, 'imap')).find((a) => a.username === 'away@example.org')!;
    await page.goto(new URL(`/#/account/${away.id}`, page.url()).href);
    await page.getByRole('button', { name: 'Remove account' }).click();
    const dialog = page.getByRole('dialog', { name: `Remove ${away.name}?` });
    await dialog.waitFor();
    const text = await dialog.innerText();
    assert.ok(text.includes(`${away.id}.ini`) && /secrets in the keyring: password/.test(text), text);
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('heading', { name: 'Accounts', level: 2 }).waitFor();
    await waitFor('removed on the bus', async () => !(await accounts(fx.accounts)).some((a) => a.id === away.id));
    assert.equal(await page.getByRole('link', { name: away.name, exact: true }).count(), 0);
  });

  it("asks before host apps use accounts when told to; answers an app's access request and revokes the grant", async () => {
    const [a] = await accounts(fx.accounts, PROVIDER_ID);
    const app = await AccountsClient.connect({ busAddress: fx.session.address });
    try {
      await page.goto(new URL('/#/access', page.url()).href);
      const hostApps = page.getByLabel('Other apps must be allowed too');
      await waitFor(
        'the host-apps setting shown',
        async () => !(await hostApps.isDisabled()) && !(await hostApps.isChecked()),
      );
      await hostApps.check();
      await waitFor('HostApps ask', async () => (await fx.accounts.hostApps()) === 'ask');
      assert.equal(await app.requestAccess(a!.id), 'pending');
      const allow = page.getByRole('button', { name: new RegExp(`^Allow .* to use ${a!.name}$`) });
      await allow.click();
      await page.getByRole('cell', { name: 'Allowed' }).waitFor();
      assert.equal(await app.requestAccess(a!.id), 'always');
      await page.getByRole('button', { name: /^Revoke/ }).click();
      await page.getByText('No app has been allowed or refused yet.').waitFor();
      // Changed elsewhere (px-accounts access host allow): the page follows.
      await fx.accounts.setHostApps('allow');
      await waitFor('the box follows the bus', async () => !(await hostApps.isChecked()));
    } finally {
      app.close();
      await fx.accounts.setHostApps('allow');
    }
  });

  it("shows a mail account's sender identity on its page, and follows a change", async () => {
    const a = await fx.accounts.addAccount({
      provider: 'imap',
      account: 'ada@example.org',
      password: testSecret(),
      settings: {
        imap: { host: '127.0.0.1', port: 1 },
        smtp: { host: '127.0.0.1', port: 1 },
        identity: { name: 'Ada Lovelace', aliases: ['ada@analytical.example'] },
      },
      protocols: ['imap', 'smtp'],
    });
    try {
      await page.goto(new URL(`/#/account/${a.id}`, page.url()).href);
      const sender = page.getByRole('region', { name: 'Sender' });
      await sender.getByText('Ada Lovelace').waitFor();
      await sender.getByText('ada@analytical.example').waitFor();
      assert.equal(
        await sender.getByText('ada@example.org', { exact: true }).count(),
        1,
        'the address defaults to the user name',
      );
      await fx.accounts.updateAccount(a.id, { settings: { identity: { name: 'Augusta Ada King' } } });
      await sender.getByText('Augusta Ada King').waitFor();
    } finally {
      await fx.accounts.removeAccount(a.id);
    }
  });

  it("edits a mail account's sender identity without a server check (name, address, other addresses)", async () => {
    const a = await fx.accounts.addAccount({
      provider: 'imap',
      account: 'grace@example.org',
      password: testSecret(),
      // Port 1: nothing listens there, so a save that checked the servers would fail.
      settings: { imap: { host: '127.0.0.1', port: 1 }, smtp: { host: '127.0.0.1', port: 1 } },
      protocols: ['imap', 'smtp'],
    });
    try {
      await page.goto(new URL(`/#/account/${a.id}`, page.url()).href);
      await page.getByRole('button', { name: 'Edit', exact: true }).click();
      const form = page.getByRole('form', { name: 'Edit' });
      await form.getByLabel('Sender name').fill('Grace Hopper');
      await form.getByLabel('Sender address').fill('admiral@example.org');
      await form.getByLabel(/^Also sends as/).fill('grace@navy.example, cobol@example.org');
      await form.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('region', { name: 'Sender' }).getByText('Grace Hopper').waitFor();
      const after = await fx.accounts.getAccount(a.id);
      assert.deepEqual(after.identity, {
        fullName: 'Grace Hopper',
        emailAddress: 'admiral@example.org',
        aliases: ['grace@navy.example', 'cobol@example.org'],
      });
      assert.deepEqual(after.settings, a.settings, 'the servers are unchanged');
    } finally {
      await fx.accounts.removeAccount(a.id);
    }
  });

  it("shows the proxy an account is reached through, its muted failures (unmuted from the page) and apps' notes", async () => {
    const proxy = await fx.accounts.addAccount({
      provider: 'proxy',
      account: 'office-proxy',
      password: testSecret(),
      protocols: ['proxy'],
      settings: { proxy: { host: '127.0.0.1', port: 1, type: 'http' } },
    });
    const a = await fx.accounts.addAccount({
      provider: 'imap',
      account: 'behind@example.org',
      password: testSecret(),
      protocols: ['imap'],
      settings: { imap: { host: '127.0.0.1', port: 1 } },
      parent: proxy.id,
    });
    try {
      await fx.accounts.muteError(a.id, 'Unauthorized');
      await fx.accounts.setData(a.id, 'last-sync', '2026-12-01');
      await page.goto(new URL(`/#/account/${a.id}`, page.url()).href);
      const section = page.getByRole('region', { name: 'Connection and notes' });
      await section.getByRole('link', { name: proxy.name }).waitFor();
      await section.getByText('Unauthorized', { exact: true }).waitFor();
      await section.getByRole('cell', { name: '2026-12-01' }).waitFor();
      await section.getByRole('button', { name: 'Notify again about Unauthorized' }).click();
      // The page follows the account's change on the bus.
      await section.getByText('Unauthorized', { exact: true }).waitFor({ state: 'detached' });
      assert.deepEqual((await fx.accounts.getAccount(a.id)).mutedErrors, [], 'unmuted on the bus');
    } finally {
      await fx.accounts.removeAccount(a.id);
      await fx.accounts.removeAccount(proxy.id);
    }
  });

  it('is usable with the keyboard alone', async () => {
    await page.goto(new URL('/#/', page.url()).href);
    await page.getByRole('heading', { name: 'Accounts', level: 2 }).waitFor();
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate("document.activeElement?.textContent === 'Add account'");
    }
    assert.ok(reached, 'Tab reaches "Add account"');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Add an account', level: 2 }).waitFor();
  });

  it('gives every control an accessible name', async () => {
    const [a] = await accounts(fx.accounts, PROVIDER_ID);
    for (const hash of ['#/', '#/add', '#/add/manual-mail', `#/account/${a!.id}`, '#/access']) {
      await page.goto(new URL(`/${hash}`, page.url()).href);
      await page.getByRole('heading', { level: 2 }).first().waitFor();
      await settled(page);
      // A control is named by a label, aria-label or its text (the checks the accessibility tree makes first).
      const unnamed =
        await page.evaluate(`[...document.querySelectorAll('button, input, select, textarea, a[href]')].filter((e) => {
        if (e.closest('[hidden]')) return false;
        const labelled = e.id && document.querySelector('label[for="' + e.id + '"]');
        return !(labelled || e.getAttribute('aria-label') || e.textContent.trim());
      }).map((e) => e.outerHTML.slice(0, 80))`);
      assert.deepEqual(unnamed, [], `controls without a name on ${hash}`);
    }
  });

  it('reflows at 200 % zoom: no page scrolls sideways at half the width', async () => {
    const [a] = await accounts(fx.accounts, PROVIDER_ID);
    // 200 % zoom of a 900 px window lays the page out in 450 CSS pixels.
    await page.setViewportSize({ width: 450, height: 640 });
    try {
      for (const hash of ['#/', '#/add', '#/add/manual-mail', `#/account/${a!.id}`, '#/access']) {
        await page.goto(new URL(`/${hash}`, page.url()).href);
        await page.getByRole('heading', { level: 2 }).first().waitFor();
        await settled(page);
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        );
        assert.equal(overflow, 0, `${hash} is ${overflow} px wider than the window`);
      }
    } finally {
      await page.setViewportSize({ width: 900, height: 640 });
    }
  });

  it('saves screenshots of each page in light and dark', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const [a] = await accounts(fx.accounts, PROVIDER_ID);
    await fx.accounts.reportStatus(a!.id, 'online', 'synced');
    // An app waiting for an answer, so the access page shows one.
    await fx.accounts.setHostApps('ask');
    const app = await AccountsClient.connect({ busAddress: fx.session.address });
    await app.requestAccess(a!.id);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, hash] of [
        ['list', '#/'],
        ['add', '#/add'],
        ['add-manual', '#/add/manual-mail'],
        ['account', `#/account/${a!.id}`],
        ['access', '#/access'],
      ] as const) {
        await page.goto(new URL(`/${hash}`, page.url()).href);
        await page.getByRole('heading', { level: 2 }).first().waitFor();
        await settled(page);
        await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`) });
      }
      await fillManualImap(page, fx.peers.user, 'wrong-password-for-the-screenshot', fx.peers.ports.imap);
      await page.getByRole('button', { name: 'Add account' }).click();
      await page.getByText('Details (IMAP)').click();
      await page.getByRole('alert').filter({ hasText: 'The check failed' }).scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, `check-failed-${scheme}.png`) });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    app.close();
    await fx.accounts.setAccess(a!.id, (await fx.accounts.listAccess())[0]!.app, null);
    await fx.accounts.setHostApps('allow');
  });

  it('shows the offline banner while the service is stopped, and recovers by itself', async () => {
    await page.goto(new URL('/#/', page.url()).href);
    const banner = page.getByRole('alert').filter({ hasText: 'The accounts service is not running' });
    assert.equal(await banner.isVisible(), false);
    await fx.stopService();
    await banner.waitFor();
    await fx.startService();
    await banner.waitFor({ state: 'hidden' });
    await page.getByRole('listitem').filter({ hasText: PROVIDER_NAME }).waitFor();
  });

  it('never sent a secret to the page except through the eye button', () => {
    const leaks = bodies.filter(([url, body]) => body.includes(fx.peers.password) && !url.endsWith('/reveal'));
    assert.deepEqual(
      leaks.map(([url]) => url),
      [],
    );
    assert.ok(
      bodies.some(([url, body]) => url.endsWith('/reveal') && body.includes(fx.peers.password)),
      'the check can see a secret where there is one',
    );
  });
});

describe('px-accounts-ui as a program', function () {
  this.timeout(30_000);
  const fx = useFixture({ service: true });

  it('ends when its window closes', async () => {
    const ui = await startUi(fx.session, ['--exit-when-closed'], { PX_ACCOUNTS_UI_GRACE_MS: '300' });
    const win = await openWindow(ui.url);
    try {
      await win.page.getByRole('heading', { name: 'Accounts', level: 2 }).waitFor();
      await win.page.close();
      // Its end is the event; a program that stays fails by the test's time-out.
      assert.equal(await ui.exited, 0, ui.log());
    } finally {
      await win.browser.close();
      await ui.stop();
    }
  });

  it('ends cleanly on SIGTERM', async () => {
    const ui = await startUi(fx.session);
    ui.child.kill('SIGTERM');
    assert.equal(await ui.exited, 0);
  });

  it("one program per session: a second start asks the open window's program to show a window (on the account it names) and ends", async () => {
    // A "browser" that only notes what it was asked to open; DISPLAY makes both programs windowed.
    const calls = join(fx.session.dir, 'browser-calls');
    const browser = join(fx.session.dir, 'fake-browser.sh');
    writeFileSync(browser, `#!/bin/sh\necho "$@" >> '${calls}'\n`, { mode: 0o755 });
    const env = { ...fx.session.env, DISPLAY: ':99', PX_ACCOUNTS_UI_BROWSER: browser };
    const opened = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);
    /** The address a launch page (the browser's argument) forwards to. */
    const target = (call: string) => {
      const page = readFileSync(fileURLToPath(/--app=(file:\S+)/.exec(call)![1]!), 'utf8');
      return new URL(/url=([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&'));
    };
    const first = spawn(process.execPath, [UI_BIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let firstLog = '';
    first.stderr.on('data', (d) => (firstLog += d));
    try {
      await waitFor('the first window', () => opened().length === 1, 10_000);
      const second = await runProgram(process.execPath, [UI_BIN, '--account', 'shown_account'], env);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /open already: it shows itself/);
      assert.equal(opened().length, 2, `the running program opened a window: ${firstLog}`);
      const [one, two] = [target(opened()[0]!), target(opened()[1]!)];
      assert.equal(two.origin, one.origin, 'one server for both windows');
      assert.equal(two.searchParams.get('account'), 'shown_account');
      const answer = await http(two.origin, two.pathname + two.search);
      assert.equal(answer.status, 303, 'its link works (once)');
      assert.equal(first.exitCode, null, 'the first program keeps running');
      // Asked for anything else than showing an account: refused, nothing opened.
      const bad = await runProgram(
        'busctl',
        [
          '--user',
          'call',
          'org.pantherx.AccountsUi',
          '/org/pantherx/AccountsUi',
          'org.freedesktop.Application',
          'ActivateAction',
          'sava{sv}',
          'quit',
          '0',
          '0',
        ],
        env,
      );
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /the only action is show-account/);
      assert.equal(opened().length, 2);
    } finally {
      await stopPid(first.pid);
    }
  });

  it("opens on one account with --account ID (the wallets' notification action)", async () => {
    const client = await AccountsClient.connect({ busAddress: fx.session.address });
    const a = await client.addAccount({
      provider: 'imap',
      account: 'opened@example.org',
      password: testSecret(),
      settings: { imap: { host: '127.0.0.1', port: 1 } },
    });
    client.close();
    const ui = await startUi(fx.session, ['--account', a.id]);
    const win = await openWindow(ui.url);
    try {
      await win.page.getByRole('heading', { name: 'opened@example.org', level: 2 }).waitFor();
      assert.equal(new URL(win.page.url()).hash, `#/account/${a.id}`);
    } finally {
      await win.browser.close();
      await ui.stop();
    }
  });
});
