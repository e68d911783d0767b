/**
 * What the window shows, told to the service: the windowed program (owner of
 * org.pantherx.AccountsUi) answers ShownAccounts() with the accounts its pages show, as each
 * page reports it (POST /api/showing with its page id, forgotten when its event stream ends).
 * The service sends no notification about those (test/service/attention.test.ts).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testSecret, useFixture } from '../harness/fixture.js';
import { run as runProgram, stopPid } from '../harness/process.js';
import { waitFor } from '../harness/session.js';
import { UI_BIN, openWindow } from '../harness/window.js';

describe('px-accounts-ui tells which accounts it shows (org.pantherx.AccountsUi ShownAccounts)', function () {
  this.timeout(60_000);
  const fx = useFixture({ service: true });

  it('the account page a window shows, nothing on the list, nothing once the window is closed', async () => {
    const a = await fx.accounts.addAccount({
      provider: 'imap',
      account: 'shown@example.org',
      password: testSecret(),
      settings: { imap: { host: '127.0.0.1', port: 1 } },
    });
    // A "browser" that notes the launch page it was given; the test opens that in chromium itself.
    const calls = join(fx.session.dir, 'browser-calls');
    const browser = join(fx.session.dir, 'fake-browser.sh');
    writeFileSync(browser, `#!/bin/sh\necho "$@" >> '${calls}'\n`, { mode: 0o755 });
    const env = {
      ...fx.session.env,
      DISPLAY: ':99',
      PX_ACCOUNTS_UI_BROWSER: browser,
      PX_ACCOUNTS_UI_GRACE_MS: '60000',
    };
    const program = spawn(process.execPath, [UI_BIN, '--account', a.id], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const shown = async () => {
      const r = await runProgram(
        'busctl',
        [
          '--user',
          'call',
          'org.pantherx.AccountsUi',
          '/org/pantherx/AccountsUi',
          'org.pantherx.AccountsUi',
          'ShownAccounts',
        ],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    try {
      // The "browser" appends a line: the file can be seen created before the line is in it.
      const launch = await waitFor(
        'the window asked for',
        () => (existsSync(calls) ? /--app=(file:\S+)/.exec(readFileSync(calls, 'utf8'))?.[1] : undefined),
        10_000,
      );
      const page = readFileSync(fileURLToPath(launch), 'utf8');
      const url = /url=([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&');
      assert.equal(await shown(), 'as 0');
      const win = await openWindow(url);
      try {
        await win.page.getByRole('heading', { name: 'shown@example.org', level: 2 }).waitFor();
        // ShownAccounts changes with no signal (the service asks when it needs to): asked until it answers.
        await waitFor('the account shown', async () => (await shown()) === `as 1 "${a.id}"`);
        await win.page.evaluate("location.hash = '#/'");
        await waitFor('the list: no account shown', async () => (await shown()) === 'as 0');
        await win.page.evaluate(`location.hash = '#/account/${a.id}'`);
        await waitFor('the account shown again', async () => (await shown()) === `as 1 "${a.id}"`);
      } finally {
        await win.browser.close();
      }
      await waitFor('the window closed: nothing shown', async () => (await shown()) === 'as 0');
    } finally {
      await stopPid(program.pid);
    }
  });
});
