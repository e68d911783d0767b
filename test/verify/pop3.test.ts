import { strict as assert } from 'node:assert';

import { verifyPop3 } from '../../src/protocols/pop3/verifier.js';
import type { VerifySettings } from '../../src/protocols/common/types.js';
import type { Peers } from '../harness/peers.js';
import { expectCode, LOCAL, openSockets, peers, socketsSettle, wrong } from './fixture.js';

describe('POP3 verifier (Dovecot)', function () {
  this.timeout(30_000);
  let p: Peers;
  let baseline: number;
  const plain = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.pop3,
    security: 'none',
    username: p.user,
    ...extra,
  });
  const stls = (extra: Partial<VerifySettings> = {}): VerifySettings =>
    plain({ security: 'starttls', ca: p.certs.selfSigned, ...extra });
  const tls = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.pop3s,
    security: 'tls',
    username: p.user,
    ca: p.certs.selfSigned,
    ...extra,
  });

  before(async () => {
    p = await peers();
    baseline = await socketsSettle(0, 500);
  });

  describe('security modes', () => {
    it('plain: right password → Ok', async () => {
      await expectCode(verifyPop3, plain(), p.password, 'Ok');
    });
    it('STLS: right password → Ok', async () => {
      await expectCode(verifyPop3, stls(), p.password, 'Ok');
    });
    it('implicit TLS: right password → Ok', async () => {
      await expectCode(verifyPop3, tls(), p.password, 'Ok');
    });
    it('implicit TLS over IPv6 (::1) → Ok', async () => {
      await expectCode(verifyPop3, tls({ host: '::1' }), p.password, 'Ok');
    });
    it('CA-signed leaf trusted through the CA file → Ok', async () => {
      await expectCode(verifyPop3, tls({ host: p.hosts.caSigned, ca: p.certs.ca }), p.password, 'Ok');
    });
  });

  describe('credentials', () => {
    it('plain: wrong password → Unauthorized', async () => {
      await expectCode(verifyPop3, plain(), wrong(p.password), 'Unauthorized');
    });
    it('STLS: wrong password → Unauthorized', async () => {
      await expectCode(verifyPop3, stls(), wrong(p.password), 'Unauthorized');
    });
    it('implicit TLS: wrong password → Unauthorized', async () => {
      await expectCode(verifyPop3, tls(), wrong(p.password), 'Unauthorized');
    });
    it('unknown user → Unauthorized', async () => {
      await expectCode(verifyPop3, tls({ username: `nobody-${p.user}` }), p.password, 'Unauthorized');
    });
    it('a line break in the user name is refused before anything is sent → Unknown', async () => {
      await expectCode(verifyPop3, plain({ username: `${p.user}\r\nQUIT` }), p.password, 'Unknown');
    });
  });

  describe('certificates', () => {
    it('self-signed, not trusted (implicit TLS) → TlsUntrusted', async () => {
      await expectCode(verifyPop3, tls({ ca: undefined }), p.password, 'TlsUntrusted');
    });
    it('self-signed, not trusted (STLS) → TlsUntrusted', async () => {
      await expectCode(verifyPop3, stls({ ca: undefined }), p.password, 'TlsUntrusted');
    });
    it('expired → TlsExpired', async () => {
      await expectCode(verifyPop3, tls({ host: p.hosts.expired, ca: p.certs.ca }), p.password, 'TlsExpired');
    });
    it('expired over STLS → TlsExpired', async () => {
      await expectCode(verifyPop3, stls({ host: p.hosts.expired, ca: p.certs.ca }), p.password, 'TlsExpired');
    });
    it('hostname mismatch → TlsHostnameMismatch', async () => {
      await expectCode(verifyPop3, tls({ host: p.hosts.mismatch }), p.password, 'TlsHostnameMismatch');
    });
  });

  describe('network', () => {
    it('closed port → ConnectionRefused', async () => {
      await expectCode(verifyPop3, plain({ port: p.ports.closed }), p.password, 'ConnectionRefused');
    });
    it('unresolvable host → HostNotFound', async () => {
      await expectCode(verifyPop3, tls({ host: 'nohost.invalid', port: 995 }), p.password, 'HostNotFound');
    });
    it('silent server (no greeting) → Timeout within timeoutMs + 1 s', async () => {
      const r = await expectCode(verifyPop3, stls({ port: p.ports.silent }), p.password, 'Timeout', {
        timeoutMs: 1000,
      });
      assert.ok(r.elapsedMs >= 950, `waited the whole timeout (${r.elapsedMs.toFixed(0)} ms)`);
    });
    it('silent server during the TLS handshake → Timeout', async () => {
      await expectCode(verifyPop3, tls({ port: p.ports.silent }), p.password, 'Timeout', { timeoutMs: 1000 });
    });
    it('SYN-dropping listener → Timeout', async () => {
      await expectCode(verifyPop3, plain({ port: p.ports.synDrop }), p.password, 'Timeout', { timeoutMs: 1000 });
    });
    it('not a POP3 server (Exim) → ServerError', async () => {
      await expectCode(verifyPop3, plain({ port: p.ports.smtp }), p.password, 'ServerError');
    });
  });

  describe('resources', () => {
    it('leaves no socket open', async () => {
      const left = await socketsSettle(baseline);
      assert.ok(left <= baseline, `${left} sockets open, ${baseline} before the tests (now ${openSockets()})`);
    });
  });
});
