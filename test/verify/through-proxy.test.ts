// Every protocol that can be reached through a parent proxy (Account.Parent), each verifier with
// VerifyOptions.proxy against the real servers through the real tinyproxy (HTTP CONNECT) and
// Dante (SOCKS5): Ok, the server's own refusal of a wrong password, the proxy's log showing the
// connection; the proxy's failures as ConnectionFailed naming the proxy; no socket left open.
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { verifyImap } from '../../src/protocols/imap/verifier.js';
import { verifySmtp } from '../../src/protocols/smtp/verifier.js';
import { verifyPop3 } from '../../src/protocols/pop3/verifier.js';
import { verifySftp } from '../../src/protocols/sftp/verifier.js';
import { verifyCalDav } from '../../src/protocols/common/dav.js';
import { verifyWebDav } from '../../src/protocols/webdav/verifier.js';
import type { ProxyRoute, Verifier, VerifyCode, VerifySettings } from '../../src/protocols/common/types.js';
import type { Peers } from '../harness/peers.js';
import { assertNoSecret, LOCAL, peers, socketsSettle, wrong } from './fixture.js';

const TIMEOUT_MS = 8000;

describe('verifiers through a parent proxy (tinyproxy, Dante)', function () {
  this.timeout(30_000);
  let p: Peers;
  let baseline: number;
  const httpProxy = (): ProxyRoute => ({
    name: 'tinyproxy',
    type: 'http',
    host: LOCAL,
    port: p.ports.httpProxy,
    username: p.proxyUser,
    password: p.proxyPassword,
  });
  const socksProxy = (): ProxyRoute => ({
    name: 'Dante',
    type: 'socks5',
    host: LOCAL,
    port: p.ports.socks,
    username: p.sftpUser,
    password: p.sftpPassword,
  });

  before(async () => {
    p = await peers();
    baseline = await socketsSettle(0, 500);
  });
  after(async () => {
    assert.ok((await socketsSettle(baseline)) <= baseline, 'every socket of the checks is closed');
  });

  async function check(
    verify: Verifier,
    settings: VerifySettings,
    secret: string,
    proxy: ProxyRoute,
    code: VerifyCode,
  ): Promise<string> {
    const r = await verify(settings, secret, { timeoutMs: TIMEOUT_MS, proxy });
    assert.equal(r.code, code, r.message);
    assertNoSecret(r.message, secret);
    assertNoSecret(r.message, proxy.password);
    return r.message;
  }
  /** The proxy's log names the server's port (tinyproxy: host:port, Dante: host.port). */
  async function logged(proxy: ProxyRoute, port: number): Promise<void> {
    const log = await readFile(join(p.dir, 'logs', proxy.type === 'socks5' ? 'danted.log' : 'tinyproxy.log'), 'utf8');
    assert.match(
      log,
      new RegExp(`127\\.0\\.0\\.1${proxy.type === 'socks5' ? '\\.' : ':'}${port}(?!\\d)`),
      `the ${proxy.name} log names port ${port}`,
    );
  }

  const cases: Array<[string, Verifier, () => VerifySettings, () => string]> = [
    [
      'IMAP plain',
      verifyImap,
      () => ({ host: LOCAL, port: p.ports.imap, security: 'none', username: p.user }),
      () => p.password,
    ],
    [
      'IMAP STARTTLS',
      verifyImap,
      () => ({ host: LOCAL, port: p.ports.imap, security: 'starttls', username: p.user, ca: p.certs.selfSigned }),
      () => p.password,
    ],
    [
      'SMTP STARTTLS (Exim)',
      verifySmtp,
      () => ({ host: LOCAL, port: p.ports.smtp, security: 'starttls', username: p.user, ca: p.certs.selfSigned }),
      () => p.password,
    ],
    [
      'SMTP implicit TLS (Exim)',
      verifySmtp,
      () => ({ host: LOCAL, port: p.ports.smtps, security: 'tls', username: p.user, ca: p.certs.selfSigned }),
      () => p.password,
    ],
    [
      'POP3 plain',
      verifyPop3,
      () => ({ host: LOCAL, port: p.ports.pop3, security: 'none', username: p.user }),
      () => p.password,
    ],
    [
      'POP3 STLS',
      verifyPop3,
      () => ({ host: LOCAL, port: p.ports.pop3, security: 'starttls', username: p.user, ca: p.certs.selfSigned }),
      () => p.password,
    ],
    [
      'POP3 implicit TLS',
      verifyPop3,
      () => ({ host: LOCAL, port: p.ports.pop3s, security: 'tls', username: p.user, ca: p.certs.selfSigned }),
      () => p.password,
    ],
    [
      'CalDAV over HTTP (Radicale)',
      verifyCalDav,
      () => ({ host: LOCAL, port: p.ports.http, security: 'none', username: p.user }),
      () => p.password,
    ],
    [
      'CalDAV over HTTPS (Radicale)',
      verifyCalDav,
      () => ({ host: LOCAL, port: p.ports.https, security: 'tls', username: p.user, ca: p.certs.selfSigned }),
      () => p.password,
    ],
    [
      'WebDAV PROPFIND (Radicale)',
      verifyWebDav,
      () => ({
        host: LOCAL,
        port: p.ports.http,
        security: 'none',
        username: p.user,
        url: `http://${LOCAL}:${p.ports.http}/${p.user}/`,
      }),
      () => p.password,
    ],
    [
      'SFTP',
      verifySftp,
      () => ({ host: LOCAL, port: p.ports.ssh, security: 'none', username: p.sftpUser }),
      () => p.sftpPassword,
    ],
  ];

  for (const [name, verify, settings, secret] of cases) {
    for (const [kind, proxy] of [
      ['HTTP CONNECT', httpProxy],
      ['SOCKS5', socksProxy],
    ] as const) {
      it(`${name} through ${kind}: Ok, the proxy's log shows it; a wrong password is the server's refusal`, async () => {
        const s = settings();
        await check(verify, s, secret(), proxy(), 'Ok');
        await logged(proxy(), s.port);
        await check(verify, s, wrong(secret()), proxy(), 'Unauthorized');
      });
    }
  }

  it("the proxy's failures are ConnectionFailed naming the proxy: credentials refused, nothing listening", async () => {
    const imap: VerifySettings = { host: LOCAL, port: p.ports.imap, security: 'none', username: p.user };
    for (const proxy of [
      { ...httpProxy(), password: wrong(p.proxyPassword) },
      { ...socksProxy(), password: wrong(p.sftpPassword) },
    ]) {
      assert.match(
        await check(verifyImap, imap, p.password, proxy, 'ConnectionFailed'),
        new RegExp(`through the proxy ${proxy.name} \\(127\\.0\\.0\\.1:${proxy.port}\\)`),
      );
    }
    assert.match(
      await check(
        verifyImap,
        imap,
        p.password,
        { ...httpProxy(), password: wrong(p.proxyPassword) },
        'ConnectionFailed',
      ),
      /refused its credentials \(401\)/,
    );
    for (const proxy of [
      { ...httpProxy(), port: p.ports.closed },
      { ...socksProxy(), port: p.ports.closed },
    ]) {
      assert.match(
        await check(
          verifySmtp,
          { host: LOCAL, port: p.ports.smtp, security: 'starttls', username: p.user, ca: p.certs.selfSigned },
          p.password,
          proxy,
          'ConnectionFailed',
        ),
        /through the proxy/,
      );
    }
    // tinyproxy only connects to the ports it is told: its refusal is the proxy's, not the server's
    assert.match(
      await check(verifyImap, { ...imap, port: p.ports.ftp }, p.password, httpProxy(), 'ConnectionFailed'),
      /would not connect to 127\.0\.0\.1:\d+ \(403/,
    );
  });
});
