/** Without a usable Secret Service: a fast, typed error, nothing half-done, the rest still served. */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, errorOf, s } from '../harness/client.js';
import { startKeyring, stopKeyring, waitFor } from '../harness/session.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

const UNAVAILABLE = 'org.pantherx.Accounts.Error.SecretsUnavailable';

for (const mode of ['none', 'locked'] as const) {
  describe(`secrets: keyring ${mode === 'none' ? 'absent' : 'locked'}`, () => {
    const f = useFixture({ keyring: mode, service: true });

    it('AddAccount with secrets fails fast with SecretsUnavailable and writes nothing', async () => {
      const started = Date.now();
      const err = await errorOf(f.client.addAccount('fastmail', uniqueUser(), { password: testSecret() }));
      assert.equal(err.type, UNAVAILABLE);
      assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
      assert.deepEqual(readdirSync(f.session.accountsDir), []);
    });

    it('everything that needs no secret still works', async () => {
      const path = await f.client.addAccount('sftp', uniqueUser('nosecret'), {}, { 'sftp.host': s('127.0.0.1') });
      await f.client.call(path, ACCOUNT, 'ReportStatus', 'ss', ['online', '']);
      assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'online');
      assert.equal(
        (await errorOf(f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', testSecret()]))).type,
        UNAVAILABLE,
      );
      assert.equal(
        (await errorOf(f.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']))).type,
        'org.pantherx.Accounts.Error.NotFound',
      );
      assert.deepEqual(await f.client.get(path, ACCOUNT, 'Credentials'), []);
      assert.doesNotMatch(
        readFileSync(join(f.session.accountsDir, `${path.split('/').pop()}.ini`), 'utf8'),
        /credentials/,
      );
    });
  });
}

describe('secrets: the keyring comes and goes', () => {
  const f = useFixture({ service: true });

  it('Remove refuses while the keyring is gone (nothing deleted) and works once it is back', async () => {
    const secret = testSecret();
    const path = await f.client.addAccount('fastmail', uniqueUser('flaky'), { password: secret });
    const file = join(f.session.accountsDir, `${path.split('/').pop()}.ini`);
    const text = readFileSync(file, 'utf8');
    await stopKeyring(f.session);
    assert.equal((await errorOf(f.client.call(path, ACCOUNT, 'Remove'))).type, UNAVAILABLE);
    assert.equal((await errorOf(f.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']))).type, UNAVAILABLE);
    assert.equal(
      (await errorOf(f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['imap', testSecret()]))).type,
      UNAVAILABLE,
    );
    assert.equal(readFileSync(file, 'utf8'), text);
    // The same keyring data, unlocked again by a fresh daemon: the service recovers without a restart.
    await startKeyring(f.session, f.session.keyringPassword);
    assert.deepEqual(await f.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']), [secret]);
    await f.client.call(path, ACCOUNT, 'Remove');
    assert.ok(!existsSync(file));
  });
});

describe('secrets: orphans left by a crash are removed at start-up', () => {
  const f = useFixture({ service: true });

  it('deletes secrets without an account or not listed by it, and keeps the rest', async function () {
    this.timeout(30000);
    const { run } = await import('../harness/process.js');
    const keep = testSecret();
    const path = await f.client.addAccount('fastmail', uniqueUser('orphans'), { password: keep });
    const id = path.split('/').pop()!;
    await f.stopService();
    const store = (user: string) =>
      run(
        'secret-tool',
        ['store', '--label=orphan', 'service', 'org.pantherx.Accounts', 'username', user],
        f.session.env,
        testSecret(),
      );
    const lookup = async (user: string) =>
      (await run('secret-tool', ['lookup', 'service', 'org.pantherx.Accounts', 'username', user], f.session.env))
        .stdout;
    await store('ghost/password');
    await store(`${id}/smtp`);
    const service = await f.startService();
    await waitFor(
      'orphans removed',
      async () => (await lookup('ghost/password')) === '' && (await lookup(`${id}/smtp`)) === '',
      10000,
    );
    assert.equal(await lookup(`${id}/password`), keep);
    assert.match(service.log(), /removed orphaned secret 'password' of missing account ghost/);
  });
});

describe('secrets: the Secret Service over the bus', () => {
  const f = useFixture({ service: true });

  it('stores items secret-tool finds, reads what secret-tool stores, and never sends a value in clear', async () => {
    const { run } = await import('../harness/process.js');
    const { spawn } = await import('node:child_process');
    // Everything on the bus while secrets are stored and read, as a monitor sees it.
    const monitor = spawn('dbus-monitor', ['--address', f.session.address, '--binary'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const captured: Buffer[] = [];
    monitor.stdout.on('data', (d: Buffer) => captured.push(d));
    /** Asks the bus about `marker` until the monitor shows the call: it has seen everything sent before. */
    const monitorSaw = (marker: string) =>
      waitFor(`the monitor to show ${marker}`, async () => {
        await f.client.callTo(
          'org.freedesktop.DBus',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus',
          'NameHasOwner',
          's',
          [marker],
        );
        return Buffer.concat(captured).includes(Buffer.from(marker));
      });
    await monitorSaw('org.example.MonitorStarted');
    const first = testSecret();
    const path = await f.client.addAccount('fastmail', uniqueUser('compat'), { password: first });
    const id = path.split('/').pop()!;
    assert.deepEqual(await f.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']), [first]);
    assert.equal(
      (
        await run(
          'secret-tool',
          ['lookup', 'service', 'org.pantherx.Accounts', 'username', `${id}/password`],
          f.session.env,
        )
      ).stdout,
      first,
    );
    await monitorSaw('org.example.MonitorCaughtUp');
    monitor.kill();
    const wire = Buffer.concat(captured);
    assert.ok(wire.length > 1000, 'the monitor saw the traffic');
    assert.ok(wire.includes(Buffer.from('org.freedesktop.Secret.Item')), 'the monitor saw the Secret Service calls');
    // The reply to the app carries it (that is the point of GetSecret); nothing else does.
    const count = (b: Buffer, s: string) => b.toString('latin1').split(s).length - 1;
    assert.equal(count(wire, first), 2, 'the secret crossed the bus only in AddAccount and in the GetSecret reply');
    // A value changed with secret-tool (same attributes) is what the service reads next.
    const second = testSecret();
    await run(
      'secret-tool',
      ['store', '--label=changed by hand', 'service', 'org.pantherx.Accounts', 'username', `${id}/password`],
      f.session.env,
      second,
    );
    assert.deepEqual(await f.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']), [second]);
  });

  it('SecretsAvailable follows the keyring, with PropertiesChanged', async () => {
    const { MANAGER, ROOT } = await import('../harness/client.js');
    assert.equal(await f.client.get(ROOT, MANAGER, 'SecretsAvailable'), true);
    const mark = f.client.signals.length;
    await stopKeyring(f.session);
    const gone = await f.client.waitSignal(
      (x) => x.member === 'PropertiesChanged' && x.body[0] === MANAGER,
      5000,
      mark,
    );
    assert.equal((gone.body[1] as Record<string, { value: unknown }>).SecretsAvailable!.value, false);
    const back = f.client.signals.length;
    await startKeyring(f.session, f.session.keyringPassword);
    const again = await f.client.waitSignal(
      (x) => x.member === 'PropertiesChanged' && x.body[0] === MANAGER,
      5000,
      back,
    );
    assert.equal((again.body[1] as Record<string, { value: unknown }>).SecretsAvailable!.value, true);
    assert.equal(await f.client.get(ROOT, MANAGER, 'SecretsAvailable'), true);
  });
});
