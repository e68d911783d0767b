/**
 * The service speaks its session's language (docs/translating.md): started with
 * LANG=de_DE.UTF-8, a password Dovecot refuses gives a German check result (Verify's message,
 * StatusMessage) and a German notification (summary, body, action, app name), recorded by a
 * notification server of the test's own. D-Bus names and status values stay as they are.
 */
import { strict as assert } from 'node:assert';
import type { Peers } from '../harness/peers.js';
import { peers } from '../verify/fixture.js';
import { ACCOUNT, TestClient, q, s, type V } from '../harness/client.js';
import { startNotificationServer, type Notification, type NotificationServer } from '../harness/notifications.js';
import { startService, startSession, type ServiceProcess, type Session } from '../harness/session.js';
import { uniqueUser } from './fixture.js';

describe('the service in German: check results and notifications (the real Dovecot)', function () {
  this.timeout(60_000);
  let p: Peers;
  let session: Session;
  let service: ServiceProcess;
  let client: TestClient;
  let notes: NotificationServer;

  before(async function () {
    this.timeout(60_000);
    p = await peers();
    session = await startSession('unlocked');
    notes = await startNotificationServer(session.address);
    service = await startService(session, [], { LANG: 'de_DE.UTF-8', PX_ACCOUNTS_UI_COMMAND: '/bin/true' });
    client = await TestClient.connect(session.address);
  });
  after(async function () {
    this.timeout(30_000);
    client?.disconnect();
    notes?.stop();
    await service?.stop();
    await session?.stop();
    // The peers are shared by every suite of the run (verify/fixture.ts): a root-level hook stops them.
  });

  it('a refused password: the result in words and the notification are German', async () => {
    const user = uniqueUser('de');
    const path = await client.addAccount(
      'imap',
      user,
      { password: `${p.password}-wrong` },
      {
        'imap.host': s('127.0.0.1'),
        'imap.port': q(p.ports.imap),
        'imap.security': s('none'),
        'imap.username': s(p.user),
      },
    );
    const before = notes.received.length;
    const results = (await client.call(path, ACCOUNT, 'Verify'))[0] as Record<string, V>;
    const imap = results.imap!.value as Record<string, V>;
    assert.equal(imap.code!.value, 'Unauthorized', 'codes are not translated');
    assert.match(
      String(imap.message!.value),
      new RegExp(`^Der IMAP-Server 127\\.0\\.0\\.1:${p.ports.imap} hat Benutzername oder Passwort abgelehnt`),
    );
    assert.equal(await client.get(path, ACCOUNT, 'Status'), 'error', 'status values are not translated');
    assert.match(
      String(await client.get(path, ACCOUNT, 'StatusMessage')),
      /^Der IMAP-Server .* hat Benutzername oder Passwort abgelehnt/,
    );

    const [n] = (await notes.waitFor(before + 1)).slice(before) as [Notification];
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
    await client.call(path, ACCOUNT, 'Remove');
  });
});
