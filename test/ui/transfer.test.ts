/**
 * The window's export and import (#/transfer) in Chromium: the file the page saves is one
 * Debian's age reads (on a pseudo-terminal), and the page imports it back, reporting what it
 * added, what it left alone, and a wrong passphrase.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccountsClient } from '../../src/client/index.js';
import { run } from '../harness/process.js';
import { ROOT, startService, startSession, type ServiceProcess, type Session } from '../harness/session.js';
import { openWindow, settled, startUi, type UiProcess, type Window } from './helpers.js';

const AGE_PTY = join(ROOT, 'test/harness/age_pty.py');

describe('window: export and import', function () {
  this.timeout(60_000);
  let session: Session;
  let service: ServiceProcess;
  let ui: UiProcess;
  let client: AccountsClient;
  let win: Window;
  const pass = `window pass ${Math.random().toString(36).slice(2)}`;
  const passwords = { a: `pw-${Math.random().toString(36).slice(2)}`, b: `pw-${Math.random().toString(36).slice(2)}` };
  const ids: string[] = [];
  let saved = '';

  before(async function () {
    this.timeout(60_000);
    session = await startSession();
    service = await startService(session, ['--no-background-check'], { PX_ACCOUNTS_SCRYPT_WORK_FACTOR: '12' });
    client = await AccountsClient.connect({ busAddress: session.address });
    for (const [user, password] of [
      [`wa${process.pid}@example.org`, passwords.a],
      [`wb${process.pid}@example.org`, passwords.b],
    ] as const) {
      ids.push(
        (
          await client.addAccount({
            provider: 'imap',
            account: user,
            password,
            settings: { imap: { host: '127.0.0.1', port: 1 } },
          })
        ).id,
      );
    }
    ui = await startUi(session);
    win = await openWindow(ui.url);
  });
  after(async function () {
    this.timeout(30_000);
    await win?.browser.close();
    client?.close();
    await ui?.stop();
    await service?.stop();
    await session?.stop();
  });

  it('exports to a download that age -d reads, passwords included when asked; differing passphrases export nothing', async () => {
    const { page } = win;
    await page.getByRole('link', { name: 'Export or import accounts' }).click();
    await page.getByRole('heading', { name: 'Export and import', level: 2 }).waitFor();
    await settled(page);
    await page.getByLabel('Passphrase', { exact: true }).fill(pass);
    await page.getByLabel('Passphrase again').fill(`${pass}x`);
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'The two passphrases differ.' }).waitFor();
    await page.getByLabel('Passphrase again').fill(pass);
    await page.getByLabel('Include passwords and sign-ins').check();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export', exact: true }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^accounts-\d{4}-\d{2}-\d{2}\.age$/);
    saved = join(session.dir, download.suggestedFilename());
    await download.saveAs(saved);
    await page
      .getByRole('status')
      .filter({ hasText: /Exported 2 accounts with their passwords/ })
      .waitFor();
    const out = join(session.dir, 'window.json');
    const r = await run(
      '/usr/bin/python3',
      [AGE_PTY, pass, 'age', '-d', '-o', out, saved],
      session.env,
      undefined,
      60_000,
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(
      doc.accounts.map((x: { id: string }) => x.id),
      [...ids].sort(),
    );
    assert.deepEqual(
      doc.accounts.map((x: { secrets: { password: string } }) => x.secrets.password).sort(),
      [passwords.a, passwords.b].sort(),
    );
  });

  it('imports the file: a wrong passphrase is said and changes nothing; then both accounts come back; again, both are left alone', async () => {
    for (const id of ids) await client.removeAccount(id);
    const { page } = win;
    await page.getByLabel('File to import').setInputFiles(saved);
    await page.getByLabel('Its passphrase').fill('not the passphrase');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'The passphrase is not the one the file was encrypted with.' })
      .waitFor();
    assert.deepEqual(await client.listAccounts(), []);
    await page.getByLabel('Its passphrase').fill(pass);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Imported 2 accounts.' }).waitFor();
    assert.equal(await page.getByRole('list', { name: 'Imported' }).getByRole('link').count(), 2);
    assert.equal(await client.getSecret(ids[0]!, 'password'), passwords.a);
    assert.equal(await client.getSecret(ids[1]!, 'password'), passwords.b);
    await page.getByLabel('Its passphrase').fill(pass);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'No account was imported.' }).waitFor();
    assert.equal(
      await page.getByRole('list', { name: 'Skipped' }).getByText('is here already and was left as it is.').count(),
      2,
    );
  });
});
