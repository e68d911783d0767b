/**
 * Nextcloud through the real bus: Manager.SignIn('nextcloud', {server}) against the tests' own
 * Nextcloud STAND-IN (test/harness/peers/nextcloud-stand-in.ts: Login Flow v2 and the
 * app-password revocation as Nextcloud documents them, in front of the real Radicale and the
 * real Apache mod_dav). The test plays the browser by calling the stand-in's grant URL. One
 * account gets CalDAV, CardDAV and WebDAV of the server, Verify passes against the real
 * servers, Remove revokes the app password; the CLI prints the URL as for OAuth2.
 */
import { strict as assert } from 'node:assert';
import net from 'node:net';

import { ACCOUNT, MANAGER, ROOT, as, b, errorOf, s, type V } from '../harness/client.js';
import { useFixture } from '../harness/fixture.js';
import { startApacheDav, type ApacheDav } from '../harness/apache-dav.js';
import { startNextcloudStandIn, type NextcloudStandIn } from '../harness/peers/nextcloud-stand-in.js';
import { spawnCli } from '../cli/helpers.js';
import { readTree, waitFor } from '../harness/session.js';

const SIGN_IN = 'org.pantherx.Accounts.SignIn';
const WEBDAV = 'org.pantherx.Accounts.WebDav';
const CALDAV = 'org.pantherx.Accounts.CalDav';
const CARDDAV = 'org.pantherx.Accounts.CardDav';
const ERR = 'org.pantherx.Accounts.Error.';

