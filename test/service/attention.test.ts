/**
 * Notifications when the service needs the person, against the real Dovecot and a notification
 * server of the test's own: a refused password → exactly one notification with its action
 * "Enter password", whose click opens the window on the account (a recording px-accounts-ui);
 * the next check of the same trouble says nothing, a new one comes only after it was fixed and
 * broke again; none about an account the window shows (a stand-in owning org.pantherx.AccountsUi)
 * or while settings.ini switches them off; a locked keyring told once while secrets are refused.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dbus from 'dbus-next';
import type { Peers } from '../harness/peers.js';
import { peers } from '../verify/fixture.js';
import { ACCOUNT, TestClient, errorOf, q, s } from '../harness/client.js';
import { startNotificationServer, type Notification, type NotificationServer } from '../harness/notifications.js';
import {
  startKeyring,
  startService,
  startSession,
  stopKeyring,
  waitFor,
  type ServiceProcess,
  type Session,
} from '../harness/session.js';
import { uniqueUser } from './fixture.js';

describe('notifications when an account needs the person (the real Dovecot, a notification server of our own)', function () {
  this.timeout(60_000);
  let p: Peers;
  let session: Session;
  let service: ServiceProcess;
  let client: TestClient;
  let notes: NotificationServer;
  let opened: string;

  before(async function () {
    this.timeout(60_000);
    p = await peers();
    session = await startSession('unlocked');
    notes = await startNotificationServer(session.address);
    opened = join(session.dir, 'opened');
    const fakeUi = join(session.dir, 'fake-px-accounts-ui');
    writeFileSync(fakeUi, `#!/bin/sh\necho "$@" >> '${opened}'\n`, { mode: 0o755 });
    service = await startService(session, [], { PX_ACCOUNTS_UI_COMMAND: fakeUi });
    client = await TestClient.connect(session.address);
  });
  after(async function () {
    this.timeout(30_000);
    client?.disconnect();
    notes?.stop();
    await service?.stop();
    await session?.stop();
  });

  const add = (password: string) =>
    client.addAccount(
      'imap',
      uniqueUser('attn'),
      { password },
      {
        'imap.host': s('127.0.0.1'),
        'imap.port': q(p.ports.imap),
        'imap.security': s('none'),
        'imap.username': s(p.user),
      },
    );
  const verify = (path: string) => client.call(path, ACCOUNT, 'Verify');
  const idOf = (path: string) => path.split('/').pop()!;
  const about = (from: number) => notes.received.slice(from).map((n) => n.hints['x-px-accounts-account']);

  it('a refused password: one notification with "Enter password", opening the window on the account; not again for the same trouble, again after fixed and broken', async () => {
    const path = await add(`${p.password}-wrong`);
    const id = idOf(path);
    const before = notes.received.length;
    await verify(path);
    assert.equal(await client.get(path, ACCOUNT, 'AttentionNeeded'), true);
    const [n] = (await notes.waitFor(before + 1)).slice(before) as [Notification];
    assert.match(n.summary, /password was refused/);
    assert.deepEqual(n.actions, ['default', 'Enter password', 'open', 'Enter password']);
    assert.equal(n.hints['x-px-accounts-account'], id);
    assert.ok(!JSON.stringify(n).includes(p.password), 'no secret in a notification');
    notes.invoke(n.id, 'open');
    await waitFor(
      'the window opened on the account',
      () => existsSync(opened) && readFileSync(opened, 'utf8').split('\n').includes(`--account ${id}`),
      5000,
    );

    // The same trouble found again: nothing. Fixed (a new secret, a check that passes), then broken again: one more.
    await verify(path);
    await client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', p.password]);
    await verify(path);
    assert.equal(await client.get(path, ACCOUNT, 'Status'), 'online');
    await client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', `${p.password}-other`]);
    await verify(path);
    await notes.waitFor(before + 2);
    assert.deepEqual(about(before), [id, id], 'exactly one per time it broke');
    await client.call(path, ACCOUNT, 'Remove');
  });

  it("escapes markup in the body: an account name (or a server's words) cannot put links or images in it", async () => {
    const name = 'Tom & Jerry <a href="https://evil.example/">verify</a> <img src="file:///etc/passwd">';
    const path = await client.addAccount(
      'imap',
      uniqueUser('attn'),
      { password: `${p.password}-wrong` },
      {
        name: s(name),
        'imap.host': s('127.0.0.1'),
        'imap.port': q(p.ports.imap),
        'imap.security': s('none'),
        'imap.username': s(p.user),
      },
    );
    const before = notes.received.length;
    await verify(path);
    const [n] = (await notes.waitFor(before + 1)).slice(before) as [Notification];
    assert.ok(
      n.body.includes('Tom &amp; Jerry &lt;a href="https://evil.example/"&gt;verify&lt;/a&gt; &lt;img'),
      n.body,
    );
    assert.doesNotMatch(n.body, /<|&(?!amp;|lt;|gt;)/, 'no markup and no bare & left in the body');
    assert.ok(n.summary.startsWith(name), 'the summary is plain text by the specification: shown as it is');
    await client.call(path, ACCOUNT, 'Remove');
  });

  it('none about an account the window shows (org.pantherx.AccountsUi ShownAccounts)', async () => {
    const shown = await add(`${p.password}-wrong`);
    const other = await add(`${p.password}-wrong`);
    const ui = dbus.sessionBus({ busAddress: session.address });
    try {
      ui.addMethodHandler((msg: InstanceType<typeof dbus.Message>) => {
        if (msg.interface !== 'org.pantherx.AccountsUi' || msg.member !== 'ShownAccounts') return false;
        ui.send(dbus.Message.newMethodReturn(msg, 'as', [[idOf(shown)]]));
        return true;
      });
      await ui.requestName('org.pantherx.AccountsUi', 0x4);
      const before = notes.received.length;
      await verify(shown);
      await verify(other);
      await notes.waitFor(before + 1);
      assert.equal(await client.get(shown, ACCOUNT, 'AttentionNeeded'), true);
      assert.deepEqual(about(before), [idOf(other)], 'the shown account was not notified, the other was');
      assert.match(service.log(), new RegExp(`account ${idOf(shown)} needs attention: the window shows it`));
    } finally {
      ui.disconnect();
    }
    await client.call(shown, ACCOUNT, 'Remove');
    await client.call(other, ACCOUNT, 'Remove');
  });

  it('none while settings.ini says [notifications] enabled = false', async () => {
    const file = join(session.dir, 'config', 'px-accounts', 'settings.ini');
    mkdirSync(join(session.dir, 'config', 'px-accounts'), { recursive: true });
    writeFileSync(file, '[notifications]\nenabled = false\n');
    const quiet = await add(`${p.password}-wrong`);
    const told = await add(`${p.password}-wrong`);
    const before = notes.received.length;
    await verify(quiet);
    await waitFor(
      'logged',
      () => service.log().includes(`account ${idOf(quiet)} needs attention (notifications are off)`),
      5000,
    );
    rmSync(file);
    await verify(told);
    await notes.waitFor(before + 1);
    assert.deepEqual(about(before), [idOf(told)]);
    await client.call(quiet, ACCOUNT, 'Remove');
    await client.call(told, ACCOUNT, 'Remove');
  });

  it('the keyring locked while secrets are asked for: one notification until it is unlocked, one more when it locks again', async () => {
    const path = await add(p.password);
    const keyringNotes = (from: number) => notes.received.slice(from).filter((n) => /keyring/.test(n.summary));
    const before = notes.received.length;
    await stopKeyring(session);
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await errorOf(client.call(path, ACCOUNT, 'GetSecret', 's', ['password']))).type,
        'org.pantherx.Accounts.Error.SecretsUnavailable',
      );
    }
    await notes.waitFor(before + 1);
    await startKeyring(session, session.keyringPassword);
    assert.deepEqual(await client.call(path, ACCOUNT, 'GetSecret', 's', ['password']), [p.password]);
    await stopKeyring(session);
    await errorOf(client.call(path, ACCOUNT, 'GetSecret', 's', ['password']));
    await errorOf(client.call(path, ACCOUNT, 'GetSecret', 's', ['password']));
    await notes.waitFor(before + 2);
    const told = keyringNotes(before);
    assert.equal(told.length, 2, 'once per time it locked');
    assert.equal(notes.received.length, before + 2);
    assert.deepEqual(told[0]!.actions, ['default', 'Open Online Accounts', 'open', 'Open Online Accounts']);
    const lines = () => readFileSync(opened, 'utf8').split('\n').slice(0, -1);
    const n0 = lines().length;
    notes.invoke(told[1]!.id, 'default');
    await waitFor(
      'the window opened on its list (no --account)',
      () => lines().length === n0 + 1 && lines()[n0] === '',
      5000,
    );
    await startKeyring(session, session.keyringPassword);
    await client.call(path, ACCOUNT, 'Remove');
  });
});
