import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { verifyProxy } from '../../src/protocols/proxy/verifier.js';
import type { VerifySettings } from '../../src/protocols/common/types.js';
import type { Peers } from '../harness/peers.js';
import { expectCode, LOCAL, openSockets, peers, socketsSettle, wrong } from './fixture.js';

describe('Proxy verifier (tinyproxy for HTTP, Dante for SOCKS5)', function () {
  this.timeout(30_000);
  let p: Peers;
  let baseline: number;
  const http = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.httpProxy,
    type: 'http',
    security: 'none',
    username: p.proxyUser,
    ...extra,
  });
  const socks = (extra: Partial<VerifySettings> = {}): VerifySettings => ({
    host: LOCAL,
    port: p.ports.socks,
    type: 'socks5',
    security: 'none',
    username: p.sftpUser,
    ...extra,
  });

  before(async () => {
    p = await peers();
    baseline = await socketsSettle(0, 500);
  });

  describe('HTTP CONNECT with Proxy-Authorization', () => {
    it('right credentials → Ok (the proxy went on to its own loopback target)', async () => {
      const r = await expectCode(verifyProxy, http(), p.proxyPassword, 'Ok');
      assert.match(r.message, /credentials taken/);
      // tinyproxy logs the CONNECT it was asked for: the target is loopback, never the internet
      const log = await readFile(join(p.dir, 'logs', 'tinyproxy.log'), 'utf8');
      assert.match(log, /127\.0\.0\.1:9/);
    });
    it('wrong password → Unauthorized', async () => {
      await expectCode(verifyProxy, http(), wrong(p.proxyPassword), 'Unauthorized');
    });
    it('not a proxy (Exim greets with SMTP) → ServerError quoting it', async () => {
      const r = await expectCode(verifyProxy, http({ port: p.ports.smtp }), p.proxyPassword, 'ServerError');
      assert.match(r.message, /not an HTTP proxy \(it said "220 /);
    });
  });

  describe('SOCKS5 with RFC 1929 user name and password', () => {
    it('right credentials → Ok', async () => {
      const r = await expectCode(verifyProxy, socks(), p.sftpPassword, 'Ok');
      assert.match(r.message, /SOCKS5 authentication succeeded/);
    });
    it('wrong password → Unauthorized', async () => {
      await expectCode(verifyProxy, socks(), wrong(p.sftpPassword), 'Unauthorized');
    });
    it('a server that is not SOCKS5 (Exim greets first) → ServerError', async () => {
      const r = await expectCode(verifyProxy, socks({ port: p.ports.smtp }), p.sftpPassword, 'ServerError');
      assert.match(r.message, /not a SOCKS5 proxy/);
    });
    it('an HTTP proxy asked for SOCKS5 waits for a request line → Timeout', async () => {
      await expectCode(verifyProxy, socks({ port: p.ports.httpProxy }), p.proxyPassword, 'Timeout', {
        timeoutMs: 1000,
      });
    });
  });

  describe('network', () => {
    it('closed port → ConnectionRefused', async () => {
      await expectCode(verifyProxy, http({ port: p.ports.closed }), p.proxyPassword, 'ConnectionRefused');
      await expectCode(verifyProxy, socks({ port: p.ports.closed }), p.sftpPassword, 'ConnectionRefused');
    });
    it('silent server → Timeout', async () => {
      await expectCode(verifyProxy, http({ port: p.ports.silent }), p.proxyPassword, 'Timeout', { timeoutMs: 1000 });
      await expectCode(verifyProxy, socks({ port: p.ports.silent }), p.sftpPassword, 'Timeout', { timeoutMs: 1000 });
    });
    it('unresolvable host → HostNotFound', async () => {
      await expectCode(verifyProxy, http({ host: 'nohost.invalid', port: 3128 }), p.proxyPassword, 'HostNotFound');
    });
  });

  describe('resources', () => {
    it('leaves no socket open', async () => {
      const left = await socketsSettle(baseline);
      assert.ok(left <= baseline, `${left} sockets open, ${baseline} before the tests (now ${openSockets()})`);
    });
  });
});
