import { strict as assert } from 'node:assert';

import { verifyFtp } from '../../src/protocols/ftp/verifier.js';
import type { VerifySettings } from '../../src/protocols/common/types.js';
import type { Peers } from '../harness/peers.js';
import { expectCode, LOCAL, openSockets, peers, socketsSettle, wrong } from './fixture.js';

describe('FTP verifier (ProFTPD, FTPS)', function () {
  this.timeout(30_000);
  let p: Peers;
  let baseline: number;
  /** Explicit FTPS (AUTH TLS) with the peer's self-signed certificate pinned. */
  const explicit = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.ftp,
    security: 'starttls',
    username: p.ftpUser,
    ca: p.certs.selfSigned,
    ...extra,
  });
  const implicit = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.ftps,
    security: 'tls',
    username: p.ftpUser,
    ca: p.certs.selfSigned,
    ...extra,
  });

  before(async () => {
    p = await peers();
    baseline = await socketsSettle(0, 500);
  });

  describe('authentication', () => {
    it('explicit FTPS (AUTH TLS), right password → Ok', async () => {
      const r = await expectCode(verifyFtp, explicit(), p.ftpPassword, 'Ok');
      assert.match(
        r.message,
        /FTP server 127\.0\.0\.1:\d+ accepted the user name and password: working directory "\/"/,
      );
    });
    it('implicit FTPS, right password → Ok', async () => {
      await expectCode(verifyFtp, implicit(), p.ftpPassword, 'Ok');
    });
    it('wrong password → Unauthorized (530)', async () => {
      const r = await expectCode(verifyFtp, explicit(), wrong(p.ftpPassword), 'Unauthorized');
      assert.match(r.message, /Login incorrect/);
    });
    it('unknown user → Unauthorized', async () => {
      await expectCode(verifyFtp, implicit({ username: 'nobody-here' }), p.ftpPassword, 'Unauthorized');
    });
  });

  describe('TLS', () => {
    it('a self-signed certificate that is not pinned → TlsUntrusted, and the password is never sent', async () => {
      await expectCode(verifyFtp, implicit({ ca: '' }), p.ftpPassword, 'TlsUntrusted');
      await expectCode(verifyFtp, explicit({ ca: '' }), p.ftpPassword, 'TlsUntrusted');
    });
    it('plain FTP to a server that requires TLS → ServerError saying so', async () => {
      const r = await expectCode(verifyFtp, explicit({ security: 'none' }), p.ftpPassword, 'ServerError');
      assert.match(r.message, /requires TLS/);
    });
    it('implicit TLS against an explicit-FTPS port → not Ok (the greeting is not TLS)', async () => {
      const r = await verifyFtp(implicit({ port: p.ports.ftp }), p.ftpPassword, { timeoutMs: 3000 });
      assert.ok(!r.ok && ['ConnectionFailed', 'Timeout'].includes(r.code), `${r.code}: ${r.message}`);
    });
  });

  describe('directory (path)', () => {
    it('an existing directory → Ok naming it', async () => {
      const r = await expectCode(verifyFtp, explicit({ path: '/docs' }), p.ftpPassword, 'Ok');
      assert.match(r.message, /"\/docs"/);
    });
    it('a directory that does not exist → ServerError naming it', async () => {
      const r = await expectCode(verifyFtp, explicit({ path: '/no/such/dir' }), p.ftpPassword, 'ServerError');
      assert.match(r.message, /\/no\/such\/dir/);
    });
  });

  describe('network', () => {
    it('closed port → ConnectionRefused', async () => {
      await expectCode(verifyFtp, explicit({ port: p.ports.closed }), p.ftpPassword, 'ConnectionRefused');
    });
    it('unresolvable host → HostNotFound', async () => {
      await expectCode(verifyFtp, explicit({ host: 'nohost.invalid', port: 21 }), p.ftpPassword, 'HostNotFound');
    });
    it('silent server (no greeting) → Timeout', async () => {
      await expectCode(verifyFtp, explicit({ port: p.ports.silent }), p.ftpPassword, 'Timeout', { timeoutMs: 1000 });
    });
  });

  describe('resources', () => {
    it('leaves no socket open', async () => {
      const left = await socketsSettle(baseline);
      assert.ok(left <= baseline, `${left} sockets open, ${baseline} before the tests (now ${openSockets()})`);
    });
  });
});
