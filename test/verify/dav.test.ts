import { strict as assert } from 'node:assert';

import { verifyCalDav, verifyCardDav } from '../../src/protocols/common/dav.js';
import type { Verifier, VerifySettings } from '../../src/protocols/common/types.js';
import type { Peers } from '../harness/peers.js';
import { expectCode, LOCAL, openSockets, peers, socketsSettle, wrong } from './fixture.js';

describe('CalDAV and CardDAV verifiers (Radicale)', function () {
  this.timeout(30_000);
  let p: Peers;
  let baseline: number;
  const http = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.http,
    security: 'none',
    username: p.user,
    ...extra,
  });
  const https = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.https,
    security: 'tls',
    username: p.user,
    ca: p.certs.selfSigned,
    ...extra,
  });

  before(async () => {
    p = await peers();
    baseline = await socketsSettle(0, 500);
  });

  for (const [name, verify] of [
    ['CalDAV', verifyCalDav],
    ['CardDAV', verifyCardDav],
  ] as Array<[string, Verifier]>) {
    describe(name, () => {
      it('HTTP: right password → Ok, naming the home it found', async () => {
        const r = await expectCode(verify, http(), p.password, 'Ok');
        assert.match(r.message, new RegExp(`/${p.user}/`));
      });
      it('HTTP: wrong password → Unauthorized', async () => {
        await expectCode(verify, http(), wrong(p.password), 'Unauthorized');
      });
      it('HTTP: unknown user → Unauthorized', async () => {
        await expectCode(verify, http({ username: `nobody-${p.user}` }), p.password, 'Unauthorized');
      });
      it('HTTPS (pinned certificate): right password → Ok', async () => {
        await expectCode(verify, https(), p.password, 'Ok');
      });
      it('HTTPS: wrong password → Unauthorized', async () => {
        await expectCode(verify, https(), wrong(p.password), 'Unauthorized');
      });
      it('HTTPS over IPv6 (::1) → Ok', async () => {
        await expectCode(verify, https({ host: '::1' }), p.password, 'Ok');
      });
      it('HTTPS: self-signed, not trusted → TlsUntrusted', async () => {
        await expectCode(verify, https({ ca: undefined }), p.password, 'TlsUntrusted');
      });
      it('HTTPS: expired → TlsExpired', async () => {
        await expectCode(verify, https({ host: p.hosts.expired, ca: p.certs.ca }), p.password, 'TlsExpired');
      });
      it('HTTPS: hostname mismatch → TlsHostnameMismatch', async () => {
        await expectCode(verify, https({ host: p.hosts.mismatch }), p.password, 'TlsHostnameMismatch');
      });
    });
  }

  describe('discovery from url and path', () => {
    it('an explicit url (with a path) → Ok', async () => {
      await expectCode(verifyCalDav, http({ url: `http://${LOCAL}:${p.ports.http}/${p.user}/` }), p.password, 'Ok');
    });
    it('an explicit https url → Ok', async () => {
      await expectCode(verifyCardDav, https({ url: `https://localhost:${p.ports.https}/` }), p.password, 'Ok', {
        shownHost: 'localhost',
      });
    });
    it('messages name the server of the url', async () => {
      await expectCode(
        verifyCalDav,
        http({ url: `http://${LOCAL}:${p.ports.closed}/` }),
        p.password,
        'ConnectionRefused',
        { shownPort: p.ports.closed },
      );
    });
    it('a path without a leading slash → Ok', async () => {
      await expectCode(verifyCardDav, http({ path: `${p.user}/` }), p.password, 'Ok');
    });
    it('an invalid url → Unknown', async () => {
      await expectCode(verifyCalDav, http({ url: 'not a url' }), p.password, 'Unknown');
    });
  });

  describe('network', () => {
    it('closed port → ConnectionRefused', async () => {
      await expectCode(verifyCalDav, http({ port: p.ports.closed }), p.password, 'ConnectionRefused');
    });
    it('unresolvable host → HostNotFound', async () => {
      await expectCode(verifyCardDav, https({ host: 'nohost.invalid', port: 443 }), p.password, 'HostNotFound');
    });
    it('silent server (no HTTP answer) → Timeout within timeoutMs + 1 s', async () => {
      const r = await expectCode(verifyCalDav, http({ port: p.ports.silent }), p.password, 'Timeout', {
        timeoutMs: 1000,
      });
      assert.ok(r.elapsedMs >= 950, `waited the whole timeout (${r.elapsedMs.toFixed(0)} ms)`);
    });
    it('silent server during the TLS handshake → Timeout', async () => {
      await expectCode(verifyCardDav, https({ port: p.ports.silent }), p.password, 'Timeout', { timeoutMs: 1000 });
    });
    it('SYN-dropping listener → Timeout', async () => {
      await expectCode(verifyCalDav, http({ port: p.ports.synDrop }), p.password, 'Timeout', { timeoutMs: 1000 });
    });
    it('not an HTTP server (Exim) → ServerError', async () => {
      await expectCode(verifyCalDav, http({ port: p.ports.smtp }), p.password, 'ServerError');
    });
  });

  describe('resources', () => {
    it('leaves no socket open', async () => {
      const left = await socketsSettle(baseline);
      assert.ok(left <= baseline, `${left} sockets open, ${baseline} before the tests (now ${openSockets()})`);
    });
  });
});
