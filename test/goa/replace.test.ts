/**
 * The GOA view beside a real goa-daemon (Debian gnome-online-accounts 3.46) on the private bus:
 * without --replace the view leaves org.gnome.OnlineAccounts to goa-daemon and says why in the
 * log, while org.pantherx.Accounts is served as usual; with --replace goa-daemon gives the name
 * up and exits, and libgoa's own client then sees the px accounts.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { TestClient, as, q, s } from '../harness/client.js';
import { stopPid } from '../harness/process.js';
import {
  nameHasOwner,
  pidOfName,
  startService,
  startSession,
  waitFor,
  type ServiceProcess,
  type Session,
} from '../harness/session.js';
import { testSecret } from '../service/fixture.js';
import { goaClient } from './helpers.js';

const GOA = 'org.gnome.OnlineAccounts';
const GOA_DAEMON = '/usr/libexec/goa-daemon';

describe('GOA view beside a running goa-daemon', function () {
  this.timeout(60_000);
  let session: Session;
  let goaDaemon: ChildProcess;
  let goaExited: Promise<number | null>;
  let service: ServiceProcess | undefined;
  let id = '';

  before(async () => {
    session = await startSession('unlocked');
    goaDaemon = spawn(GOA_DAEMON, [], { env: session.env, stdio: 'ignore' });
    goaExited = new Promise((r) => goaDaemon.once('exit', (code) => r(code)));
    await waitFor('goa-daemon owns its name', () => nameHasOwner(session.env, GOA), 15_000);
    assert.equal(await pidOfName(session.env, GOA), goaDaemon.pid, "the name is goa-daemon's");
  });

  after(async () => {
    await service?.stop();
    await stopPid(goaDaemon?.pid);
    await session?.stop();
  });

  it('without --replace leaves the name to goa-daemon, says why in the log, and serves org.pantherx.Accounts', async () => {
    service = await startService(session, ['--goa']);
    const client = await TestClient.connect(session.address);
    try {
      id = (
        await client.addAccount(
          'imap',
          'ada@example.org',
          { password: testSecret() },
          {
            protocols: as(['imap', 'smtp']),
            'imap.host': s('127.0.0.1'),
            'imap.port': q(1143),
            'imap.security': s('none'),
            'smtp.host': s('127.0.0.1'),
            'smtp.port': q(1587),
            'smtp.security': s('none'),
          },
        )
      )
        .split('/')
        .pop()!;
    } finally {
      client.disconnect();
    }
    await waitFor('the log says why the view is off', () => service!.log().includes('GOA view off'), 10_000);
    assert.match(service.log(), /owned by another process \(goa-daemon\?\); start with --replace/);
    assert.equal(await pidOfName(session.env, GOA), goaDaemon.pid, 'goa-daemon keeps its name');
    const list = await goaClient(session.env, 'list');
    assert.deepEqual(list, [], 'libgoa talks to goa-daemon, which has no accounts');
    await service.stop();
    service = undefined;
  });

  it('with --replace takes the name over: goa-daemon exits and libgoa lists the px accounts', async () => {
    service = await startService(session, ['--goa', '--replace']);
    assert.equal(await goaExited, 0, 'goa-daemon gives its name up and exits');
    await waitFor('the view owns the name', async () => (await pidOfName(session.env, GOA)) === service!.pid, 10_000);
    assert.match(service.log(), /taken over with --replace/);
    const list = await goaClient(session.env, 'list');
    assert.deepEqual(
      list.map((a: { id: string }) => a.id),
      [id],
    );
  });
});
