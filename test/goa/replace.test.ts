import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { as, q, s } from '../harness/client.js';
import { testSecret, useFixture } from '../harness/fixture.js';
import { stopPid } from '../harness/process.js';
import { nameHasOwner, pidOfName, waitFor } from '../harness/session.js';
import { goaClient } from './helpers.js';

const GOA = 'org.gnome.OnlineAccounts';
const GOA_DAEMON = '/usr/libexec/goa-daemon';

describe('GOA view beside a running goa-daemon', function () {
  this.timeout(60_000);
  let replace = false;
  let goaDaemonPid: number | undefined;
  let goaExited: Promise<number | null>;
  // goa-daemon owns its name before the service starts; the second test restarts the service with --replace
  const fx = useFixture({
    prepare: async (t) => {
      const goaDaemon = spawn(GOA_DAEMON, [], { env: t.session.env, stdio: 'ignore' });
      goaDaemonPid = goaDaemon.pid;
      goaExited = new Promise((r) => goaDaemon.once('exit', (code) => r(code)));
      t.onStop(() => stopPid(goaDaemonPid));
      await waitFor('goa-daemon owns its name', () => nameHasOwner(t.session.env, GOA), 15_000);
      assert.equal(await pidOfName(t.session.env, GOA), goaDaemonPid, "the name is goa-daemon's");
    },
    service: { args: () => (replace ? ['--goa', '--replace'] : ['--goa']) },
  });
  let id = '';

  it('without --replace leaves the name to goa-daemon, says why in the log, and serves org.pantherx.Accounts', async () => {
    id = (
      await fx.client.addAccount(
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
    await waitFor('the log says why the view is off', () => fx.service.log().includes('GOA view off'), 10_000);
    assert.match(fx.service.log(), /owned by another process \(goa-daemon\?\); start with --replace/);
    assert.equal(await pidOfName(fx.session.env, GOA), goaDaemonPid, 'goa-daemon keeps its name');
    const list = await goaClient(fx.session.env, 'list');
    assert.deepEqual(list, [], 'libgoa talks to goa-daemon, which has no accounts');
  });

  it('with --replace takes the name over: goa-daemon exits and libgoa lists the px accounts', async () => {
    replace = true;
    const service = await fx.restartService();
    assert.equal(await goaExited, 0, 'goa-daemon gives its name up and exits');
    await waitFor('the view owns the name', async () => (await pidOfName(fx.session.env, GOA)) === service.pid, 10_000);
    assert.match(service.log(), /taken over with --replace/);
    const list = await goaClient(fx.session.env, 'list');
    assert.deepEqual(
      list.map((a: { id: string }) => a.id),
      [id],
    );
  });
});
