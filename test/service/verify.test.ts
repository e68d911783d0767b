/** Verification through the bus against the real servers started by the harness. */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLatencyProxy, type Peers } from '../harness/peers.js';
import { peers } from '../verify/fixture.js';
import { ACCOUNT, MANAGER, ROOT, errorOf, s, q, as, b, type V } from '../harness/client.js';
import { run } from '../harness/process.js';
import { waitFor } from '../harness/session.js';
import { uniqueUser, useFixture } from '../harness/fixture.js';

const E = 'org.pantherx.Accounts.Error.';
type Result = { ok: boolean; code: string; message: string };

function unpack(results: unknown): Record<string, Result> {
  return Object.fromEntries(
    Object.entries(results as Record<string, V>).map(([p, v]) => {
      const r = v.value as Record<string, V>;
      return [p, { ok: r.ok?.value as boolean, code: r.code?.value as string, message: r.message?.value as string }];
    }),
  );
}

describe('verification through the service', function () {
  this.timeout(60000);
  const f = useFixture({ service: true });
  let p: Peers;
  const mail = (extra: Record<string, V> = {}) => ({
    protocols: as(['imap', 'smtp']),
    'imap.host': s('127.0.0.1'),
    'imap.port': q(p.ports.imap),
    'imap.security': s('none'),
    'smtp.host': s('127.0.0.1'),
    'smtp.port': q(p.ports.smtp),
    'smtp.security': s('none'),
    'smtp.username': s(p.user),
    'imap.username': s(p.user),
    ...extra,
  });
  const imapOnly = () => ({
    'imap.host': s('127.0.0.1'),
    'imap.port': q(p.ports.imap),
    'imap.security': s('none'),
    'imap.username': s(p.user),
  });
  const verify = async (path: string) => unpack((await f.client.call(path, ACCOUNT, 'Verify'))[0]);

  before(async () => {
    p = await peers();
  });

  it('Verify reports each protocol: IMAP ok and SMTP rejected, status error with AttentionNeeded', async () => {
    const path = await f.client.addAccount(
      'imap',
      uniqueUser(),
      { password: p.password, smtp: `${p.password}-wrong` },
      mail(),
    );
    const mark = f.client.signals.length;
    const results = await verify(path);
    assert.deepEqual(Object.keys(results).sort(), ['imap', 'smtp']);
    assert.equal(results.imap?.code, 'Ok');
    assert.equal(results.smtp?.code, 'Unauthorized');
    assert.match(results.smtp?.message ?? '', /127\.0\.0\.1/);
    const props = await f.client.getAll(path, ACCOUNT);
    assert.equal(props.Status, 'error');
    assert.equal(props.AttentionNeeded, true);
    assert.equal(props.StatusMessage, results.smtp?.message);
    const sig = await f.client.waitSignal((x) => x.member === 'StatusChanged' && x.path === path, 3000, mark);
    assert.equal(sig.body[0], 'error');
    // A new secret clears AttentionNeeded; the next check brings the account online.
    await f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['smtp', p.password]);
    assert.equal(await f.client.get(path, ACCOUNT, 'AttentionNeeded'), false);
    const again = await verify(path);
    assert.ok(again.imap?.ok && again.smtp?.ok);
    assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'online');
    assert.ok(!f.service.log().includes(p.password), 'a secret reached the log');
  });

  it('a server that cannot be reached gives offline and leaves AttentionNeeded alone', async () => {
    const path = await f.client.addAccount('imap', uniqueUser(), { password: `${p.password}-wrong` }, imapOnly());
    await verify(path);
    assert.equal(await f.client.get(path, ACCOUNT, 'AttentionNeeded'), true);
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.port': q(p.ports.closed) }]);
    const results = await verify(path);
    assert.equal(results.imap?.code, 'ConnectionRefused');
    assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'offline');
    assert.equal(await f.client.get(path, ACCOUNT, 'AttentionNeeded'), true);
  });

  it('TLS: an untrusted certificate is an error; the account CA file makes it trusted', async () => {
    const path = await f.client.addAccount(
      'imap',
      uniqueUser(),
      { password: p.password },
      {
        'imap.host': s('127.0.0.1'),
        'imap.port': q(p.ports.imaps),
        'imap.security': s('tls'),
        'imap.username': s(p.user),
      },
    );
    assert.equal((await verify(path)).imap?.code, 'TlsUntrusted');
    assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'error');
    assert.equal(await f.client.get(path, ACCOUNT, 'AttentionNeeded'), false);
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.ca': s(p.certs.selfSigned) }]);
    assert.equal((await verify(path)).imap?.code, 'Ok');
  });

  it('POP3, CalDAV and CardDAV verify through the service', async () => {
    const path = await f.client.addAccount(
      'pop3',
      uniqueUser(),
      { password: p.password },
      {
        protocols: as(['pop3', 'caldav', 'carddav']),
        'pop3.host': s('127.0.0.1'),
        'pop3.port': q(p.ports.pop3),
        'pop3.security': s('starttls'),
        'pop3.ca': s(p.certs.selfSigned),
        'caldav.url': s(`http://127.0.0.1:${p.ports.http}/`),
        'carddav.url': s(`https://127.0.0.1:${p.ports.https}/`),
        'carddav.ca': s(p.certs.selfSigned),
        'pop3.username': s(p.user),
        'caldav.username': s(p.user),
        'carddav.username': s(p.user),
      },
    );
    const results = await verify(path);
    assert.deepEqual(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.code])), {
      pop3: 'Ok',
      caldav: 'Ok',
      carddav: 'Ok',
    });
  });

  it('SFTP: the first good check pins the host key; a different key is refused', async () => {
    const path = await f.client.addAccount(
      'sftp',
      p.sftpUser,
      { password: p.sftpPassword },
      {
        'sftp.host': s('127.0.0.1'),
        'sftp.port': q(p.ports.ssh),
      },
    );
    assert.equal(await f.client.get(path, 'org.pantherx.Accounts.Sftp', 'HostKey'), '');
    assert.equal((await verify(path)).sftp?.code, 'Ok');
    assert.equal(await f.client.get(path, 'org.pantherx.Accounts.Sftp', 'HostKey'), p.sftpHostKey);
    const id = path.split('/').pop();
    assert.match(
      readFileSync(join(f.session.accountsDir, `${id}.ini`), 'utf8'),
      new RegExp(`hostkey = ${p.sftpHostKey.replace(/[+/]/g, '\\$&')}`),
    );
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'sftp.hostkey': s('SHA256:' + 'A'.repeat(43)) }]);
    const results = await verify(path);
    assert.equal(results.sftp?.code, 'HostKeyChanged');
    assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'error');
    assert.equal(await f.client.get(path, 'org.pantherx.Accounts.Sftp', 'HostKey'), 'SHA256:' + 'A'.repeat(43));
    // Key auth works too, with the private key stored as the secret.
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'sftp.hostkey': s('') }]);
    await f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['sftp', p.sftpKey]);
    assert.equal((await verify(path)).sftp?.code, 'Ok');
  });

  it('AddAccount with verify saves nothing on failure and marks the account online on success', async () => {
    const user = uniqueUser('verified');
    const err = await errorOf(
      f.client.addAccount('imap', user, { password: `${p.password}-wrong` }, mail({ verify: b(true) })),
    );
    assert.equal(err.type, E + 'VerificationFailed');
    assert.match(err.text, /imap: Unauthorized/);
    assert.match(err.text, /smtp: Unauthorized/);
    const id = `imap_${user.replace('@', '_at_').replace(/[^a-z0-9]/g, '_')}`;
    assert.ok(!existsSync(join(f.session.accountsDir, `${id}.ini`)));
    const lookup = await run(
      'secret-tool',
      ['lookup', 'service', 'org.pantherx.Accounts', 'username', `${id}/password`],
      f.session.env,
    );
    assert.equal(lookup.stdout, '', 'a secret was left behind');
    const path = await f.client.addAccount('imap', user, { password: p.password }, mail({ verify: b(true) }));
    assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'online');
  });

  it('FTP and proxy accounts are added with verify against their real servers, and bad credentials are refused', async () => {
    const ftp = await f.client.addAccount(
      'ftp',
      p.ftpUser,
      { password: p.ftpPassword },
      {
        'ftp.host': s('127.0.0.1'),
        'ftp.port': q(p.ports.ftp),
        'ftp.security': s('starttls'),
        'ftp.ca': s(p.certs.selfSigned),
        verify: b(true),
      },
    );
    assert.equal(await f.client.get(ftp, ACCOUNT, 'Status'), 'online');
    assert.deepEqual(await f.client.getAll(ftp, 'org.pantherx.Accounts.Ftp'), {
      Host: '127.0.0.1',
      Port: p.ports.ftp,
      Security: 'starttls',
      Username: p.ftpUser,
      Path: '',
      Ca: p.certs.selfSigned,
    });
    const socks = await f.client.addAccount(
      'proxy',
      p.sftpUser,
      { password: p.sftpPassword },
      {
        'proxy.host': s('127.0.0.1'),
        'proxy.port': q(p.ports.socks),
        'proxy.type': s('socks5'),
        verify: b(true),
      },
    );
    assert.equal(await f.client.get(socks, 'org.pantherx.Accounts.Proxy', 'Type'), 'socks5');
    const refused = await errorOf(
      f.client.addAccount(
        'proxy',
        p.proxyUser,
        { password: `${p.proxyPassword}-wrong` },
        {
          'proxy.host': s('127.0.0.1'),
          'proxy.port': q(p.ports.httpProxy),
          verify: b(true),
        },
      ),
    );
    assert.equal(refused.type, E + 'VerificationFailed');
    assert.match(refused.text, /proxy: Unauthorized/);
    const badType = await errorOf(
      f.client.addAccount('proxy', 'x', {}, { 'proxy.host': s('127.0.0.1'), 'proxy.type': s('socks4') }),
    );
    assert.match(badType.text, /option proxy\.type must be one of http, https, socks5/);
  });

  it('ValidateCredentials checks with the given secrets and saves nothing', async () => {
    const before = (await run('ls', [f.session.accountsDir], f.session.env)).stdout;
    const [raw] = await f.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
      'imap',
      uniqueUser(),
      { imap: p.password, smtp: 'x' },
      mail(),
    ]);
    const results = unpack(raw);
    assert.equal(results.imap?.code, 'Ok');
    assert.equal(results.smtp?.code, 'Unauthorized');
    assert.equal((await run('ls', [f.session.accountsDir], f.session.env)).stdout, before);
  });

  it('50 accounts verified at once take far less than 50 times one check', async () => {
    // Over bare loopback a check is pure CPU on 2 cores; a 25 ms one-way delay makes it wait on
    // the network as real checks do, which is what parallel checking is for.
    const proxy = await startLatencyProxy({ host: '127.0.0.1', port: p.ports.imap }, 25);
    try {
      const paths: string[] = [];
      for (let i = 0; i < 50; i++) {
        paths.push(
          await f.client.addAccount(
            'imap',
            uniqueUser('many'),
            { password: p.password },
            { ...imapOnly(), 'imap.port': q(proxy.port) },
          ),
        );
      }
      let t = performance.now();
      await verify(paths[0] ?? assert.fail('no account added'));
      const one = performance.now() - t;
      t = performance.now();
      const all = await Promise.all(paths.map(verify));
      const fifty = performance.now() - t;
      assert.ok(all.every((r) => r.imap?.ok));
      assert.ok(fifty < 10 * one, `50 checks took ${fifty.toFixed(0)} ms, one took ${one.toFixed(0)} ms`);
    } finally {
      await proxy.close();
    }
  });
});

