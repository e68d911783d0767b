/**
 * Notifications when the service needs the person, against the real Dovecot and a notification
 * server of the test's own: a refused password → exactly one notification with its action
 * "Enter password", whose click opens the window on the account (a recording px-accounts-ui);
 * the next check of the same trouble says nothing, a new one comes only after it was fixed and
 * broke again; none about an account the window shows (a stand-in owning org.pantherx.AccountsUi)
 * or while settings.ini switches them off; many at once told as one notification that later ones
 * join; a locked keyring told once while secrets are refused.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { ACCOUNT, errorOf, MANAGER, q, ROOT, s } from '../harness/client.js';
import { startNotificationServer, type Notification } from '../harness/notifications.js';
import { nameHasOwner, startKeyring, stopKeyring, waitFor } from '../harness/session.js';
import { uniqueUser, useFixture } from '../harness/fixture.js';

const NOTIFICATIONS = 'org.freedesktop.Notifications';

describe('notifications when an account needs the person (the real Dovecot, a notification server of our own)', function () {
  this.timeout(60_000);
  const fx = useFixture({ peers: 'shared', notifications: true, windowRecorder: true, service: true });

  const add = (password: string) =>
    fx.client.addAccount(
      'imap',
      uniqueUser('attn'),
      { password },
      {
        'imap.host': s('127.0.0.1'),
        'imap.port': q(fx.peers.ports.imap),
        'imap.security': s('none'),
        'imap.username': s(fx.peers.user),
      },
    );
  const verify = (path: string) => fx.client.call(path, ACCOUNT, 'Verify');
  const idOf = (path: string) => path.split('/').pop()!;
  const about = (from: number) => fx.notes.received.slice(from).map((n) => n.hints['x-px-accounts-account']);

  it('a refused password: one notification with "Enter password", opening the window on the account; not again for the same trouble, again after fixed and broken', async () => {
    const path = await add(`${fx.peers.password}-wrong`);
    const id = idOf(path);
    const before = fx.notes.received.length;
    const withdrawnBefore = fx.notes.withdrawn.length;
    await verify(path);
    assert.equal(await fx.client.get(path, ACCOUNT, 'AttentionNeeded'), true);
    const [n] = (await fx.notes.waitFor(before + 1)).slice(before) as [Notification];
    assert.match(n.summary, /password was refused/);
    assert.deepEqual(n.actions, ['default', 'Enter password', 'open', 'Enter password']);
    assert.equal(n.hints['x-px-accounts-account'], id);
    assert.ok(!JSON.stringify(n).includes(fx.peers.password), 'no secret in a notification');
    fx.notes.invoke(n.id, 'open');
    await waitFor('the window opened on the account', () => fx.windowOpenedWith().includes(`--account ${id}`), 5000);

    // The same trouble found again: nothing. Fixed (a new secret, a check that passes), then broken again: one more.
    await verify(path);
    await fx.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', fx.peers.password]);
    await verify(path);
    assert.equal(await fx.client.get(path, ACCOUNT, 'Status'), 'online');
    await fx.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', `${fx.peers.password}-other`]);
    await verify(path);
    const [, again] = (await fx.notes.waitFor(before + 2)).slice(before) as [Notification, Notification];
    assert.deepEqual(about(before), [id, id], 'exactly one per time it broke');
    assert.equal(fx.notes.withdrawn.length, withdrawnBefore, 'the first was clicked: nothing to withdraw');
    // Its trouble over (the account removed), the notification leaves the screen.
    await fx.client.call(path, ACCOUNT, 'Remove');
    await fx.notes.waitWithdrawn(again.id);
  });

  it("escapes markup in the body: an account name (or a server's words) cannot put links or images in it", async () => {
    const name = 'Tom & Jerry <a href="https://evil.example/">verify</a> <img src="file:///etc/passwd">';
    const path = await fx.client.addAccount(
      'imap',
      uniqueUser('attn'),
      { password: `${fx.peers.password}-wrong` },
      {
        name: s(name),
        'imap.host': s('127.0.0.1'),
        'imap.port': q(fx.peers.ports.imap),
        'imap.security': s('none'),
        'imap.username': s(fx.peers.user),
      },
    );
    const before = fx.notes.received.length;
    await verify(path);
    const [n] = (await fx.notes.waitFor(before + 1)).slice(before) as [Notification];
    assert.ok(
      n.body.includes('Tom &amp; Jerry &lt;a href="https://evil.example/"&gt;verify&lt;/a&gt; &lt;img'),
      n.body,
    );
    assert.doesNotMatch(n.body, /<|&(?!amp;|lt;|gt;)/, 'no markup and no bare & left in the body');
    assert.ok(n.summary.startsWith(name), 'the summary is plain text by the specification: shown as it is');
    await fx.client.call(path, ACCOUNT, 'Remove');
  });

  it('none about an account the window shows (org.pantherx.AccountsUi ShownAccounts)', async () => {
    const shown = await add(`${fx.peers.password}-wrong`);
    const other = await add(`${fx.peers.password}-wrong`);
    const ui = dbus.sessionBus({ busAddress: fx.session.address });
    try {
      ui.addMethodHandler((msg: InstanceType<typeof dbus.Message>) => {
        if (msg.interface !== 'org.pantherx.AccountsUi' || msg.member !== 'ShownAccounts') return false;
        ui.send(dbus.Message.newMethodReturn(msg, 'as', [[idOf(shown)]]));
        return true;
      });
      await ui.requestName('org.pantherx.AccountsUi', 0x4);
      const before = fx.notes.received.length;
      await verify(shown);
      await verify(other);
      await fx.notes.waitFor(before + 1);
      assert.equal(await fx.client.get(shown, ACCOUNT, 'AttentionNeeded'), true);
      assert.deepEqual(about(before), [idOf(other)], 'the shown account was not notified, the other was');
      assert.match(fx.service.log(), new RegExp(`account ${idOf(shown)} needs attention: the window shows it`));
    } finally {
      ui.disconnect();
    }
    await fx.client.call(shown, ACCOUNT, 'Remove');
    await fx.client.call(other, ACCOUNT, 'Remove');
  });

  it('none while settings.ini says [notifications] enabled = false', async () => {
    const file = join(fx.session.dir, 'config', 'px-accounts', 'settings.ini');
    mkdirSync(join(fx.session.dir, 'config', 'px-accounts'), { recursive: true });
    writeFileSync(file, '[notifications]\nenabled = false\n');
    const quiet = await add(`${fx.peers.password}-wrong`);
    const told = await add(`${fx.peers.password}-wrong`);
    const before = fx.notes.received.length;
    await verify(quiet);
    await waitFor(
      'logged',
      () => fx.service.log().includes(`account ${idOf(quiet)} needs attention (notifications are off)`),
      5000,
    );
    rmSync(file);
    await verify(told);
    await fx.notes.waitFor(before + 1);
    assert.deepEqual(about(before), [idOf(told)]);
    await fx.client.call(quiet, ACCOUNT, 'Remove');
    await fx.client.call(told, ACCOUNT, 'Remove');
  });

  it('many checked at once (CheckAccounts): one notification counting them, opening the list; one more joins it in place', async () => {
    const paths: string[] = [];
    for (let i = 0; i < 5; i++) paths.push(await add(`${fx.peers.password}-wrong`));
    const before = fx.notes.received.length;
    // One call queues the five checks: the notices wait for the last of them to settle.
    await fx.client.call(ROOT, MANAGER, 'CheckAccounts', 'as', [paths.map(idOf)]);
    const [group] = (await fx.notes.waitFor(before + 1)).slice(before) as [Notification];
    assert.equal(group.hints['x-px-accounts-account'], '', 'about no one account');
    assert.equal(group.summary, '5 accounts need you');
    assert.deepEqual(group.actions, ['default', 'Open Online Accounts', 'open', 'Open Online Accounts']);
    assert.match(group.body, /Apps cannot reach .+, and 2 others until you fix them/);
    for (const path of paths) assert.equal(await fx.client.get(path, ACCOUNT, 'AttentionNeeded'), true);

    // One more while it is on screen: the same notification (replaces_id), now six.
    const late = await add(`${fx.peers.password}-wrong`);
    paths.push(late);
    await verify(late);
    const [update] = (await fx.notes.waitFor(before + 2)).slice(before + 1) as [Notification];
    assert.deepEqual([update.replaces, update.id, update.summary], [group.id, group.id, '6 accounts need you']);
    assert.equal(fx.notes.received.length, before + 2, 'no notification per account');

    const n0 = fx.windowOpenedWith().length;
    fx.notes.invoke(update.id, 'default');
    await waitFor('the window opened on its list', () => fx.windowOpenedWith()[n0] === '', 5000);

    // Clicked, it is gone: the next account is told on its own.
    const alone = await add(`${fx.peers.password}-wrong`);
    paths.push(alone);
    await verify(alone);
    const [single] = (await fx.notes.waitFor(before + 3)).slice(before + 2) as [Notification];
    assert.deepEqual([single.replaces, single.hints['x-px-accounts-account']], [0, idOf(alone)]);
    for (const path of paths) await fx.client.call(path, ACCOUNT, 'Remove');
  });

  it('the keyring locked while secrets are asked for: one notification until it is unlocked, one more when it locks again', async () => {
    const path = await add(fx.peers.password);
    const keyringNotes = (from: number) => fx.notes.received.slice(from).filter((n) => /keyring/.test(n.summary));
    const before = fx.notes.received.length;
    await stopKeyring(fx.session);
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await errorOf(fx.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']))).type,
        'org.pantherx.Accounts.Error.SecretsUnavailable',
      );
    }
    await fx.notes.waitFor(before + 1);
    await startKeyring(fx.session, fx.session.keyringPassword);
    assert.deepEqual(await fx.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']), [fx.peers.password]);
    await fx.notes.waitWithdrawn(keyringNotes(before)[0]!.id); // unlocked: the notice has had its say
    await stopKeyring(fx.session);
    await errorOf(fx.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']));
    await errorOf(fx.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']));
    await fx.notes.waitFor(before + 2);
    const told = keyringNotes(before);
    assert.equal(told.length, 2, 'once per time it locked');
    assert.equal(fx.notes.received.length, before + 2);
    assert.deepEqual(told[0]!.actions, ['default', 'Open Online Accounts', 'open', 'Open Online Accounts']);
    const lines = () => fx.windowOpenedWith();
    const n0 = lines().length;
    fx.notes.invoke(told[1]!.id, 'default');
    await waitFor(
      'the window opened on its list (no --account)',
      () => lines().length === n0 + 1 && lines()[n0] === '',
      5000,
    );
    await startKeyring(fx.session, fx.session.keyringPassword);
    await fx.client.call(path, ACCOUNT, 'Remove');
  });

  it('a notification server replaced meanwhile: the new one is never asked to withdraw what the old one showed (its ids start again)', async () => {
    const gone = await add(`${fx.peers.password}-wrong`);
    const before = fx.notes.received.length;
    await verify(gone);
    await fx.notes.waitFor(before + 1);
    fx.notes.stop();
    await waitFor(
      'the old server left the bus',
      async () => !(await nameHasOwner(fx.session.env, NOTIFICATIONS)),
      10_000,
    );
    const fresh = fx.own(await startNotificationServer(fx.session.address));
    const other = await add(`${fx.peers.password}-wrong`);
    await verify(other);
    const [n] = (await fresh.waitFor(1)) as [Notification];
    assert.equal(n.hints['x-px-accounts-account'], idOf(other));
    // Fixed: its notice was the old server's, whose ids mean nothing to the new one.
    await fx.client.call(gone, ACCOUNT, 'SetSecret', 'ss', ['password', fx.peers.password]);
    await verify(gone);
    assert.equal(await fx.client.get(gone, ACCOUNT, 'AttentionNeeded'), false);
    await fx.client.call(other, ACCOUNT, 'Remove');
    await fresh.waitWithdrawn(n.id);
    assert.deepEqual(fresh.withdrawn, [n.id], "only the new server's own notification");
    await fx.client.call(gone, ACCOUNT, 'Remove');
  });
});
