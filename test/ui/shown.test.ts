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
import { AccountsClient } from '../../src/client/index.js';
import { secret } from '../cli/helpers.js';
import { startService, startSession, waitFor, type ServiceProcess, type Session } from '../harness/session.js';
import { run as runProgram, stopPid } from '../harness/process.js';
import { UI_BIN, openWindow } from './helpers.js';

describe('px-accounts-ui tells which accounts it shows (org.pantherx.AccountsUi ShownAccounts)', function () {
  this.timeout(60_000);
  let session: Session;
  let service: ServiceProcess;

  before(async function () {
    session = await startSession();
    service = await startService(session);
  });
  after(async function () {
    await service?.stop();
    await session?.stop();
  });

  it('the account page a window shows, nothing on the list, nothing once the window is closed', async () => {
    const client = await AccountsClient.connect({ busAddress: session.address });
    const a = await client.addAccount({
      provider: 'imap',
      account: 'shown@example.org',
      password: secret(),
      settings: { imap: { host: '127.0.0.1', port: 1 } },
    });
    client.close();
    // A "browser" that notes the launch page it was given; the test opens that in chromium itself.
    const calls = join(session.dir, 'browser-calls');
    const browser = join(session.dir, 'fake-browser.sh');
    writeFileSync(browser, `#!/bin/sh\necho "$@" >> '${calls}'\n`, { mode: 0o755 });
    const env = { ...session.env, DISPLAY: ':99', PX_ACCOUNTS_UI_BROWSER: browser, PX_ACCOUNTS_UI_GRACE_MS: '60000' };
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
        await waitFor('the account shown', async () => (await shown()) === `as 1 "${a.id}"`, 5000);
        await win.page.evaluate("location.hash = '#/'");
        await waitFor('the list: no account shown', async () => (await shown()) === 'as 0', 5000);
        await win.page.evaluate(`location.hash = '#/account/${a.id}'`);
        await waitFor('the account shown again', async () => (await shown()) === `as 1 "${a.id}"`, 5000);
      } finally {
        await win.browser.close();
      }
      await waitFor('the window closed: nothing shown', async () => (await shown()) === 'as 0', 5000);
    } finally {
      await stopPid(program.pid);
    }
  });
});