describe('background checks', function () {
  this.timeout(60000);
  const f = useFixture({
    peers: 'shared',
    service: true,
    // two accounts on disk, with their passwords in the keyring, before the service starts
    prepare: async (t) => {
      const p = t.peers;
      mkdirSync(t.session.accountsDir, { recursive: true });
      const good = `[account]\nprovider = imap\nusername = ${p.user}\nprotocols = imap\ncredentials = password\n[imap]\nhost = 127.0.0.1\nport = ${p.ports.imap}\nsecurity = none\n`;
      writeFileSync(join(t.session.accountsDir, 'good.ini'), good);
      writeFileSync(
        join(t.session.accountsDir, 'down.ini'),
        good.replace(`username = ${p.user}`, 'username = other').replace(String(p.ports.imap), String(p.ports.closed)),
      );
      for (const id of ['good', 'down'])
        await run(
          'secret-tool',
          ['store', '--label=test', 'service', 'org.pantherx.Accounts', 'username', `${id}/password`],
          t.session.env,
          p.password,
        );
    },
  });

  it('checks every account at start-up and on demand, never when disabled', async () => {
    const client = f.client;
    const base = `${ROOT}/account/`;
    // The harness turns background checks off: nothing has checked it before CheckAccounts.
    assert.equal(await client.get(base + 'good', ACCOUNT, 'Status'), 'none', 'checked before CheckAccounts');
    await client.call(ROOT, MANAGER, 'CheckAccounts', 'as', [['good']]);
    await waitFor('good online', async () => (await client.get(base + 'good', ACCOUNT, 'Status')) === 'online', 10000);
    assert.equal(await client.get(base + 'down', ACCOUNT, 'Status'), 'none');
    assert.equal(
      (await errorOf(client.call(ROOT, MANAGER, 'CheckAccounts', 'as', [['good', 'nosuch']]))).type,
      E + 'NotFound',
    );
    const first = f.service;
    const service = await f.restartService({ PX_ACCOUNTS_NO_BACKGROUND_CHECK: '0' });
    await waitFor(
      'start-up checks',
      async () =>
        (await client.get(base + 'good', ACCOUNT, 'Status')) === 'online' &&
        (await client.get(base + 'down', ACCOUNT, 'Status')) === 'offline',
      15000,
    );
    // D-Bus calls are answered while checks run.
    assert.equal(await client.get(base + 'good', ACCOUNT, 'Id'), 'good');
    for (const proc of [first, service]) assert.ok(!proc.log().includes(f.peers.password));
  });
});
