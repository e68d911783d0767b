/**
 * The administrator's /etc/px-accounts (docs/policy.md), for real: the suite runs in a network
 * and mount namespace of its own whose /etc is a private overlay (netns.ts), so the service
 * reads its real, fixed paths while the tests write policy.ini and provisioned accounts there.
 * The discovery world (dnsmasq, HTTPS autoconfig, Dovecot) serves discovery and the check of a
 * provisioned account. One service runs through the suite, started with no /etc/px-accounts at
 * all; the tests run in order, each leaving the policy as the next expects it.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { cli, errorLine } from '../cli/helpers.js';
import { ACCOUNT, as, b, errorOf, MANAGER, PROPS, q, ROOT, s, type V } from '../harness/client.js';
import { waitFor } from '../harness/session.js';
import { nsTest as test } from '../discovery/fixture.js';
import { useFixture } from '../harness/fixture.js';
import { openWindow, startUi } from '../harness/window.js';
import { settled } from '../ui/helpers.js';
import { INSIDE, runInside } from '../discovery/netns.js';
import { configXml, MAIL, startWorld, WEB, type World, type Zone } from '../discovery/world.js';

const ADMIN = '/etc/px-accounts';
const POLICY = `${ADMIN}/policy.ini`;
const DENIED = 'org.pantherx.Accounts.Error.AccessDenied';
const LOGIN = userInfo().username;
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}`;
const xml = (d: string) => ({
  body: configXml(
    [d],
    [
      { type: 'imap', host: `imap.${d}`, port: 993, socket: 'SSL' },
      { type: 'smtp', host: `smtp.${d}`, port: 465, socket: 'SSL' },
    ],
  ),
});
const ZONE: Zone = {
  hosts: { 'autoconfig.ok.test': WEB, 'imap.ok.test': MAIL, 'smtp.ok.test': MAIL },
  srv: [],
  mx: {},
  txt: {},
  web: { 'https://autoconfig.ok.test/mail/config-v1.1.xml': xml('ok.test') },
};
/** Dovecot's users: one found by discovery, and the login name of whoever runs the service (%u). */
const USERS = { 'alice@ok.test': PASSWORD, [`${LOGIN}@ok.test`]: PASSWORD };

/** A provisioned account as an administrator writes it: %u for the login name. */
const WORK = `; provisioned by the administrator
[account]
name = Work mail of %u
provider = imap
username = %u@ok.test
protocols = imap

[imap]
host = imap.ok.test
port = 993
security = tls
`;

