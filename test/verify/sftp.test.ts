import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { verifySftp } from '../../src/protocols/sftp/verifier.js';
import type { VerifySettings } from '../../src/protocols/common/types.js';
import type { Peers } from '../harness/peers.js';
import { expectCode, LOCAL, openSockets, peers, socketsSettle, wrong } from './fixture.js';

const run = promisify(execFile);

describe('SFTP verifier (OpenSSH)', function () {
  this.timeout(30_000);
  let p: Peers;
  let baseline: number;
  let otherKey: string;
  const sftp = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.ssh,
    security: 'none',
    username: p.sftpUser,
    ...extra,
  });
  const sshdLog = async () => readFile(join(p.dir, 'logs', 'sshd.log'), 'utf8');
  // sshd logs every accepted or failed password and key of the test user
  const authLines = async () =>
    (await sshdLog()).split('\n').filter((l) => /^(Accepted|Failed) (password|publickey)/.test(l)).length;
  const CHANGED = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

  before(async () => {
    p = await peers();
    baseline = await socketsSettle(0, 500);
    const file = join(p.dir, 'other_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'px-test-other', '-f', file]);
    otherKey = await readFile(file, 'utf8');
  });

  describe('authentication', () => {
    it('password → Ok, and reports the host key', async () => {
      const r = await expectCode(verifySftp, sftp(), p.sftpPassword, 'Ok');
      assert.equal(r.hostKey, p.sftpHostKey, 'hostKey as ssh-keygen -l prints it');
    });
    it('private key (OpenSSH PEM) → Ok', async () => {
      const r = await expectCode(verifySftp, sftp(), p.sftpKey, 'Ok');
      assert.match(r.message, /user name and key/);
      assert.equal(r.hostKey, p.sftpHostKey);
    });
    it('settings without a security value (SSH has none) → Ok', async () => {
      const { security: _ignored, ...rest } = sftp();
      await expectCode(verifySftp, rest as VerifySettings, p.sftpPassword, 'Ok');
    });
    it('over IPv6 (::1) → Ok', async () => {
      await expectCode(verifySftp, sftp({ host: '::1' }), p.sftpPassword, 'Ok');
    });
    it('wrong password → Unauthorized, still reporting the host key', async () => {
      const r = await expectCode(verifySftp, sftp(), wrong(p.sftpPassword), 'Unauthorized');
      assert.equal(r.hostKey, p.sftpHostKey);
    });
    it('unknown user → Unauthorized', async () => {
      await expectCode(verifySftp, sftp({ username: `nobody-${p.sftpUser}` }), p.sftpPassword, 'Unauthorized');
    });
    it('a key that is not authorized → Unauthorized', async () => {
      const r = await expectCode(verifySftp, sftp(), otherKey, 'Unauthorized');
      assert.match(r.message, /user name or key/);
    });
    it('text that looks like a key but is none → Unknown, without the text in the message', async () => {
      const junk =
        '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key-at-all-but-secret-looking-text\n-----END OPENSSH PRIVATE KEY-----\n';
      await expectCode(verifySftp, sftp(), junk, 'Unknown');
    });
  });

  describe('host key', () => {
    it('pinned key that matches → Ok', async () => {
      const r = await expectCode(verifySftp, sftp({ hostkey: p.sftpHostKey }), p.sftpPassword, 'Ok');
      assert.equal(r.hostKey, p.sftpHostKey);
    });
    it('pinned key with base64 padding and without the SHA256: prefix → Ok', async () => {
      await expectCode(verifySftp, sftp({ hostkey: p.sftpHostKey.slice('SHA256:'.length) + '=' }), p.sftpKey, 'Ok');
    });
    it('changed key → HostKeyChanged, naming both keys', async () => {
      const r = await expectCode(verifySftp, sftp({ hostkey: CHANGED }), p.sftpPassword, 'HostKeyChanged');
      assert.equal(r.hostKey, p.sftpHostKey, 'the presented key is reported so it can be re-pinned');
      assert.ok(r.message.includes(CHANGED) && r.message.includes(p.sftpHostKey), r.message);
    });
    it('changed key: the secret never reaches the server', async () => {
      const before = await authLines();
      // even a wrong password reports HostKeyChanged: authentication never started
      await expectCode(verifySftp, sftp({ hostkey: CHANGED }), wrong(p.sftpPassword), 'HostKeyChanged');
      await expectCode(verifySftp, sftp({ hostkey: CHANGED }), p.sftpPassword, 'HostKeyChanged');
      await expectCode(verifySftp, sftp({ hostkey: CHANGED }), p.sftpKey, 'HostKeyChanged');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await authLines(), before, 'sshd logged no authentication attempt');
      assert.ok(!(await sshdLog()).includes(p.sftpPassword));
    });
  });

  describe('directory (path)', () => {
    it('an existing directory → Ok', async () => {
      const r = await expectCode(verifySftp, sftp({ path: `${p.sftpDir}/docs` }), p.sftpPassword, 'Ok');
      assert.match(r.message, /docs/);
    });
    it('a directory that does not exist → ServerError naming it', async () => {
      const r = await expectCode(verifySftp, sftp({ path: '/no/such/dir' }), p.sftpPassword, 'ServerError');
      assert.match(r.message, /\/no\/such\/dir/);
    });
  });

  describe('network', () => {
    it('closed port → ConnectionRefused', async () => {
      await expectCode(verifySftp, sftp({ port: p.ports.closed }), p.sftpPassword, 'ConnectionRefused');
    });
    it('unresolvable host → HostNotFound', async () => {
      await expectCode(verifySftp, sftp({ host: 'nohost.invalid', port: 22 }), p.sftpPassword, 'HostNotFound');
    });
    it('silent server (no SSH banner) → Timeout within timeoutMs + 1 s', async () => {
      const r = await expectCode(verifySftp, sftp({ port: p.ports.silent }), p.sftpPassword, 'Timeout', {
        timeoutMs: 1000,
      });
      assert.ok(r.elapsedMs >= 950, `waited the whole timeout (${r.elapsedMs.toFixed(0)} ms)`);
    });
    it('SYN-dropping listener → Timeout', async () => {
      await expectCode(verifySftp, sftp({ port: p.ports.synDrop }), p.sftpKey, 'Timeout', { timeoutMs: 1000 });
    });
    it('not an SSH server (Exim: talks, but never an SSH banner) → Timeout', async () => {
      await expectCode(verifySftp, sftp({ port: p.ports.smtp }), p.sftpPassword, 'Timeout', { timeoutMs: 1000 });
    });
  });

  describe('resources', () => {
    it('leaves no socket open', async () => {
      const left = await socketsSettle(baseline);
      assert.ok(left <= baseline, `${left} sockets open, ${baseline} before the tests (now ${openSockets()})`);
    });
  });
});
