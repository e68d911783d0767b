/**
 * The WebDAV verifier against a real server: Apache httpd with mod_dav (Debian's apache2),
 * started once for the suite from a private configuration and stopped by its PID. Plain HTTP
 * and HTTPS with a certificate of a CA made at run time, trusted through the protocol's `ca`.
 */
import { strict as assert } from 'node:assert';

import { verifyWebDav } from '../../src/protocols/webdav/verifier.js';
import type { VerifySettings } from '../../src/protocols/common/types.js';
import { startApacheDav, type ApacheDav } from '../harness/apache-dav.js';
import { alive } from '../harness/process.js';
import { expectCode, wrong } from './fixture.js';

describe('WebDAV verifier (Apache mod_dav)', function () {
  this.timeout(30_000);
  let a: ApacheDav;
  const at = (url: string, extra: Partial<VerifySettings> = {}): VerifySettings => {
    const u = new URL(url);
    return {
      host: u.hostname,
      port: Number(u.port),
      security: u.protocol === 'https:' ? 'tls' : 'none',
      username: a.user,
      url,
      ...extra,
    };
  };

  before(async function () {
    this.timeout(60_000);
    a = await startApacheDav();
  });
  after(async function () {
    this.timeout(15_000);
    const pid = a?.pid;
    await a?.stop();
    if (pid) assert.equal(alive(pid), false, 'apache2 is stopped by its PID');
  });

  it('HTTP: right password → Ok, naming the folder', async () => {
    const r = await expectCode(verifyWebDav, at(a.httpUrl), a.password, 'Ok');
    assert.match(r.message, /WebDAV server 127\.0\.0\.1:\d+/);
    assert.match(r.message, /folder \/dav\//);
  });
  it('HTTP: a sub-folder → Ok', async () => {
    await expectCode(verifyWebDav, at(`${a.httpUrl}docs/`), a.password, 'Ok');
  });
  it('HTTP: wrong password → Unauthorized, and the message holds no secret', async () => {
    const bad = wrong(a.password);
    const r = await expectCode(verifyWebDav, at(a.httpUrl), bad, 'Unauthorized');
    assert.ok(!r.message.includes(bad));
    assert.ok(!r.message.includes(Buffer.from(`${a.user}:${bad}`).toString('base64')));
  });
  it('HTTP: unknown user → Unauthorized', async () => {
    await expectCode(verifyWebDav, at(a.httpUrl, { username: `nobody-${a.user}` }), a.password, 'Unauthorized');
  });
  it('HTTP: a folder that does not exist → ServerError naming it', async () => {
    const r = await expectCode(verifyWebDav, at(`${a.httpUrl}missing/`), a.password, 'ServerError');
    assert.match(r.message, /\/dav\/missing\//);
  });
  it('HTTP: a path without DAV → ServerError (not a WebDAV folder)', async () => {
    const u = new URL(a.httpUrl);
    const r = await expectCode(verifyWebDav, at(`http://127.0.0.1:${u.port}/`), a.password, 'ServerError');
    assert.match(r.message, /WebDAV|HTTP/);
  });
  it('HTTPS with the run-time CA as ca → Ok', async () => {
    await expectCode(verifyWebDav, at(a.httpsUrl, { ca: a.ca }), a.password, 'Ok');
  });
  it('HTTPS with the CA: wrong password → Unauthorized', async () => {
    await expectCode(verifyWebDav, at(a.httpsUrl, { ca: a.ca }), wrong(a.password), 'Unauthorized');
  });
  it('HTTPS without the CA → TlsUntrusted (the system store does not know it)', async () => {
    await expectCode(verifyWebDav, at(a.httpsUrl), a.password, 'TlsUntrusted');
  });
  it('HTTPS with another certificate as ca → TlsUntrusted', async () => {
    await expectCode(verifyWebDav, at(a.httpsUrl, { ca: a.otherCa }), a.password, 'TlsUntrusted');
  });
  it('plain HTTP to the HTTPS port → not a WebDAV answer, and nothing is Ok', async () => {
    const u = new URL(a.httpsUrl);
    const r = await verifyWebDav(at(`http://127.0.0.1:${u.port}/dav/`), a.password, { timeoutMs: 10_000 });
    assert.equal(r.ok, false);
  });
});
