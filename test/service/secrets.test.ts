/** Without a usable Secret Service: a fast, typed error, nothing half-done, the rest still served. */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, errorOf, s } from '../harness/client.js';
import { startKeyring, stopKeyring } from '../harness/session.js';
import { testSecret, uniqueUser, useService } from './fixture.js';

const UNAVAILABLE = 'org.pantherx.Accounts.Error.SecretsUnavailable';

for (const mode of ['none', 'locked'] as const) {
  describe(`secrets: keyring ${mode === 'none' ? 'absent' : 'locked'}`, () => {
    const f = useService(mode);

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
      assert.equal((await errorOf(f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', testSecret()]))).type, UNAVAILABLE);
      assert.equal((await errorOf(f.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']))).type, 'org.pantherx.Accounts.Error.NotFound');
      assert.deepEqual(await f.client.get(path, ACCOUNT, 'Credentials'), []);
      assert.doesNotMatch(readFileSync(join(f.session.accountsDir, `${path.split('/').pop()}.ini`), 'utf8'), /credentials/);
    });
  });
}

describe('secrets: the keyring comes and goes', () => {
  const f = useService('unlocked');

  it('Remove refuses while the keyring is gone (nothing deleted) and works once it is back', async () => {
    const secret = testSecret();
    const path = await f.client.addAccount('fastmail', uniqueUser('flaky'), { password: secret });
    const file = join(f.session.accountsDir, `${path.split('/').pop()}.ini`);
    const text = readFileSync(file, 'utf8');
    await stopKeyring(f.session);
    assert.equal((await errorOf(f.client.call(path, ACCOUNT, 'Remove'))).type, UNAVAILABLE);
    assert.equal((await errorOf(f.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']))).type, UNAVAILABLE);
    assert.equal((await errorOf(f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['imap', testSecret()]))).type, UNAVAILABLE);
    assert.equal(readFileSync(file, 'utf8'), text);
    // The same keyring data, unlocked again by a fresh daemon: the service recovers without a restart.
    await startKeyring(f.session, f.session.keyringPassword);
    assert.deepEqual(await f.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']), [secret]);
    await f.client.call(path, ACCOUNT, 'Remove');
    assert.ok(!existsSync(file));
  });
});

describe('secrets: orphans left by a crash are removed at start-up', () => {
  it('deletes secrets without an account or not listed by it, and keeps the rest', async function () {
    this.timeout(30000);
    const { startService, startSession } = await import('../harness/session.js');
    const { run } = await import('../harness/process.js');
    const { TestClient } = await import('../harness/client.js');
    const session = await startSession('unlocked');
    try {
      let service = await startService(session);
      const client = await TestClient.connect(session.address, false);
      const keep = testSecret();
      const path = await client.addAccount('fastmail', uniqueUser('orphans'), { password: keep });
      const id = path.split('/').pop()!;
      client.disconnect();
      await service.stop();
      const store = (user: string) => run('secret-tool', ['store', '--label=orphan', 'service', 'org.pantherx.Accounts', 'username', user], session.env, testSecret());
      const lookup = async (user: string) => (await run('secret-tool', ['lookup', 'service', 'org.pantherx.Accounts', 'username', user], session.env)).stdout;
      await store('ghost/password');
      await store(`${id}/smtp`);
      service = await startService(session);
      const { waitFor } = await import('../harness/session.js');
      await waitFor('orphans removed', async () => (await lookup('ghost/password')) === '' && (await lookup(`${id}/smtp`)) === '', 10000);
      assert.equal(await lookup(`${id}/password`), keep);
      assert.match(service.log(), /removed orphaned secret 'password' of missing account ghost/);
      await service.stop();
    } finally {
      await session.stop();
    }
  });
});
