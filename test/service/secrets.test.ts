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
