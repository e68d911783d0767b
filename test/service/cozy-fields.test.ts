/**
 * Cozy's fields through the real bus, against the real Dovecot, tinyproxy and Dante: muted
 * errors (no AttentionNeeded, no notification, until another kind of failure), apps' data (each
 * app its own keys, a fake Flatpak with a grant among them; capped), and accounts reached
 * through a parent proxy (the proxies' own logs show the connection) or waiting for it.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { ACCOUNT, MANAGER, PROPS, ROOT, Variant, b, errorOf, q, s, type V } from '../harness/client.js';
import { flatpakCall } from '../harness/flatpak.js';
import { waitFor } from '../harness/session.js';
import { uniqueUser, useFixture } from '../harness/fixture.js';

const ERR = 'org.pantherx.Accounts.Error.';

describe("Cozy's fields: muted errors, apps' data, parent accounts (the real Dovecot, tinyproxy and Dante)", function () {
  this.timeout(60_000);
  // Servers of its own: the proxies' logs are read for this suite's connections only.
  // Background checks off: every check here is one the test asked for (or a parent's change caused).
  const fx = useFixture({
    peers: ['dovecot', 'tinyproxy', 'dante'],
    notifications: true,
    service: { args: ['--no-background-check'] },
  });

  const idOf = (path: string) => path.split('/').pop()!;
  const imapOptions = (extra: Record<string, V> = {}): Record<string, V> => ({
    'imap.host': s('127.0.0.1'),
    'imap.port': q(fx.peers.ports.imap),
    'imap.security': s('none'),
    'imap.username': s(fx.peers.user),
    ...extra,
  });
  const addImap = (password: string, extra: Record<string, V> = {}) =>
    fx.client.addAccount('imap', uniqueUser('cozy'), { password }, imapOptions(extra));
  const get = (path: string, prop: string) => fx.client.get(path, ACCOUNT, prop);
  const verify = async (path: string) => (await fx.client.call(path, ACCOUNT, 'Verify'))[0] as Record<string, V>;
  const fileOf = (path: string) => readFileSync(join(fx.session.accountsDir, `${idOf(path)}.ini`), 'utf8');
  const attentionSignals = (path: string, from: number) =>
    fx.client.signals
      .slice(from)
      .filter(
        (x) =>
          x.path === path &&
          x.member === 'PropertiesChanged' &&
          (x.body[1] as Record<string, V>).AttentionNeeded !== undefined,
      );
  /** Proof that nothing was told about `quiet`: a notification about another account arrives, and it is the only one since `from`. */
  async function onlyToldAbout(told: string, from: number): Promise<void> {
    await verify(told);
    await fx.notes.waitFor(from + 1);
    assert.deepEqual(
      fx.notes.received.slice(from).map((n) => n.hints['x-px-accounts-account']),
      [idOf(told)],
    );
  }

  describe('MuteError / UnmuteError', () => {
    it('a muted refused password raises no AttentionNeeded and no notification; a different failure ends the mute and the next refusal is told', async () => {
      const muted = await addImap(`${fx.peers.password}-wrong`);
      await fx.client.call(muted, ACCOUNT, 'MuteError', 's', ['Unauthorized']);
      assert.deepEqual(await get(muted, 'MutedErrors'), ['Unauthorized']);
      assert.match(fileOf(muted), /^muted = Unauthorized$/m);

      const signalsFrom = fx.client.signals.length;
      const notesFrom = fx.notes.received.length;
      const r = await verify(muted);
      assert.equal((r.imap!.value as Record<string, V>).code!.value, 'Unauthorized');
      assert.equal(await get(muted, 'Status'), 'error', 'the status still says what happened');
      assert.equal(await get(muted, 'AttentionNeeded'), false);
      const other = await addImap(`${fx.peers.password}-wrong`);
      await onlyToldAbout(other, notesFrom);
      assert.deepEqual(
        attentionSignals(muted, signalsFrom),
        [],
        'no AttentionNeeded change announced for the muted account',
      );

      // a different kind of failure (a certificate, not the network) ends the mute
      await fx.client.call(muted, ACCOUNT, 'Update', 'a{sv}', [
        {
          'imap.host': s(fx.peers.hosts.expired),
          'imap.port': q(fx.peers.ports.imaps),
          'imap.security': s('tls'),
          'imap.ca': s(fx.peers.certs.ca),
        },
      ]);
      const tlsFailed = await verify(muted);
      assert.equal((tlsFailed.imap!.value as Record<string, V>).code!.value, 'TlsExpired');
      assert.deepEqual(await get(muted, 'MutedErrors'), []);
      assert.doesNotMatch(fileOf(muted), /muted/);

      // the refused password again: told, as for any account
      const before = fx.notes.received.length;
      await fx.client.call(muted, ACCOUNT, 'Update', 'a{sv}', [imapOptions()]);
      await verify(muted);
      assert.equal(await get(muted, 'AttentionNeeded'), true);
      await fx.notes.waitFor(before + 1);
      assert.deepEqual(
        fx.notes.received.slice(before).map((n) => n.hints['x-px-accounts-account']),
        [idOf(muted)],
      );
      await fx.client.call(muted, ACCOUNT, 'Remove');
      await fx.client.call(other, ACCOUNT, 'Remove');
    });

    it('muting the trouble the account has clears AttentionNeeded; a network failure does not end a mute; unmute, and bad codes refused', async () => {
      const path = await addImap(`${fx.peers.password}-wrong`);
      await verify(path);
      assert.equal(await get(path, 'AttentionNeeded'), true);
      await fx.client.call(path, ACCOUNT, 'MuteError', 's', ['Unauthorized']);
      assert.equal(await get(path, 'AttentionNeeded'), false);
      await fx.client.call(path, ACCOUNT, 'MuteError', 's', ['Unauthorized']); // again: nothing changes
      await fx.client.call(path, ACCOUNT, 'MuteError', 's', ['ServerError']);
      assert.deepEqual(await get(path, 'MutedErrors'), ['Unauthorized', 'ServerError']);

      await fx.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.port': q(fx.peers.ports.closed) }]);
      await verify(path);
      assert.equal(await get(path, 'Status'), 'offline');
      assert.deepEqual(
        await get(path, 'MutedErrors'),
        ['Unauthorized', 'ServerError'],
        'the server was not reached: nothing new about it',
      );

      await fx.client.call(path, ACCOUNT, 'UnmuteError', 's', ['ServerError']);
      await fx.client.call(path, ACCOUNT, 'UnmuteError', 's', ['Timeout']); // not muted: nothing changes
      assert.deepEqual(await get(path, 'MutedErrors'), ['Unauthorized']);
      for (const bad of ['Ok', 'unauthorized', '', 'x'.repeat(5000)]) {
        assert.equal(
          (await errorOf(fx.client.call(path, ACCOUNT, 'MuteError', 's', [bad]))).type,
          `${ERR}InvalidArgument`,
        );
      }
      assert.deepEqual(await get(path, 'MutedErrors'), ['Unauthorized']);
      await fx.client.call(path, ACCOUNT, 'Remove');
    });
  });

  describe('SetData', () => {
    const APP = 'org.example.Notes';
    it('each app writes its own keys, prefixed with its name: this host app and a sandboxed app with a grant; refused without one', async () => {
      const path = await addImap(fx.peers.password);
      const id = idOf(path);
      await fx.client.call(path, ACCOUNT, 'SetData', 'ss', ['folder', 'INBOX/Work']);
      const mine = Object.keys((await get(path, 'Data')) as Record<string, string>);
      assert.equal(mine.length, 1);
      assert.match(mine[0]!, /^\/.+:folder$/, `a host app is named by its executable path: ${mine[0]}`);

      const set = (key: string, value: string) =>
        flatpakCall(fx.session, APP, ['--object-path', path, '--method', `${ACCOUNT}.SetData`, key, value]);
      const refused = await set('last_sync', '2026-12-05');
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /AccessDenied/);
      await fx.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [id, APP]);
      const ok = await set('last_sync', '2026-12-05T12:00:00Z');
      assert.equal(ok.code, 0, ok.stderr);
      const colon = await set(`${mine[0]!.split(':')[0]}:folder`, 'mine now');
      assert.match(colon.stderr, /InvalidArgument/, 'a key naming another app is refused');
      const data = (await get(path, 'Data')) as Record<string, string>;
      assert.deepEqual(data, { [mine[0]!]: 'INBOX/Work', [`${APP}:last_sync`]: '2026-12-05T12:00:00Z' });
      assert.match(
        fileOf(path),
        new RegExp(`\\[data\\][\\s\\S]*${APP.replace(/\./g, '\\.')}:last_sync = 2026-12-05T12:00:00Z`),
      );

      // removing: an app's own key only
      assert.equal((await set('folder', '')).code, 0, 'removing a key the app does not have changes nothing');
      assert.deepEqual(await get(path, 'Data'), data);
      assert.equal((await set('last_sync', '')).code, 0);
      assert.deepEqual(Object.keys((await get(path, 'Data')) as object), [mine[0]]);
      await fx.client.call(path, ACCOUNT, 'Remove');
    });

    it("caps a value and an app's share of the account with LimitExceeded, changing nothing", async () => {
      const path = await addImap(fx.peers.password);
      const setData = (key: string, value: string) => fx.client.call(path, ACCOUNT, 'SetData', 'ss', [key, value]);
      assert.equal((await errorOf(setData('big', 'x'.repeat(1025)))).type, `${ERR}LimitExceeded`);
      for (const bad of ['', 'a:b', 'a b', 'x'.repeat(65)])
        assert.equal((await errorOf(setData(bad, 'v'))).type, `${ERR}InvalidArgument`);
      assert.equal((await errorOf(setData('nl', 'a\nb'))).type, `${ERR}InvalidArgument`);
      let n = 0;
      const error = await errorOf(
        (async () => {
          for (; ; n++) await setData(`k${n}`, 'x'.repeat(1000));
        })(),
      );
      assert.equal(error.type, `${ERR}LimitExceeded`);
      const data = (await get(path, 'Data')) as Record<string, string>;
      assert.equal(Object.keys(data).length, n, 'the note over the cap was not kept');
      assert.ok(n >= 2 && n <= 4, `${n} notes of 1000 bytes fit in one app's 4 KiB share with their keys`);
      await fx.client.call(path, ACCOUNT, 'Remove');
    });
  });

  describe('Parent', () => {
    let http: string;
    let socks: string;
    before(async () => {
      http = await fx.client.addAccount(
        'proxy',
        uniqueUser('http'),
        { password: fx.peers.proxyPassword },
        {
          name: s('Office proxy'),
          'proxy.host': s('127.0.0.1'),
          'proxy.port': q(fx.peers.ports.httpProxy),
          'proxy.type': s('http'),
          'proxy.username': s(fx.peers.proxyUser),
        },
      );
      socks = await fx.client.addAccount(
        'proxy',
        uniqueUser('socks'),
        { password: fx.peers.sftpPassword },
        {
          name: s('Dante'),
          'proxy.host': s('127.0.0.1'),
          'proxy.port': q(fx.peers.ports.socks),
          'proxy.type': s('socks5'),
          'proxy.username': s(fx.peers.sftpUser),
        },
      );
      await verify(http);
      await verify(socks);
      assert.equal(await get(http, 'Status'), 'online');
      assert.equal(await get(socks, 'Status'), 'online');
    });

    it("an IMAP account behind tinyproxy: its check goes through the proxy (tinyproxy's log shows the CONNECT)", async () => {
      const log = join(fx.peers.dir, 'logs', 'tinyproxy.log');
      const path = await addImap(fx.peers.password, { parent: s(idOf(http)) });
      assert.equal(await get(path, 'Parent'), http);
      assert.match(fileOf(path), new RegExp(`^parent = ${idOf(http)}$`, 'm'));
      const r = await verify(path);
      assert.equal((r.imap!.value as Record<string, V>).code!.value, 'Ok', JSON.stringify(r));
      assert.equal(await get(path, 'Status'), 'online');
      await waitFor(
        "tinyproxy's log names the connection",
        () => readFileSync(log, 'utf8').includes(`127.0.0.1:${fx.peers.ports.imap}`),
        5000,
      );
      // the wrong password, through the proxy: the server's refusal, told as usual
      await fx.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', `${fx.peers.password}-wrong`]);
      const refused = await verify(path);
      assert.equal((refused.imap!.value as Record<string, V>).code!.value, 'Unauthorized');
      await fx.client.call(path, ACCOUNT, 'Remove');
    });

    it("an IMAP account (implicit TLS) behind Dante's SOCKS5: Dante's log shows the connection", async () => {
      const log = join(fx.peers.dir, 'logs', 'danted.log');
      const path = await addImap(fx.peers.password, {
        parent: s(idOf(socks)),
        'imap.host': s(fx.peers.hosts.caSigned),
        'imap.port': q(fx.peers.ports.imaps),
        'imap.security': s('tls'),
        'imap.ca': s(fx.peers.certs.ca),
      });
      const r = await verify(path);
      assert.equal((r.imap!.value as Record<string, V>).code!.value, 'Ok', JSON.stringify(r));
      await waitFor(
        "Dante's log names the connection",
        () => readFileSync(log, 'utf8').includes(`${fx.peers.hosts.caSigned}.${fx.peers.ports.imaps}`),
        5000,
      );
      await fx.client.call(path, ACCOUNT, 'Remove');
    });

    it('a pinned certificate behind tinyproxy: the question what the server presents goes through the proxy too, never around it (red team)', async () => {
      const host = fx.peers.hosts.caSigned;
      const port = fx.peers.ports.imaps;
      const log = join(fx.peers.dir, 'logs', 'tinyproxy.log');
      const connects = () =>
        readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l.includes(`CONNECT ${host}:${port} `)).length;
      // what Dovecot presents, as the test sees it itself; its CA is not trusted (no imap.ca)
      const fp = await new Promise<string>((resolve, reject) => {
        const sock = tls.connect({ host, port, rejectUnauthorized: false }, () => {
          resolve(`sha256:${createHash('sha256').update(sock.getPeerCertificate().raw).digest('hex')}`);
          sock.destroy();
        });
        sock.on('error', reject);
      });
      const path = await addImap(fx.peers.password, {
        parent: s(idOf(http)),
        'imap.host': s(host),
        'imap.port': q(port),
        'imap.security': s('tls'),
      });
      const untrusted = (await verify(path)).imap!.value as Record<string, V>;
      assert.equal(untrusted.code!.value, 'TlsUntrusted', JSON.stringify(untrusted));
      await fx.client.call(path, ACCOUNT, 'Update', 'a{sv}', [
        { certificates: new Variant('a{ss}', { [`${host}:${port}`]: fp }) },
      ]);
      const before = connects();
      const pinned = (await verify(path)).imap!.value as Record<string, V>;
      assert.equal(pinned.code!.value, 'Ok', JSON.stringify(pinned));
      // the first check with the pin asks the server once (through the proxy), then checks (through it too)
      assert.equal(connects() - before, 2, 'the pin probe and the check both went through the proxy');
      const again = connects();
      assert.equal(((await verify(path)).imap!.value as Record<string, V>).code!.value, 'Ok');
      assert.equal(connects() - again, 1, 'the pinned certificate is remembered: one connection, through the proxy');
      await fx.client.call(path, ACCOUNT, 'Remove');
    });

    it('a proxy that refuses its credentials: the account is offline naming the proxy, no AttentionNeeded', async () => {
      const bad = await fx.client.addAccount(
        'proxy',
        uniqueUser('badproxy'),
        { password: `${fx.peers.proxyPassword}-wrong` },
        {
          name: s('Wrong proxy'),
          'proxy.host': s('127.0.0.1'),
          'proxy.port': q(fx.peers.ports.httpProxy),
          'proxy.type': s('http'),
          'proxy.username': s(fx.peers.proxyUser),
        },
      );
      // online as far as the service knows (an app reported it), but its password is wrong
      await fx.client.call(bad, ACCOUNT, 'ReportStatus', 'ss', ['online', '']);
      const path = await addImap(fx.peers.password, { parent: s(idOf(bad)) });
      const r = (await verify(path)).imap!.value as Record<string, V>;
      assert.equal(r.code!.value, 'ConnectionFailed');
      assert.match(String(r.message!.value), /through the proxy Wrong proxy .*credentials/);
      assert.ok(!String(r.message!.value).includes(fx.peers.proxyPassword), 'no secret in a message');
      assert.equal(await get(path, 'Status'), 'offline');
      assert.equal(await get(path, 'AttentionNeeded'), false);
      await fx.client.call(path, ACCOUNT, 'Remove');
      await fx.client.call(bad, ACCOUNT, 'Remove');
    });

    it('while the parent is not online: "needs <parent>", no check and no AttentionNeeded; checked again when it is back', async () => {
      const path = await addImap(`${fx.peers.password}-wrong`, { parent: s(idOf(http)) });
      const from = fx.client.signals.length;
      await fx.client.call(http, ACCOUNT, 'ReportStatus', 'ss', ['offline', 'disconnected']);
      await fx.client.waitSignal(
        (x) => x.path === path && x.member === 'StatusChanged' && x.body[1] === 'needs Office proxy',
        3000,
        from,
      );
      assert.equal(await get(path, 'Status'), 'offline');
      const r = (await verify(path)).imap!.value as Record<string, V>;
      assert.equal(r.code!.value, 'Unavailable');
      assert.equal(r.message!.value, 'needs Office proxy');
      assert.equal(await get(path, 'AttentionNeeded'), false, 'the wrong password was never tried');

      // the parent online again: the child is checked (and now its wrong password is found)
      const back = fx.client.signals.length;
      await fx.client.call(http, ACCOUNT, 'ReportStatus', 'ss', ['online', '']);
      await fx.client.waitSignal(
        (x) => x.path === path && x.member === 'StatusChanged' && x.body[0] === 'error',
        10_000,
        back,
      );
      assert.equal(await get(path, 'AttentionNeeded'), true);
      await fx.client.call(path, ACCOUNT, 'Remove');
    });

    it("a sandboxed app needs a grant on a parent it names (red team: a port scanner through the person's proxy); unsaved checks wait for an online parent", async () => {
      const APP = 'org.example.Evil';
      const log = join(fx.peers.dir, 'logs', 'tinyproxy.log');
      const proxyId = idOf(http);
      // a target only these calls name: tinyproxy's log would show it
      const target = `'imap.host': <'127.0.0.9'>, 'imap.port': <uint16 ${fx.peers.ports.imap}>, 'imap.security': <'none'>, 'imap.username': <'${fx.peers.user}'>`;
      const fp = (args: string[]) => flatpakCall(fx.session, APP, args);
      const add = (verifyIt: boolean) =>
        fp([
          '--object-path',
          ROOT,
          '--method',
          `${MANAGER}.AddAccount`,
          'imap',
          uniqueUser('evil'),
          `{'password': '${fx.peers.password}'}`,
          `{'parent': <'${proxyId}'>, ${target}, 'verify': <${verifyIt}>}`,
        ]);
      const validate = () =>
        fp([
          '--object-path',
          ROOT,
          '--method',
          `${MANAGER}.ValidateCredentials`,
          'imap',
          uniqueUser('evil'),
          `{'password': '${fx.peers.password}'}`,
          `{'parent': <'${proxyId}'>, ${target}}`,
        ]);
      for (const [what, run] of [
        ['AddAccount verify', () => add(true)],
        ['AddAccount', () => add(false)],
        ['ValidateCredentials', validate],
      ] as const) {
        const r = await run();
        assert.notEqual(r.code, 0, `${what}: ${r.stdout}`);
        assert.match(
          r.stderr,
          new RegExp(`AccessDenied.*${APP.replace(/\./g, '\\.')} has no grant for account ${proxyId}`),
          what,
        );
      }
      // its own account (it may add one without a parent) cannot be moved behind the proxy either
      const own = await fp([
        '--object-path',
        ROOT,
        '--method',
        `${MANAGER}.AddAccount`,
        'imap',
        uniqueUser('evil'),
        `{'password': 'x'}`,
        `{${target}, 'verify': <false>}`,
      ]);
      assert.equal(own.code, 0, own.stderr);
      const ownPath = /'(\/[^']+)'/.exec(own.stdout)![1]!;
      const moved = await fp(['--object-path', ownPath, '--method', `${ACCOUNT}.Update`, `{'parent': <'${proxyId}'>}`]);
      assert.match(moved.stderr, /AccessDenied/);
      assert.equal(await get(ownPath, 'Parent'), '/');
      assert.ok(!readFileSync(log, 'utf8').includes('127.0.0.9'), 'nothing went through the proxy');

      // with a grant on the proxy it may: its check goes through it
      await fx.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [proxyId, APP]);
      const granted = await validate();
      assert.equal(granted.code, 0, granted.stderr);
      await waitFor(
        "tinyproxy's log names the granted check's target",
        () => readFileSync(log, 'utf8').includes('127.0.0.9'),
        5000,
      );
      await fx.client.call(ROOT, MANAGER, 'RevokeAccess', 'ss', [proxyId, APP]);

      // the person's own unsaved check behind a parent that is not online: nothing sent, "needs <parent>"
      await fx.client.call(http, ACCOUNT, 'ReportStatus', 'ss', ['offline', 'disconnected']);
      const [results] = (await fx.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
        'imap',
        uniqueUser('host'),
        { password: fx.peers.password },
        imapOptions({ parent: s(proxyId), 'imap.host': s('127.0.0.10') }),
      ])) as [Record<string, V>];
      const r = results.imap!.value as Record<string, V>;
      assert.equal(r.code!.value, 'Unavailable');
      assert.equal(r.message!.value, 'needs Office proxy');
      const added = await errorOf(
        addImap(fx.peers.password, { parent: s(proxyId), 'imap.host': s('127.0.0.10'), verify: b(true) }),
      );
      assert.match(added.text, /needs Office proxy/);
      assert.ok(
        !readFileSync(log, 'utf8').includes('127.0.0.10'),
        'no unsaved check went through a parent that is not online',
      );
      await fx.client.call(http, ACCOUNT, 'ReportStatus', 'ss', ['online', '']);
      await fx.client.call(ownPath, ACCOUNT, 'Remove');
    });

    it('refuses a parent that is missing, not a proxy or VPN, or a proxy for what cannot go through one; Update changes and clears it; a parent with children cannot be removed', async () => {
      const plain = await addImap(fx.peers.password);
      const cases: Array<[Record<string, V>, string, string]> = [
        [{ parent: s('no_such_account') }, 'imap', 'InvalidArgument'],
        [{ parent: s('bad id!') }, 'imap', 'InvalidArgument'],
        [{ parent: s(idOf(plain)) }, 'imap', 'InvalidArgument'],
        [{ parent: q(1) }, 'imap', 'InvalidArgument'],
      ];
      for (const [extra, , error] of cases) {
        assert.equal((await errorOf(addImap(fx.peers.password, extra))).type, `${ERR}${error}`, JSON.stringify(extra));
      }
      const ftp = await errorOf(
        fx.client.addAccount(
          'ftp',
          uniqueUser('ftp'),
          { password: 'x1' },
          { 'ftp.host': s('127.0.0.1'), parent: s(idOf(http)) },
        ),
      );
      assert.equal(ftp.type, `${ERR}UnsupportedProtocol`);
      assert.match(ftp.text, /FTP checks cannot go through a proxy/);

      const child = await addImap(fx.peers.password);
      assert.equal(await get(child, 'Parent'), '/');
      await fx.client.call(child, ACCOUNT, 'Update', 'a{sv}', [{ parent: s(idOf(socks)) }]);
      assert.equal(await get(child, 'Parent'), socks);
      assert.equal(
        (await errorOf(fx.client.call(child, ACCOUNT, 'Update', 'a{sv}', [{ parent: s(idOf(plain)) }]))).type,
        `${ERR}InvalidArgument`,
      );
      assert.equal(await get(child, 'Parent'), socks, 'nothing changed');
      const removing = await errorOf(fx.client.call(socks, ACCOUNT, 'Remove'));
      assert.equal(removing.type, `${ERR}InvalidArgument`);
      assert.match(removing.text, new RegExp(`parent of ${idOf(child)}`));
      await fx.client.call(child, ACCOUNT, 'Update', 'a{sv}', [{ parent: s('') }]);
      assert.equal(await get(child, 'Parent'), '/');
      assert.doesNotMatch(fileOf(child), /parent/);
      await fx.client.call(child, ACCOUNT, 'Remove');
      await fx.client.call(plain, ACCOUNT, 'Remove');
    });
  });

  it('the new properties are in GetAll as the contract types them', async () => {
    const path = await addImap(fx.peers.password);
    const [all] = (await fx.client.call(path, PROPS, 'GetAll', 's', [ACCOUNT])) as [Record<string, V>];
    assert.equal(all.MutedErrors!.signature, 'as');
    assert.equal(all.Data!.signature, 'a{ss}');
    assert.equal(all.Parent!.signature, 'o');
    await fx.client.call(path, ACCOUNT, 'Remove');
  });
});