describe('Nextcloud (Login Flow v2 against a stand-in in front of Radicale and Apache mod_dav)', function () {
  this.timeout(60_000);
  let dav: ApacheDav;
  let nc: NextcloudStandIn;

  const fx = useFixture({
    peers: ['radicale'],
    prepare: async (fx) => {
      dav = fx.own(await startApacheDav());
      const davUrl = new URL(dav.httpUrl);
      nc = fx.own(
        await startNextcloudStandIn({
          loginName: fx.peers.user,
          radicale: { port: fx.peers.ports.http, user: fx.peers.user, password: fx.peers.password },
          webdav: { port: Number(davUrl.port), path: davUrl.pathname, user: dav.user, password: dav.password },
        }),
      );
    },
    service: { env: { PX_ACCOUNTS_NEXTCLOUD_POLL_MS: '100' } },
  });

  /** Starts a sign-in and returns the request's path and login URL. */
  async function start(options: Record<string, V> = {}): Promise<{ path: string; url: string; from: number }> {
    const from = fx.client.signals.length;
    const [path] = await fx.client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', [
      'nextcloud',
      { server: s(nc.url), ...options },
    ]);
    const url = (await fx.client.get(path as string, SIGN_IN, 'Url')) as string;
    return { path: path as string, url, from };
  }
  const ended = (path: string, from: number) =>
    fx.client.waitSignal(
      (x) => x.path === path && x.iface === SIGN_IN && (x.member === 'Completed' || x.member === 'Failed'),
      20_000,
      from,
    );
  const accountOf = (path: string) => path.split('/').pop()!;

  it('ListProviders: nextcloud signs in with auth nextcloud and offers caldav, carddav and webdav', async () => {
    const [list] = await fx.client.call(ROOT, MANAGER, 'ListProviders');
    const p = (list as Array<Record<string, V>>).find((x) => x.id!.value === 'nextcloud');
    assert.ok(p, 'nextcloud is in the catalogue');
    assert.equal(p.auth!.value, 'nextcloud');
    assert.deepEqual(p.protocols!.value, ['caldav', 'carddav', 'webdav']);
  });

  it('ListProtocols: webdav with url, username and ca', async () => {
    const [list] = await fx.client.call(ROOT, MANAGER, 'ListProtocols');
    const p = (list as Array<Record<string, V>>).find((x) => x.id!.value === 'webdav');
    assert.ok(p);
    assert.equal(p.interface!.value, WEBDAV);
    const keys = (p.settings!.value as Array<Record<string, V>>).map((x) => x.key!.value);
    for (const k of ['url', 'username', 'ca']) assert.ok(keys.includes(k), k);
  });

  it('SignIn: Url is the login page; granting there creates one account with CalDAV, CardDAV and WebDAV of the server; Verify passes; Remove revokes the app password', async () => {
    const { path, url, from } = await start();
    assert.ok(url.startsWith(`${nc.url}/login/v2/flow/`), url);
    assert.equal(await fx.client.get(path, SIGN_IN, 'Flow'), 'browser');
    assert.equal(await fx.client.get(path, SIGN_IN, 'Provider'), 'nextcloud');
    const appPassword = await nc.grant(url);
    const end = await ended(path, from);
    assert.equal(end.member, 'Completed', JSON.stringify(end.body));
    const account = end.body[0] as string;
    const host = new URL(nc.url).host;

    const props = await fx.client.getAll(account, ACCOUNT);
    assert.equal(props.Provider, 'nextcloud');
    assert.equal(props.Username, `${fx.peers.user}@${host}`);
    assert.equal(props.Auth, 'password');
    assert.deepEqual(props.Protocols, ['caldav', 'carddav', 'webdav']);
    assert.deepEqual(props.Credentials, ['password']);
    const webdav = await fx.client.getAll(account, WEBDAV);
    assert.equal(webdav.Url, `${nc.url}/remote.php/dav/files/${fx.peers.user}/`);
    assert.equal(webdav.Username, fx.peers.user);
    for (const iface of [CALDAV, CARDDAV]) {
      const p = await fx.client.getAll(account, iface);
      assert.equal(p.Url, `${nc.url}/remote.php/dav`);
      assert.equal(p.Username, fx.peers.user);
    }
    // the app password is in the Secret Service, and nowhere on disk
    assert.equal((await fx.client.call(account, ACCOUNT, 'GetSecret', 's', ['password']))[0], appPassword);
    assert.ok(!readTree(fx.session.home).includes(appPassword), 'the app password is not in any file');
    assert.ok(!fx.service.log().includes(appPassword), 'the app password is not logged');
    assert.ok(
      nc.userAgents.every((ua) => /px-accounts/.test(ua)),
      'the login flow names the app',
    );

    const [results] = await fx.client.call(account, ACCOUNT, 'Verify');
    const r = results as Record<string, V>;
    assert.deepEqual(Object.keys(r).sort(), ['caldav', 'carddav', 'webdav']);
    for (const [p, v] of Object.entries(r)) {
      const x = v.value as Record<string, V>;
      assert.equal(x.code!.value, 'Ok', `${p}: ${String(x.message!.value)}`);
    }
    assert.equal(await fx.client.get(account, ACCOUNT, 'Status'), 'online');

    const before = nc.revocations.length;
    await fx.client.call(account, ACCOUNT, 'Remove');
    const revoked = await waitFor(
      'the app password revoked',
      () => nc.revocations.length > before && nc.revocations[nc.revocations.length - 1],
      10_000,
    );
    assert.equal(revoked.loginName, fx.peers.user);
    assert.equal(revoked.appPassword, appPassword);
    assert.equal(revoked.ocsHeader, true);
    assert.equal(revoked.status, 200);
    assert.ok(!nc.live.has(appPassword));
    void accountOf;
  });

  it('Remove does not wait for the revocation: a server that never answers leaves the removal instant and a log line', async () => {
    const silent = net.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const server = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    try {
      const dav = `${server}/remote.php/dav`;
      const account = await fx.client.addAccount(
        'nextcloud',
        `bob@127.0.0.1`,
        { password: 'hand-made-app-password' },
        {
          'caldav.url': s(dav),
          'caldav.username': s('bob'),
          'carddav.url': s(dav),
          'carddav.username': s('bob'),
          'webdav.url': s(`${dav}/files/bob/`),
          'webdav.username': s('bob'),
        },
      );
      const t0 = Date.now();
      await fx.client.call(account, ACCOUNT, 'Remove');
      assert.ok(Date.now() - t0 < 3000, `Remove took ${Date.now() - t0} ms`);
      await waitFor(
        'the revocation attempt',
        () => new Promise<boolean>((r) => silent.getConnections((_, n) => r(n > 0))),
        5000,
      );
      await waitFor(
        'the log line',
        () => /app password of bob at 127\.0\.0\.1:\d+ not revoked \(account .* removed\)/.test(fx.service.log()),
        25_000,
      );
      assert.ok(!fx.service.log().includes('hand-made-app-password'));
    } finally {
      silent.close();
    }
  });

  it('the same login again → Failed(Duplicate), and the second app password is revoked', async () => {
    const first = await start();
    await nc.grant(first.url);
    const done = await ended(first.path, first.from);
    assert.equal(done.member, 'Completed', JSON.stringify(done.body));
    const second = await start();
    const again = await nc.grant(second.url);
    const end = await ended(second.path, second.from);
    assert.equal(end.member, 'Failed');
    assert.equal(end.body[0], 'Duplicate');
    await waitFor(
      'the unkept app password revoked',
      () => nc.revocations.some((r) => r.appPassword === again && r.status === 200),
      10_000,
    );
    await fx.client.call(done.body[0] as string, ACCOUNT, 'Remove');
  });

  it('Cancel before the grant → Failed(Cancelled), nothing saved', async () => {
    const { path, from } = await start();
    const [list] = await fx.client.call(ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects');
    const count = Object.keys(list as object).length;
    await fx.client.call(path, SIGN_IN, 'Cancel');
    const end = await ended(path, from);
    assert.equal(end.member, 'Failed');
    assert.equal(end.body[0], 'Cancelled');
    const [after] = await fx.client.call(ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects');
    assert.equal(Object.keys(after as object).length, count);
  });

  it('option errors: no server, a plain-http server off loopback, an unknown option, the device flow → InvalidArgument', async () => {
    const call = (o: Record<string, V>) => errorOf(fx.client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['nextcloud', o]));
    assert.equal((await call({})).type, `${ERR}InvalidArgument`);
    const plain = await call({ server: s('http://cloud.example.org') });
    assert.equal(plain.type, `${ERR}InvalidArgument`);
    assert.match(plain.text, /https/);
    assert.equal((await call({ server: s(nc.url), account: s('x') })).type, `${ERR}InvalidArgument`);
    assert.equal((await call({ server: s(nc.url), flow: s('device') })).type, `${ERR}InvalidArgument`);
    assert.equal(
      (await call({ server: s(nc.url), verify: b(true), protocols: as(['imap']) })).type,
      `${ERR}UnsupportedProtocol`,
    );
  });

  it('a server that is not a Nextcloud (Apache) → ProviderError at once, naming it', async () => {
    const e = await errorOf(
      fx.client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['nextcloud', { server: s(new URL(dav.httpUrl).origin) }]),
    );
    assert.equal(e.type, `${ERR}ProviderError`);
    assert.match(e.text, /Login Flow v2|Nextcloud/);
  });

  it('with verify: every protocol is checked against the real servers before saving', async () => {
    const { path, url, from } = await start({ verify: b(true), protocols: as(['webdav']), name: s('Files only') });
    await nc.grant(url);
    const end = await ended(path, from);
    assert.equal(end.member, 'Completed', JSON.stringify(end.body));
    const account = end.body[0] as string;
    assert.deepEqual(await fx.client.get(account, ACCOUNT, 'Protocols'), ['webdav']);
    assert.equal(await fx.client.get(account, ACCOUNT, 'Name'), 'Files only');
    assert.equal(await fx.client.get(account, ACCOUNT, 'Status'), 'online');
    await fx.client.call(account, ACCOUNT, 'Remove');
  });

  it('the CLI: px-accounts add -provider nextcloud -server URL prints the login URL, waits for the grant and adds the account', async function () {
    this.timeout(40_000);
    const p = spawnCli(fx.session.env, ['add', '-provider', 'nextcloud', '-server', nc.url, '--no-browser', '--json']);
    const url = await p.line(/^\s+(http\S+)$/m);
    assert.ok(url.startsWith(`${nc.url}/login/v2/flow/`), url);
    const appPassword = await nc.grant(url);
    const r = await p.done;
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(r.stdout) as { id: string; protocols: string[]; credentials: string[] };
    assert.deepEqual(created.protocols, ['caldav', 'carddav', 'webdav']);
    assert.deepEqual(created.credentials, ['password']);
    const before = nc.revocations.length;
    const rm = await spawnCli(fx.session.env, ['remove', created.id]).done;
    assert.equal(rm.code, 0, rm.stderr);
    await waitFor(
      'the app password revoked',
      () => nc.revocations.slice(before).some((x) => x.appPassword === appPassword && x.status === 200),
      10_000,
    );
  });

  it('the CLI refuses --account with nextcloud (the server says who signed in)', async () => {
    const r = await spawnCli(fx.session.env, ['add', '-provider', 'nextcloud', '-server', nc.url, '-account', 'x'])
      .done;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /server/);
  });
});