/** Written as editors and configuration tools do: a new file renamed over the old one. */
async function writeAdmin(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.new`, text);
  await rename(`${path}.new`, path);
}

describe('administrator policy and provisioned accounts (own mount namespace: /etc/px-accounts; Dovecot)', function () {
  let world: World;
  if (!INSIDE)
    before(async function () {
      this.timeout(6 * 60_000);
      await runInside(import.meta.filename, 5 * 60_000, { privateEtc: true });
    });
  const fx = useFixture({
    active: INSIDE,
    start: async (fx) => {
      assert.equal(existsSync(ADMIN), false, `${ADMIN} must not exist when the suite starts`);
      fx.onStop(() => rm(ADMIN, { recursive: true, force: true }));
      world = fx.own(await startWorld(ZONE, USERS));
    },
    service: { env: () => ({ NODE_EXTRA_CA_CERTS: world.ca }) },
  });

  const policyLines = () =>
    fx.service
      .log()
      .split('\n')
      .filter((l) => l.includes(`policy ${POLICY}:`)).length;
  /** Writes (or, with null, removes) policy.ini and waits for the service to say it read a different policy. */
  async function setPolicy(text: string | null): Promise<void> {
    const seen = policyLines();
    if (text === null) await rm(POLICY);
    else await writeAdmin(POLICY, text);
    await waitFor('the service to read policy.ini', () => policyLines() > seen, 5000);
  }
  const account = (path: string) => fx.client.getAll(path, ACCOUNT);
  const exists = async (path: string) => path in (await fx.client.managedObjects());
  /** Waits for PropertiesChanged of one Account property, from signal number `from` on. */
  const changed = (path: string, prop: string, from: number) =>
    fx.client.waitSignal(
      (x) =>
        x.path === path &&
        x.member === 'PropertiesChanged' &&
        x.body[0] === ACCOUNT &&
        prop in (x.body[1] as Record<string, V>),
      5000,
      from,
    );
  const addFtp = (user: string) =>
    fx.client.addAccount('ftp', user, { password: PASSWORD }, { 'ftp.host': s('127.0.0.1') });

  test('no /etc/px-accounts: anything may be added; policy.ini created later (its directory too) applies at once, an account it denies is marked, never deleted', async () => {
    const ftp = await addFtp('early@example.org');
    assert.equal((await account(ftp)).PolicyViolation, '');
    const from = fx.client.signals.length;
    await setPolicy('[protocols]\ndeny = ftp, pop3    ; no plain-text file transfer, no POP\n');
    const signal = await changed(ftp, 'PolicyViolation', from);
    const rule = 'protocol ftp is denied by /etc/px-accounts/policy.ini [protocols] deny';
    assert.equal((signal.body[1] as Record<string, V>).PolicyViolation!.value, rule);
    assert.ok(await exists(ftp), 'the account is still there');
    assert.ok(existsSync(join(fx.session.accountsDir, 'ftp_early_at_example_org.ini')), 'its file is still there');
    const refused = await errorOf(addFtp('late@example.org'));
    assert.deepEqual(refused, { type: DENIED, text: `policy: ${rule}` });
    // what the account breaks already is not held against other changes
    await fx.client.call(ftp, PROPS, 'Set', 'ssv', [ACCOUNT, 'Name', s('Old FTP')]);
    assert.equal((await account(ftp)).Name, 'Old FTP');
  });

  test('Update may not enable a denied protocol (nothing changes); other changes go through', async () => {
    const path = await fx.client.addAccount(
      'fastmail',
      `upd-${process.pid}`,
      { password: PASSWORD },
      { protocols: as(['imap', 'smtp']) },
    );
    const refused = await errorOf(
      fx.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ protocols: as(['imap', 'smtp', 'pop3']) }]),
    );
    assert.deepEqual(refused, {
      type: DENIED,
      text: 'policy: protocol pop3 is denied by /etc/px-accounts/policy.ini [protocols] deny',
    });
    assert.deepEqual((await account(path)).Protocols, ['imap', 'smtp']);
    await fx.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ protocols: as(['imap']), name: s('Mail') }]);
    assert.deepEqual([(await account(path)).Protocols, (await account(path)).Name], [['imap'], 'Mail']);
  });

  test('[providers] deny and allow: AddAccount and SignIn refused at once naming the rule, ListProviders says which', async () => {
    await setPolicy('[providers]\ndeny = gandi, google\n');
    const gandi = await errorOf(
      fx.client.addAccount('gandi', `g-${process.pid}@example.org`, { password: PASSWORD }, { verify: b(true) }),
    );
    assert.deepEqual(gandi, {
      type: DENIED,
      text: 'policy: provider gandi is denied by /etc/px-accounts/policy.ini [providers] deny',
    });
    const signIn = await errorOf(
      fx.client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['google', { account: s('someone@gmail.com') }]),
    );
    assert.deepEqual(signIn, {
      type: DENIED,
      text: 'policy: provider google is denied by /etc/px-accounts/policy.ini [providers] deny',
    });
    const denied = async () => {
      const [list] = await fx.client.call(ROOT, MANAGER, 'ListProviders');
      return Object.fromEntries(
        (list as Array<Record<string, V>>).map((p) => [p.id!.value as string, p.denied!.value as string]),
      );
    };
    const first = await denied();
    assert.equal(first.gandi, 'policy: provider gandi is denied by /etc/px-accounts/policy.ini [providers] deny');
    assert.equal(first.fastmail, '');
    // now only fastmail: the others are refused (set-up by hand is [manual]'s business)
    await setPolicy('[providers]\nallow = fastmail\n');
    const yahoo = await errorOf(fx.client.addAccount('yahoo', `y-${process.pid}`, { password: PASSWORD }));
    assert.deepEqual(yahoo, {
      type: DENIED,
      text: 'policy: provider yahoo is not in /etc/px-accounts/policy.ini [providers] allow',
    });
    const second = await denied();
    assert.deepEqual(
      [second.fastmail, second.gandi],
      ['', 'policy: provider gandi is not in /etc/px-accounts/policy.ini [providers] allow'],
    );
    await fx.client.addAccount(
      'fastmail',
      `allowed-${process.pid}`,
      { password: PASSWORD },
      { protocols: as(['imap']) },
    );
  });

  test('[manual] allowed = false: set-up by hand refused; the catalogue and discovery still add (checked against Dovecot)', async () => {
    await setPolicy('[manual]\nallowed = false\n[protocols]\nallow = imap, smtp\n');
    const manual = await errorOf(
      fx.client.addAccount(
        'imap',
        `m-${process.pid}@example.org`,
        { password: PASSWORD },
        { 'imap.host': s('127.0.0.1') },
      ),
    );
    assert.deepEqual(manual, {
      type: DENIED,
      text: 'policy: manual set-up is not allowed by /etc/px-accounts/policy.ini [manual] allowed = false',
    });
    const ftp = await errorOf(
      fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'fastmail',
        `cal-${process.pid}`,
        { password: PASSWORD },
        { protocols: as(['imap', 'caldav']) },
      ]),
    );
    assert.deepEqual(ftp, {
      type: DENIED,
      text: 'policy: protocol caldav is not in /etc/px-accounts/policy.ini [protocols] allow',
    });
    await fx.client.addAccount(
      'fastmail',
      `cat-${process.pid}`,
      { password: PASSWORD },
      { protocols: as(['imap', 'smtp']) },
    );
    const found = await fx.client.addAccount('', 'alice@ok.test', { password: PASSWORD }, { protocols: as(['imap']) });
    const a = await account(found);
    assert.deepEqual(
      [a.Provider, a.DiscoverySource, a.Status, a.PolicyViolation],
      ['imap', 'autoconfig', 'online', ''],
    );
  });

  test('a policy.ini that cannot be used refuses every add until fixed; removing the file lifts every rule live', async () => {
    const [ftp] = Object.keys(await fx.client.managedObjects()).filter((p) => p.endsWith('/ftp_early_at_example_org'));
    await setPolicy('[protocol]\ndeny = ftp\n'); // a typo: [protocol]
    assert.match(
      fx.service.log(),
      /<3>policy \/etc\/px-accounts\/policy\.ini: unusable \(unknown section or key 'protocol'/,
    );
    const refused = await errorOf(fx.client.addAccount('fastmail', `broken-${process.pid}`, { password: PASSWORD }));
    assert.equal(refused.type, DENIED);
    assert.match(
      refused.text,
      /^policy: \/etc\/px-accounts\/policy\.ini cannot be used \(unknown section or key 'protocol' .*\), so no account can be added until the administrator fixes it$/,
    );
    await setPolicy('[protocols]\ndeny = ftp\n');
    assert.notEqual((await account(ftp!)).PolicyViolation, '');
    const from = fx.client.signals.length;
    await setPolicy(null);
    await changed(ftp!, 'PolicyViolation', from);
    assert.equal((await account(ftp!)).PolicyViolation, '');
    await addFtp(`again-${process.pid}@example.org`);
  });

  const WORK_PATH = '/org/pantherx/Accounts/account/provisioned_work';

  test('a provisioned account (%u: the login name) appears Locked: Update, Remove and renaming are AccessDenied, SetSecret is not, and its check passes', async () => {
    const from = fx.client.signals.length;
    await writeAdmin(`${ADMIN}/accounts/work.ini`, WORK);
    await fx.client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === WORK_PATH, 5000, from);
    const a = await account(WORK_PATH);
    assert.deepEqual(
      [a.Id, a.Name, a.Username, a.Locked, a.PolicyViolation],
      ['provisioned_work', `Work mail of ${LOGIN}`, `${LOGIN}@ok.test`, true, ''],
    );
    const why = `account provisioned_work is provisioned by the administrator (${ADMIN}/accounts/work.ini): it cannot be changed, renamed or removed; only its secrets are yours to set`;
    assert.deepEqual(await errorOf(fx.client.call(WORK_PATH, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.port': q(143) }])), {
      type: DENIED,
      text: why,
    });
    assert.deepEqual(await errorOf(fx.client.call(WORK_PATH, ACCOUNT, 'Remove')), { type: DENIED, text: why });
    assert.deepEqual(await errorOf(fx.client.call(WORK_PATH, PROPS, 'Set', 'ssv', [ACCOUNT, 'Name', s('Mine now')])), {
      type: DENIED,
      text: why,
    });
    assert.equal((await account(WORK_PATH)).Name, `Work mail of ${LOGIN}`);
    await fx.client.call(WORK_PATH, ACCOUNT, 'SetSecret', 'ss', ['password', PASSWORD]);
    assert.deepEqual((await account(WORK_PATH)).Credentials, ['password']);
    const [results] = await fx.client.call(WORK_PATH, ACCOUNT, 'Verify');
    const imap = (results as Record<string, V>).imap!.value as Record<string, V>;
    assert.deepEqual([imap.ok!.value, imap.code!.value], [true, 'Ok'], String(imap.message?.value));
    assert.equal((await account(WORK_PATH)).Status, 'online');
    // the administrator's file is untouched; the person's side names the secret, never its value
    assert.equal(readFileSync(`${ADMIN}/accounts/work.ini`, 'utf8'), WORK);
    const personal = readFileSync(join(fx.session.accountsDir, '.provisioned.json'), 'utf8');
    assert.deepEqual(JSON.parse(personal), { provisioned_work: ['password'] });
    assert.ok(!personal.includes(PASSWORD));
    // the manual-set-up rule is not the provisioned account's: it is the administrator's own
    await setPolicy('[manual]\nallowed = false\n');
    assert.equal((await account(WORK_PATH)).PolicyViolation, '');
  });

  test("px-accounts shows a locked account as such and refuses edits with the service's message", async () => {
    const show = await cli(fx.session.env, ['show', 'provisioned_work']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^Locked: +provisioned by the administrator: only its secrets can be changed$/m);
    const list = await cli(fx.session.env, ['list']);
    assert.match(list.stdout, new RegExp(`^provisioned_work +Work mail of ${LOGIN} \\(locked\\) +imap`, 'm'));
    const why = `account provisioned_work is provisioned by the administrator (${ADMIN}/accounts/work.ini): it cannot be changed, renamed or removed; only its secrets are yours to set`;
    for (const args of [
      ['edit', 'provisioned_work', '--name', 'Mine'],
      ['remove', 'provisioned_work'],
    ]) {
      const r = await cli(fx.session.env, args);
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.equal(errorLine(r), `px-accounts: ${why}`);
    }
    const json = JSON.parse((await cli(fx.session.env, ['show', 'provisioned_work', '--json'])).stdout) as {
      locked: boolean;
      policyViolation: string;
    };
    assert.deepEqual([json.locked, json.policyViolation], [true, '']);
  });

  test('the window shows a locked account as such: no Remove, Edit offers only its password (checked against Dovecot, then stored); an account outside the policy says why; Add lists a denied provider with the reason, not as a choice', async function () {
    this.timeout(60_000);
    await setPolicy('[manual]\nallowed = false\n[providers]\ndeny = gandi\n');
    const ui = await startUi(fx.session);
    const w = await openWindow(ui.url);
    try {
      const page = w.page;
      await page.goto(new URL('/#/account/provisioned_work', page.url()).href);
      await page
        .getByText('provisioned by the administrator: only its secrets can be changed')
        .waitFor({ timeout: 15_000 });
      await settled(page);
      assert.equal(
        await page.getByRole('button', { name: 'Remove account' }).count(),
        0,
        'no Remove for a locked account',
      );
      await page.getByRole('button', { name: 'Edit' }).click();
      const form = page.locator('form.account-form');
      await form.getByLabel('New password (leave empty to keep the current one)').fill(PASSWORD);
      assert.equal(await form.getByLabel('Display name').count(), 0, 'no name to change');
      const updates = fx.service.log().split('\n').length;
      await form.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor({ timeout: 30_000 });
      assert.ok(
        !fx.service
          .log()
          .split('\n')
          .slice(updates)
          .some((l) => /AccessDenied|cannot be changed/.test(l)),
      );
      assert.equal((await account(WORK_PATH)).Name, `Work mail of ${LOGIN}`);
      // the policy in force is [manual] allowed = false: the FTP account set up by hand says so
      await page.goto(new URL('/#/account/ftp_early_at_example_org', page.url()).href);
      await page
        .getByText(
          "outside the administrator's policy: manual set-up is not allowed by /etc/px-accounts/policy.ini [manual] allowed = false",
        )
        .waitFor({ timeout: 15_000 });
      assert.equal(
        await page.getByRole('button', { name: 'Remove account' }).count(),
        1,
        "an account of the person's own can be removed",
      );
      // Add: a provider the policy refuses is listed with the reason, not offered
      await page.goto(new URL('/#/add', page.url()).href);
      const providers = page.getByRole('list', { name: 'Providers' });
      await providers
        .getByText('policy: provider gandi is denied by /etc/px-accounts/policy.ini [providers] deny')
        .waitFor({ timeout: 15_000 });
      assert.equal(await providers.getByRole('link', { name: /Gandi/ }).count(), 0);
      assert.equal(await providers.getByRole('link', { name: /FastMail/ }).count(), 1);
    } finally {
      await w.browser.close();
      await ui.stop();
    }
  });

  test('the provisioned file changing, going and coming back is followed live; its secret names are kept', async () => {
    let from = fx.client.signals.length;
    await writeAdmin(`${ADMIN}/accounts/work.ini`, WORK.replace('Work mail of %u', 'Office mail'));
    await changed(WORK_PATH, 'Name', from);
    assert.equal((await account(WORK_PATH)).Name, 'Office mail');
    from = fx.client.signals.length;
    await rm(`${ADMIN}/accounts/work.ini`);
    await fx.client.waitSignal((x) => x.member === 'InterfacesRemoved' && x.body[0] === WORK_PATH, 5000, from);
    from = fx.client.signals.length;
    await writeAdmin(`${ADMIN}/accounts/work.ini`, WORK);
    await fx.client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === WORK_PATH, 5000, from);
    const [secret] = await fx.client.call(WORK_PATH, ACCOUNT, 'GetSecret', 's', ['password']);
    assert.equal(secret, PASSWORD);
  });

  test("MuteError, UnmuteError and SetData on the locked account are kept: the person's side, in .provisioned.json, through a change of the administrator's file (red team: they were lost)", async () => {
    await fx.client.call(WORK_PATH, ACCOUNT, 'MuteError', 's', ['ConnectionFailed']);
    await fx.client.call(WORK_PATH, ACCOUNT, 'MuteError', 's', ['Unauthorized']);
    await fx.client.call(WORK_PATH, ACCOUNT, 'UnmuteError', 's', ['Unauthorized']);
    await fx.client.call(WORK_PATH, ACCOUNT, 'SetData', 'ss', ['folder', 'INBOX/Work']);
    const kept = (a: Record<string, unknown>) => [a.MutedErrors, Object.values(a.Data as object)];
    assert.deepEqual(kept(await account(WORK_PATH)), [['ConnectionFailed'], ['INBOX/Work']]);
    const personal = JSON.parse(readFileSync(join(fx.session.accountsDir, '.provisioned.json'), 'utf8')) as Record<
      string,
      { credentials: string[]; muted: string[]; data: object }
    >;
    assert.deepEqual(
      [
        personal.provisioned_work!.credentials,
        personal.provisioned_work!.muted,
        Object.values(personal.provisioned_work!.data),
      ],
      [['password'], ['ConnectionFailed'], ['INBOX/Work']],
    );
    // the administrator's file changes: read again, the person's side stays
    const from = fx.client.signals.length;
    await writeAdmin(`${ADMIN}/accounts/work.ini`, WORK.replace('Work mail of %u', 'Office mail'));
    await changed(WORK_PATH, 'Name', from);
    assert.deepEqual(kept(await account(WORK_PATH)), [['ConnectionFailed'], ['INBOX/Work']]);
    const back = fx.client.signals.length;
    await writeAdmin(`${ADMIN}/accounts/work.ini`, WORK);
    await changed(WORK_PATH, 'Name', back);
  });

  test('after a restart: the policy is read at start, the provisioned account is there with its secret, the marked account still marked', async function () {
    this.timeout(30_000);
    await setPolicy('[protocols]\ndeny = ftp\n');
    await fx.restartService();
    const ftp = '/org/pantherx/Accounts/account/ftp_early_at_example_org';
    assert.equal(
      (await account(ftp)).PolicyViolation,
      'protocol ftp is denied by /etc/px-accounts/policy.ini [protocols] deny',
    );
    const a = await account(WORK_PATH);
    assert.deepEqual([a.Locked, a.Credentials], [true, ['password']]);
    assert.deepEqual(
      [a.MutedErrors, Object.values(a.Data as object)],
      [['ConnectionFailed'], ['INBOX/Work']],
      'mutes and notes kept across a restart',
    );
    // the orphan sweep after start-up leaves the person's secret of a provisioned account alone
    await waitFor('the orphan sweep', () => /orphaned secrets checked/.test(fx.service.log()), 10_000);
    const [secret] = await fx.client.call(WORK_PATH, ACCOUNT, 'GetSecret', 's', ['password']);
    assert.equal(secret, PASSWORD);
  });
});
