/**
 * The service speaks its session's language (docs/translating.md): started with
 * LANG=de_DE.UTF-8, a password Dovecot refuses gives a German check result (Verify's message,
 * StatusMessage) and a German notification (summary, body, action, app name), recorded by a
 * notification server of the test's own. D-Bus names and status values stay as they are.
 */
import { strict as assert } from 'node:assert';
import { ACCOUNT, q, s, type V } from '../harness/client.js';
import { type Notification } from '../harness/notifications.js';
import { uniqueUser, useFixture } from '../harness/fixture.js';

describe('the service in German: check results and notifications (the real Dovecot)', function () {
  this.timeout(60_000);
  // A click on a notification would start the window: a stand-in writes down its arguments instead.
  const fx = useFixture({
    peers: 'shared',
    notifications: true,
    windowRecorder: true,
    service: { env: { LANG: 'de_DE.UTF-8' } },
  });

  it('a refused password: the result in words and the notification are German', async () => {
    const user = uniqueUser('de');
    const path = await fx.client.addAccount(
      'imap',
      user,
      { password: `${fx.peers.password}-wrong` },
      {
        'imap.host': s('127.0.0.1'),
        'imap.port': q(fx.peers.ports.imap),
        'imap.security': s('none'),
        'imap.username': s(fx.peers.user),
      },
    );
    const before = fx.notes.received.length;
    const results = (await fx.client.call(path, ACCOUNT, 'Verify'))[0] as Record<string, V>;
    const imap = results.imap!.value as Record<string, V>;
    assert.equal(imap.code!.value, 'Unauthorized', 'codes are not translated');
    assert.match(
      String(imap.message!.value),
      new RegExp(`^Der IMAP-Server 127\\.0\\.0\\.1:${fx.peers.ports.imap} hat Benutzername oder Passwort abgelehnt`),
    );
    assert.equal(await fx.client.get(path, ACCOUNT, 'Status'), 'error', 'status values are not translated');
    assert.match(
      String(await fx.client.get(path, ACCOUNT, 'StatusMessage')),
      /^Der IMAP-Server .* hat Benutzername oder Passwort abgelehnt/,
    );

    const [n] = (await fx.notes.waitFor(before + 1)).slice(before) as [Notification];
    assert.equal(n.appName, 'Online-Konten');
    assert.equal(n.summary, `${user}: Das Passwort wurde abgelehnt`);
    assert.match(
      n.body,
      new RegExp(
        `^Der IMAP-Server .* abgelehnt.* Apps können ${user.replace(/\./g, '\\.')} erst wieder erreichen, wenn Sie das richtige eingeben\\.$`,
      ),
    );
    assert.deepEqual(
      n.actions,
      ['default', 'Passwort eingeben', 'open', 'Passwort eingeben'],
      'action ids stay, labels are German',
    );
    await fx.client.call(path, ACCOUNT, 'Remove');
  });
});
