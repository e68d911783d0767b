import { strict as assert } from 'node:assert';

import { verifyImap } from '../../src/protocols/imap/verifier.js';
import type { VerifySettings } from '../../src/protocols/common/types.js';
import { startLatencyProxy, type Peers } from '../harness/peers.js';
import { expectCode, LOCAL, openSockets, peers, socketsSettle, wrong } from './fixture.js';

describe('IMAP verifier (Dovecot)', function () {
  this.timeout(30_000);
  let p: Peers;
  let baseline: number;
  const plain = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.imap,
    security: 'none',
    username: p.user,
    ...extra,
  });
  const tls = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.imaps,
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
      await expectCode(verifyImap, plain(), p.password, 'Ok');
    });
    it('STARTTLS with the pinned self-signed certificate → Ok', async () => {
      await expectCode(verifyImap, plain({ security: 'starttls', ca: p.certs.selfSigned }), p.password, 'Ok');
    });
    it('implicit TLS with the pinned self-signed certificate → Ok', async () => {
      await expectCode(verifyImap, tls(), p.password, 'Ok');
    });
    it('implicit TLS over IPv6 (::1) → Ok', async () => {
      await expectCode(verifyImap, tls({ host: '::1' }), p.password, 'Ok');
    });
    it('implicit TLS to a CA-signed leaf, trusted through the CA file → Ok', async () => {
      await expectCode(verifyImap, tls({ host: p.hosts.caSigned, ca: p.certs.ca }), p.password, 'Ok');
    });
    it('implicit TLS dialled on the plain port → ConnectionFailed', async () => {
      await expectCode(verifyImap, tls({ port: p.ports.imap }), p.password, 'ConnectionFailed');
    });
  });

  describe('credentials', () => {
    it('wrong password → Unauthorized (plain)', async () => {
      await expectCode(verifyImap, plain(), wrong(p.password), 'Unauthorized');
    });
    it('wrong password → Unauthorized (TLS)', async () => {
      await expectCode(verifyImap, tls(), wrong(p.password), 'Unauthorized');
    });
    it('unknown user → Unauthorized', async () => {
      await expectCode(verifyImap, tls({ username: `nobody-${p.user}` }), p.password, 'Unauthorized');
    });
  });

  describe('folder (path)', () => {
    it('an existing folder → Ok', async () => {
      const r = await expectCode(verifyImap, tls({ path: p.imapFolder }), p.password, 'Ok');
      assert.match(r.message, new RegExp(p.imapFolder));
    });
    it('INBOX → Ok', async () => {
      await expectCode(verifyImap, plain({ path: 'INBOX' }), p.password, 'Ok');
    });
    it('a folder that does not exist → ServerError naming it', async () => {
      const r = await expectCode(verifyImap, tls({ path: 'No/Such/Folder' }), p.password, 'ServerError');
      assert.match(r.message, /No\/Such\/Folder/);
      assert.match(r.message, /does not exist/);
    });
  });

  describe('network', () => {
    it('closed port → ConnectionRefused', async () => {
      await expectCode(verifyImap, plain({ port: p.ports.closed }), p.password, 'ConnectionRefused');
    });
    it('unresolvable host → HostNotFound', async () => {
      await expectCode(verifyImap, tls({ host: 'nohost.invalid', port: 993 }), p.password, 'HostNotFound');
    });
    it('silent server → Timeout within timeoutMs + 1 s', async () => {
      const r = await expectCode(verifyImap, plain({ port: p.ports.silent }), p.password, 'Timeout', {
        timeoutMs: 1000,
      });
      assert.ok(r.elapsedMs >= 950, `waited the whole timeout (${r.elapsedMs.toFixed(0)} ms)`);
    });
    it('silent server during the TLS handshake → Timeout', async () => {
      await expectCode(verifyImap, tls({ port: p.ports.silent }), p.password, 'Timeout', { timeoutMs: 1000 });
    });
    it('SYN-dropping listener (TCP connect hangs) → Timeout', async () => {
      await expectCode(verifyImap, plain({ port: p.ports.synDrop }), p.password, 'Timeout', { timeoutMs: 1000 });
    });
  });

  describe('certificates', () => {
    it('self-signed, not trusted (implicit TLS) → TlsUntrusted', async () => {
      await expectCode(verifyImap, tls({ ca: undefined }), p.password, 'TlsUntrusted');
    });
    it('self-signed, not trusted (STARTTLS) → TlsUntrusted', async () => {
      await expectCode(verifyImap, plain({ security: 'starttls' }), p.password, 'TlsUntrusted');
    });
    it('CA-signed leaf without the CA file → TlsUntrusted', async () => {
      await expectCode(verifyImap, tls({ host: p.hosts.caSigned, ca: undefined }), p.password, 'TlsUntrusted');
    });
    it('expired → TlsExpired', async () => {
      await expectCode(verifyImap, tls({ host: p.hosts.expired, ca: p.certs.ca }), p.password, 'TlsExpired');
    });
    it('expired over STARTTLS → TlsExpired', async () => {
      await expectCode(
        verifyImap,
        plain({ host: p.hosts.expired, security: 'starttls', ca: p.certs.ca }),
        p.password,
        'TlsExpired',
      );
    });
    it('valid certificate for another name → TlsHostnameMismatch', async () => {
      await expectCode(verifyImap, tls({ host: p.hosts.mismatch }), p.password, 'TlsHostnameMismatch');
    });
    it('a CA file that does not exist → Unknown, naming the file', async () => {
      const r = await expectCode(verifyImap, tls({ ca: `${p.dir}/no-such-ca.pem` }), p.password, 'Unknown');
      assert.match(r.message, /no-such-ca\.pem/);
    });
  });

  describe('concurrency', () => {
    it('50 verifications at once run side by side (< 10 × one check)', async function () {
      this.timeout(60_000);
      // Over bare loopback a check is pure CPU (client, TLS, Dovecot) on 2 cores, so 50 of
      // them cannot overlap in a way a clock can see. A 25 ms one-way delay (RTT 50 ms, a
      // short real-world network) makes a check wait on the network like a real one; 50
      // checks that ran one after another would then take 50 × as long.
      const proxy = await startLatencyProxy({ host: LOCAL, port: p.ports.imaps }, 25);
      try {
        const s = tls({ port: proxy.port });
        await expectCode(verifyImap, s, p.password, 'Ok'); // warm-up
        const singles: number[] = [];
        for (let i = 0; i < 3; i++) singles.push((await expectCode(verifyImap, s, p.password, 'Ok')).elapsedMs);
        const one = Math.min(...singles);
        const t0 = performance.now();
        const results = await Promise.all(
          Array.from({ length: 50 }, () => verifyImap(s, p.password, { timeoutMs: 30_000 })),
        );
        const all = performance.now() - t0;
        assert.deepEqual(
          results.filter((r) => r.code !== 'Ok'),
          [],
          'every check succeeds',
        );
        assert.ok(
          all < 10 * one,
          `50 at once took ${all.toFixed(0)} ms, one check ${one.toFixed(0)} ms (ratio ${(all / one).toFixed(1)})`,
        );
      } finally {
        await proxy.close();
      }
    });
    it('50 verifications at once over bare loopback all succeed', async function () {
      this.timeout(60_000);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => verifyImap(tls(), p.password, { timeoutMs: 30_000 })),
      );
      assert.deepEqual(
        results.filter((r) => r.code !== 'Ok'),
        [],
      );
    });
  });

  describe('resources', () => {
    it('leaves no socket open', async () => {
      const left = await socketsSettle(baseline);
      assert.ok(left <= baseline, `${left} sockets open, ${baseline} before the tests (now ${openSockets()})`);
    });
  });
});
