/**
 * Export and import against what a red team tried (docs/export.md, "Who may export secrets"):
 * Export with secrets while host apps must ask hands out nothing without a grant for every
 * account, and announces each secret it hands out; an import file's ids that are not account
 * ids reach neither the reply, the log nor the terminal as they are.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAccountsClientError } from '../../src/client/index.js';
import { MANAGER, ROOT, b, s, type V } from '../harness/client.js';
import { useFixture } from '../harness/fixture.js';
import { waitFor } from '../harness/session.js';
import { cli, CODE } from '../cli/helpers.js';

/** The message of the AccessDenied a call rejects with. */
async function denied(call: Promise<unknown>): Promise<string> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(
    isAccountsClientError(err, 'AccessDenied') && err.dbusName === 'org.pantherx.Accounts.Error.AccessDenied',
    String(err),
  );
  return err.message;
}
const ESC = '\u001b';
const passphrase = () => `pass ${Math.random().toString(36).slice(2)} ${Date.now().toString(36)}`;
const secretValue = () => `s3cret-${Math.random().toString(36).slice(2)}`;

describe('export and import, as a red team tried them (HostApps ask; crafted ids)', function () {
  this.timeout(60_000);

  const fx = useFixture({
    service: { args: ['--no-background-check'], env: { PX_ACCOUNTS_SCRYPT_WORK_FACTOR: '10' } },
  });

  it('Export with secrets under HostApps ask: refused (nothing handed out) until the caller holds a grant for every account; then each secret is announced with SecretAccessed and logged with the app and pid', async () => {
    const add = (user: string, secrets: Record<string, string>) =>
      fx.client
        .addAccount('imap', user, secrets, { 'imap.host': s('127.0.0.1'), verify: b(false) })
        .then((p) => p.split('/').pop()!);
    const one = await add(`one-${process.pid}@example.org`, { password: secretValue() });
    const two = await add(`two-${process.pid}@example.org`, {
      password: secretValue(),
      'imap.password': secretValue(),
    });
    await fx.client.call(ROOT, MANAGER, 'SetHostApps', 's', ['ask']);
    try {
      const pass = passphrase();
      const from = fx.client.signals.length;
      const refused = await denied(fx.accounts.exportAccounts(pass, { secrets: true }));
      assert.match(refused, new RegExp(`has no grant for account ${one} \\(Export with secrets\\)`));
      // without secrets nothing is handed out, and nothing is asked
      assert.equal((await fx.accounts.exportAccounts(pass)).accounts, 2);
      // this process is the app: it asks, and the person grants one account only
      assert.equal((await fx.client.call(ROOT, MANAGER, 'RequestAccess', 's', [one]))[0], 'pending');
      const app = ((await fx.client.call(ROOT, MANAGER, 'ListAccess', '', []))[0] as Array<Record<string, V>>).find(
        (e) => e.account!.value === one && e.decision!.value === 'pending',
      )!.app!.value as string;
      await fx.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [one, app]);
      const half = await denied(fx.accounts.exportAccounts(pass, { secrets: true }));
      assert.match(half, new RegExp(`has no grant for account ${two} `));
      assert.deepEqual(
        fx.client.signals.slice(from).filter((x) => x.member === 'SecretAccessed'),
        [],
        'a refused export handed out nothing',
      );
      await fx.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [two, app]);
      const mark = fx.client.signals.length;
      assert.equal((await fx.accounts.exportAccounts(pass, { secrets: true })).accounts, 2);
      const want = [
        [one, 'password', app],
        [two, 'imap.password', app],
        [two, 'password', app],
      ];
      await waitFor(
        'a SecretAccessed per secret',
        () => fx.client.signals.slice(mark).filter((x) => x.member === 'SecretAccessed').length >= want.length,
        5000,
      );
      const seen = fx.client.signals
        .slice(mark)
        .filter((x) => x.member === 'SecretAccessed')
        .map((x) => x.body)
        .sort((x, y) => `${String(x[0])}${String(x[1])}`.localeCompare(`${String(y[0])}${String(y[1])}`));
      assert.deepEqual(seen, want);
      assert.ok(
        fx.service.log().includes(`exported 2 accounts with their secrets to ${app} (pid ${process.pid})`),
        fx.service.log(),
      );
      assert.ok(
        fx.service.log().includes(`secret 'imap.password' of account ${two} handed to ${app} (pid ${process.pid})`),
      );
    } finally {
      await fx.client.call(ROOT, MANAGER, 'SetHostApps', 's', ['allow']);
    }
  });

  it('an import file whose ids are not account ids (escape sequences): the reply and the log say #N, px-accounts import prints no control character', async () => {
    const { Encrypter } = await import('age-encryption');
    const evil = `${ESC}]0;pwned-title\u0007${ESC}[2J${ESC}[31mFAKE: all accounts imported OK${ESC}[0m`;
    const doc = {
      format: 'px-accounts-export',
      version: 1,
      exported: 'x',
      secrets: false,
      accounts: [
        { id: evil, ini: 'not ini at all' },
        { id: 'x', ini: `[account]\nprovider = fastmail\nusername = ${ESC}[41mred@fastmail.com\nprotocols = imap\n` },
        {
          id: `line\nbreak_${process.pid}`,
          ini: `[account]\nprovider = imap\nusername = nl-${process.pid}@example.org\nprotocols = imap\n[imap]\nhost = 127.0.0.1\n`,
        },
      ],
    };
    const pass = passphrase();
    const e = new Encrypter();
    e.setPassphrase(pass);
    e.setScryptWorkFactor(10);
    const file = await e.encrypt(JSON.stringify(doc));
    const logFrom = fx.service.log().length;
    const r = await fx.accounts.importAccounts(file, pass);
    assert.deepEqual(
      r.skipped.map((x) => [x.id, x.reason]),
      [
        ['#1', 'Invalid'],
        ['x', 'Invalid'],
      ],
    );
    // the third is added under an id of the service's own, the file's not being one
    assert.deepEqual(r.imported, [`imap_nl_${process.pid}_at_example_org`]);
    const log = fx.service.log().slice(logFrom);
    assert.ok(!log.includes(ESC) && !log.includes('pwned'), JSON.stringify(log));
    assert.match(log, /import: 1 accounts added, 2 skipped \(#1: Invalid, x: Invalid\)/);

    const work = join(fx.session.dir, 'crafted');
    mkdirSync(work);
    writeFileSync(join(work, 'crafted.age'), file);
    writeFileSync(join(work, 'pass.txt'), `${pass}\n`);
    const out = await cli({ ...fx.session.env, PATH: process.env.PATH }, [
      'import',
      join(work, 'crafted.age'),
      '--passphrase-file',
      join(work, 'pass.txt'),
    ]);
    assert.equal(out.code, CODE.INVALID, out.stderr);

    assert.doesNotMatch(
      out.stdout + out.stderr,
      // eslint-disable-next-line no-control-regex -- control characters are what this test looks for
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/,
      JSON.stringify(out.stdout),
    );
    assert.match(out.stdout, /^Skipped #1 \(Invalid\): /m);
    assert.match(out.stdout, /^Skipped #3 \(Duplicate\): /m);
  });
});
