import { strict as assert } from 'node:assert';

import { verifySmtp } from '../../src/protocols/smtp/verifier.js';
import type { VerifySettings } from '../../src/protocols/common/types.js';
import type { Peers } from '../harness/peers.js';
import { expectCode, LOCAL, openSockets, peers, socketsSettle, wrong } from './fixture.js';

describe('SMTP verifier (Exim; Dovecot submission)', function () {
  this.timeout(30_000);
  let p: Peers;
  let baseline: number;
  // 587-style: STARTTLS required; 465-style: implicit TLS
  const starttls = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.smtp,
    security: 'starttls',
    username: p.user,
    ca: p.certs.selfSigned,
    ...extra,
  });
  const implicit = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.smtps,
    security: 'tls',
    username: p.user,
    ca: p.certs.selfSigned,
    ...extra,
  });

  before(async () => {
    p = await peers();
    baseline = await socketsSettle(0, 500);
  });

  describe('587-style submission with STARTTLS', () => {
    it('right password → Ok', async () => {
      await expectCode(verifySmtp, starttls(), p.password, 'Ok');
    });
    it('wrong password → Unauthorized', async () => {
      await expectCode(verifySmtp, starttls(), wrong(p.password), 'Unauthorized');
    });
    it('unknown user → Unauthorized', async () => {
      await expectCode(verifySmtp, starttls({ username: `nobody-${p.user}` }), p.password, 'Unauthorized');
    });
    it('self-signed, not trusted → TlsUntrusted', async () => {
      await expectCode(verifySmtp, starttls({ ca: undefined }), p.password, 'TlsUntrusted');
    });
    it('expired → TlsExpired', async () => {
      await expectCode(verifySmtp, starttls({ host: p.hosts.expired, ca: p.certs.ca }), p.password, 'TlsExpired');
    });
    it('hostname mismatch → TlsHostnameMismatch', async () => {
      await expectCode(verifySmtp, starttls({ host: p.hosts.mismatch }), p.password, 'TlsHostnameMismatch');
    });
  });

  describe('465-style implicit TLS', () => {
    it('right password → Ok', async () => {
      await expectCode(verifySmtp, implicit(), p.password, 'Ok');
    });
    it('right password over IPv6 (::1) → Ok', async () => {
      await expectCode(verifySmtp, implicit({ host: '::1' }), p.password, 'Ok');
    });
    it('wrong password → Unauthorized', async () => {
      await expectCode(verifySmtp, implicit(), wrong(p.password), 'Unauthorized');
    });
    it('CA-signed leaf trusted through the CA file → Ok', async () => {
      await expectCode(verifySmtp, implicit({ host: p.hosts.caSigned, ca: p.certs.ca }), p.password, 'Ok');
    });
    it('self-signed, not trusted → TlsUntrusted', async () => {
      await expectCode(verifySmtp, implicit({ ca: undefined }), p.password, 'TlsUntrusted');
    });
    it('expired → TlsExpired', async () => {
      await expectCode(verifySmtp, implicit({ host: p.hosts.expired, ca: p.certs.ca }), p.password, 'TlsExpired');
    });
    it('hostname mismatch → TlsHostnameMismatch', async () => {
      await expectCode(verifySmtp, implicit({ host: p.hosts.mismatch }), p.password, 'TlsHostnameMismatch');
    });
    it('implicit TLS dialled on the STARTTLS port → ConnectionFailed', async () => {
      await expectCode(verifySmtp, implicit({ port: p.ports.smtp }), p.password, 'ConnectionFailed');
    });
  });

  describe('plain (security none)', () => {
    it('right password → Ok', async () => {
      await expectCode(verifySmtp, starttls({ security: 'none', ca: undefined }), p.password, 'Ok');
    });
    it('wrong password → Unauthorized (AUTH is really checked)', async () => {
      await expectCode(verifySmtp, starttls({ security: 'none', ca: undefined }), wrong(p.password), 'Unauthorized');
    });
  });

  describe('Dovecot submission (a second implementation)', () => {
    it('STARTTLS, right password → Ok', async () => {
      await expectCode(verifySmtp, starttls({ port: p.ports.submission }), p.password, 'Ok');
    });
    it('implicit TLS, wrong password → Unauthorized', async () => {
      await expectCode(verifySmtp, implicit({ port: p.ports.submissions }), wrong(p.password), 'Unauthorized');
    });
  });

  describe('network', () => {
    it('closed port → ConnectionRefused', async () => {
      await expectCode(verifySmtp, implicit({ port: p.ports.closed }), p.password, 'ConnectionRefused');
    });
    it('unresolvable host → HostNotFound', async () => {
      await expectCode(verifySmtp, implicit({ host: 'nohost.invalid', port: 465 }), p.password, 'HostNotFound');
    });
    it('silent server (no greeting) → Timeout within timeoutMs + 1 s', async () => {
      const r = await expectCode(verifySmtp, starttls({ port: p.ports.silent }), p.password, 'Timeout', {
        timeoutMs: 1000,
      });
      assert.ok(r.elapsedMs >= 950, `waited the whole timeout (${r.elapsedMs.toFixed(0)} ms)`);
    });
    it('silent server during the TLS handshake → Timeout', async () => {
      await expectCode(verifySmtp, implicit({ port: p.ports.silent }), p.password, 'Timeout', { timeoutMs: 1000 });
    });
    it('SYN-dropping listener → Timeout', async () => {
      await expectCode(verifySmtp, implicit({ port: p.ports.synDrop }), p.password, 'Timeout', { timeoutMs: 1000 });
    });
  });

  describe('resources', () => {
    it('leaves no socket open', async () => {
      const left = await socketsSettle(baseline);
      assert.ok(left <= baseline, `${left} sockets open, ${baseline} before the tests (now ${openSockets()})`);
    });
  });
});
