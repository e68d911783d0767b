/**
 * The window's export and import (#/transfer) in Chromium: the file the page saves is one
 * Debian's age reads (on a pseudo-terminal), and the page imports it back, reporting what it
 * added, what it left alone, and a wrong passphrase.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../harness/process.js';
import { ROOT } from '../harness/session.js';
import { settled } from './helpers.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

const AGE_PTY = join(ROOT, 'test/harness/age_pty.py');

describe('window: export and import', function () {
  this.timeout(60_000);
  const pass = `window pass ${testSecret()}`;
  const passwords = { a: testSecret(), b: testSecret() };
  const ids: string[] = [];
  let saved = '';

  const fx = useFixture({
    service: { args: ['--no-background-check'], env: { PX_ACCOUNTS_SCRYPT_WORK_FACTOR: '12' } },
    seed: async (fx) => {
      for (const [user, password] of [
        [uniqueUser('wa'), passwords.a],
        [uniqueUser('wb'), passwords.b],
      ] as const) {
        const added = await fx.accounts.addAccount({
          provider: 'imap',
          account: user,
          password,
          settings: { imap: { host: '127.0.0.1', port: 1 } },
        });
        ids.push(added.id);
      }
    },
    window: true,
  });

  it('exports to a download that age -d reads, passwords included when asked; differing passphrases export nothing', async () => {
    const { page } = fx.win;
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
    saved = join(fx.session.dir, download.suggestedFilename());
    await download.saveAs(saved);
    await page
      .getByRole('status')
      .filter({ hasText: /Exported 2 accounts with their passwords/ })
      .waitFor();
    const out = join(fx.session.dir, 'window.json');
    const r = await run(
      '/usr/bin/python3',
      [AGE_PTY, pass, 'age', '-d', '-o', out, saved],
      fx.session.env,
      undefined,
      60_000,
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as {
      accounts: Array<{ id: string; secrets: { password: string } }>;
    };
    assert.deepEqual(
      doc.accounts.map((x) => x.id),
      [...ids].sort(),
    );
    assert.deepEqual(doc.accounts.map((x) => x.secrets.password).sort(), [passwords.a, passwords.b].sort());
  });

  it('imports the file: a wrong passphrase is said and changes nothing; then both accounts come back; again, both are left alone', async () => {
    for (const id of ids) await fx.accounts.removeAccount(id);
    const { page } = fx.win;
    await page.getByLabel('File to import').setInputFiles(saved);
    await page.getByLabel('Its passphrase').fill('not the passphrase');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'The passphrase is not the one the file was encrypted with.' })
      .waitFor();
    assert.deepEqual(await fx.accounts.listAccounts(), []);
    await page.getByLabel('Its passphrase').fill(pass);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Imported 2 accounts.' }).waitFor();
    assert.equal(await page.getByRole('list', { name: 'Imported' }).getByRole('link').count(), 2);
    assert.equal(await fx.accounts.getSecret(ids[0]!, 'password'), passwords.a);
    assert.equal(await fx.accounts.getSecret(ids[1]!, 'password'), passwords.b);
    await page.getByLabel('Its passphrase').fill(pass);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'No account was imported.' }).waitFor();
    assert.equal(
      await page.getByRole('list', { name: 'Skipped' }).getByText('is here already and was left as it is.').count(),
      2,
    );
  });
});
