/**
 * The administrator's policy against what a red team tried (docs/policy.md): a catalogue
 * provider pointed at other servers is manual set-up (on add, on update, and flagged when it is
 * there already), and an imported account set up by hand stays manual whatever its file says
 * about discovery. The suite runs in a mount namespace of its own with a private /etc (netns.ts),
 * so the service reads the real /etc/px-accounts/policy.ini.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AccountsClient } from '../../src/client/index.js';
import { ACCOUNT, as, b, errorOf, q, s } from '../harness/client.js';
import { waitFor } from '../harness/session.js';
import { nsTest as test } from '../discovery/fixture.js';
import { useFixture } from '../harness/fixture.js';
import { INSIDE, runInside } from '../discovery/netns.js';

const ADMIN = '/etc/px-accounts';
const POLICY = `${ADMIN}/policy.ini`;
const DENIED = 'org.pantherx.Accounts.Error.AccessDenied';
const MANUAL_RULE = `${POLICY} [manual] allowed = false`;

describe('administrator policy: servers of catalogue providers, imported accounts (own mount namespace: /etc/px-accounts)', function () {
  if (!INSIDE)
    before(async function () {
      this.timeout(4 * 60_000);
      await runInside(import.meta.filename, 3 * 60_000, { privateEtc: true });
    });
  const fx = useFixture({
    active: INSIDE,
    start: (fx) => {
      assert.equal(existsSync(ADMIN), false, `${ADMIN} must not exist when the suite starts`);
      fx.onStop(() => rm(ADMIN, { recursive: true, force: true }));
    },
    service: { args: ['--no-background-check'], env: { PX_ACCOUNTS_SCRYPT_WORK_FACTOR: '10' } },
  });

  /** Writes policy.ini as configuration tools do (renamed over) and waits for the service to read it. */
  async function setPolicy(text: string): Promise<void> {
    const lines = () =>
      fx.service
        .log()
        .split('\n')
        .filter((l) => l.includes(`policy ${POLICY}:`)).length;
    const seen = lines();
    await mkdir(ADMIN, { recursive: true });
    await writeFile(`${POLICY}.new`, text);
    await rename(`${POLICY}.new`, POLICY);
    await waitFor('the service to read policy.ini', () => lines() > seen, 5000);
  }
  const violation = (path: string) => fx.client.get(path, ACCOUNT, 'PolicyViolation');

  test('a catalogue provider pointed at other servers is manual set-up: AddAccount and Update refused under [manual] allowed = false, an account already so is flagged; its own servers still go through', async () => {
    // before the policy: one fastmail account pointed elsewhere, one left as the catalogue has it
    const early = await fx.client.addAccount(
      'fastmail',
      `early-${process.pid}@fastmail.com`,
      { password: 'p' },
      { 'imap.host': s('mail.attacker.example'), verify: b(false) },
    );
    const plain = await fx.client.addAccount(
      'fastmail',
      `plain-${process.pid}@fastmail.com`,
      { password: 'p' },
      { verify: b(false) },
    );
    await setPolicy('[providers]\nallow = fastmail\n[manual]\nallowed = false\n');
    assert.equal(
      await violation(early),
      `servers other than provider fastmail's (imap.host) are manual set-up, which is not allowed by ${MANUAL_RULE}`,
    );
    assert.equal(await violation(plain), '');

    const added = await errorOf(
      fx.client.addAccount(
        'fastmail',
        `me-${process.pid}@fastmail.com`,
        { password: 'p' },
        {
          'imap.host': s('attacker.example'),
          'imap.port': q(143),
          'imap.security': s('starttls'),
          'smtp.host': s('attacker.example'),
          verify: b(false),
        },
      ),
    );
    assert.deepEqual(added, {
      type: DENIED,
      text: `policy: servers other than provider fastmail's (imap.host, smtp.host) are manual set-up, which is not allowed by ${MANUAL_RULE}`,
    });
    assert.ok(!existsSync(join(fx.session.accountsDir, `fastmail_me_${process.pid}_at_fastmail_com.ini`)));
    const dav = await errorOf(
      fx.client.addAccount(
        'fastmail',
        `dav-${process.pid}@fastmail.com`,
        { password: 'p' },
        { protocols: as(['caldav']), 'caldav.url': s('https://dav.attacker.example/caldav/'), verify: b(false) },
      ),
    );
    assert.equal(dav.type, DENIED);
    assert.match(dav.text, /\(caldav\.url\) are manual set-up/);

    const file = readFileSync(join(fx.session.accountsDir, `${plain.split('/').pop()}.ini`), 'utf8');
    const updated = await errorOf(
      fx.client.call(plain, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.host': s('attacker.example') }]),
    );
    assert.deepEqual(updated, {
      type: DENIED,
      text: `policy: servers other than provider fastmail's (imap.host) are manual set-up, which is not allowed by ${MANUAL_RULE}`,
    });
    assert.equal(
      readFileSync(join(fx.session.accountsDir, `${plain.split('/').pop()}.ini`), 'utf8'),
      file,
      'nothing written',
    );
    assert.equal(await violation(plain), '');
    // the catalogue's own servers, another port or a DAV path below its server: still the provider's
    await fx.client.call(plain, ACCOUNT, 'Update', 'a{sv}', [
      {
        'imap.host': s('IMAP.fastmail.com'),
        'imap.port': q(143),
        'imap.security': s('starttls'),
        'caldav.url': s('https://caldav.fastmail.com/dav/calendars/user/x/'),
      },
    ]);
    assert.equal(await violation(plain), '');
    // manual set-up allowed again: the same change goes through, and is no longer flagged
    await setPolicy('[providers]\nallow = fastmail\n');
    await fx.client.call(plain, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.host': s('attacker.example') }]);
    assert.equal(await violation(plain), '');
    assert.equal(await violation(early), '');
  });

  test('[manual] allowed = false: an imported account set up by hand is refused even when its file says source = autoconfig; the source line is not kept', async () => {
    await setPolicy('[manual]\nallowed = false\n[providers]\nallow = fastmail\n');
    const { Encrypter } = await import('age-encryption');
    const ini = (user: string, extra: string) =>
      `[account]\nprovider = imap\nusername = ${user}\nprotocols = imap\n${extra}[imap]\nhost = mail.attacker.example\nport = 993\nsecurity = tls\n`;
    const doc = {
      format: 'px-accounts-export',
      version: 1,
      exported: 'x',
      secrets: true,
      accounts: [
        { id: 'plain_manual', ini: ini(`a-${process.pid}@attacker.example`, ''), secrets: { password: 'p' } },
        {
          id: 'forged_discovered',
          ini: ini(`b-${process.pid}@attacker.example`, 'source = autoconfig\ndomain = attacker.example\n'),
          secrets: { password: 'p' },
        },
        {
          id: 'forged_fastmail',
          ini: `[account]\nprovider = fastmail\nusername = c-${process.pid}@fastmail.com\nprotocols = imap\nsource = ispdb\ndomain = fastmail.com\n[imap]\nhost = imap.attacker.example\nport = 993\nsecurity = tls\n`,
          secrets: { password: 'p' },
        },
      ],
    };
    const e = new Encrypter();
    e.setPassphrase('pw');
    e.setScryptWorkFactor(10);
    const ac = await AccountsClient.connect({ busAddress: fx.session.address });
    try {
      const r = await ac.importAccounts(await e.encrypt(JSON.stringify(doc)), 'pw');
      assert.deepEqual(r.imported, []);
      assert.deepEqual(
        r.skipped.map((x) => [x.id, x.reason, x.message]),
        [
          ['plain_manual', 'AccessDenied', `policy: manual set-up is not allowed by ${MANUAL_RULE}`],
          ['forged_discovered', 'AccessDenied', `policy: manual set-up is not allowed by ${MANUAL_RULE}`],
          [
            'forged_fastmail',
            'AccessDenied',
            `policy: servers other than provider fastmail's (imap.host) are manual set-up, which is not allowed by ${MANUAL_RULE}`,
          ],
        ],
      );
      for (const id of ['forged_discovered', 'forged_fastmail'])
        assert.ok(!existsSync(join(fx.session.accountsDir, `${id}.ini`)), id);
      // allowed again: imported, without the file's claim of discovery
      await setPolicy('[providers]\nallow = fastmail\n');
      const again = await ac.importAccounts(await e.encrypt(JSON.stringify(doc)), 'pw');
      assert.deepEqual(again.imported.sort(), ['forged_discovered', 'forged_fastmail', 'plain_manual']);
      const path = '/org/pantherx/Accounts/account/forged_discovered';
      assert.equal(await fx.client.get(path, ACCOUNT, 'DiscoverySource'), '');
      assert.doesNotMatch(
        readFileSync(join(fx.session.accountsDir, 'forged_discovered.ini'), 'utf8'),
        /^source|^domain/m,
      );
      // and flagged once manual set-up is refused again
      await setPolicy('[manual]\nallowed = false\n');
      assert.equal(await violation(path), `manual set-up is not allowed by ${MANUAL_RULE}`);
    } finally {
      ac.close();
    }
  });
});
