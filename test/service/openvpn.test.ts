/**
 * OpenVPN through the bus: a profile imported with AddAccount, checked against a real OpenVPN
 * server, its key material only in the keyring; hostile profiles refused with a typed error
 * naming what is wrong, and nothing written.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../cli/helpers.js';
import { ACCOUNT, MANAGER, ROOT, as, b, errorOf, s, type V } from '../harness/client.js';
import { startPeers, type Peers } from '../harness/peers.js';
import { vpnProfile } from '../harness/peers/openvpn.js';
import { readTree } from '../harness/session.js';
import { useFixture } from '../harness/fixture.js';

const IFACE = 'org.pantherx.Accounts.OpenVpn';
const INVALID = 'org.pantherx.Accounts.Error.InvalidArgument';

describe('OpenVPN accounts over the bus (real openvpn server)', function () {
  this.timeout(30_000);
  const f = useFixture({ service: true });
  let p: Peers;
  before(async function () {
    this.timeout(60_000);
    p = await startPeers(['openvpn', 'blackhole']);
  });
  after(async () => p?.stop());

  const keyLines = (pem: string) => pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));

  it('imports a profile: servers, certificates and options as properties, key material only in the keyring', async () => {
    const v = p.vpn!;
    const path = await f.client.addAccount(
      'openvpn',
      v.user,
      { password: v.password },
      {
        'openvpn.profile': s(vpnProfile(v, v.passwordPort)),
        verify: b(true),
      },
    );
    assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'online');
    const props = await f.client.getAll(path, IFACE);
    assert.deepEqual(props.Remotes, [`127.0.0.1 ${v.passwordPort} tcp-client`]);
    assert.equal(props.Auth, 'password-tls');
    assert.equal(props.Username, v.user);
    assert.ok((props.Options as string[]).includes('remote-cert-tls server'));
    assert.deepEqual(((await f.client.get(path, ACCOUNT, 'Credentials')) as string[]).sort(), [
      'key',
      'password',
      'tls-crypt',
    ]);
    const profile = String(props.Profile);
    assert.match(profile, /^client\n/);
    assert.match(profile, /<ca>\n-----BEGIN CERTIFICATE-----/);
    assert.doesNotMatch(profile, /PRIVATE KEY|OpenVPN Static key/);
    // Key material: through GetSecret, and nowhere on disk.
    assert.deepEqual(await f.client.call(path, ACCOUNT, 'GetSecret', 's', ['key']), [v.clientKey.trim() + '\n']);
    const disk = readTree(f.session.home);
    for (const line of [...keyLines(v.clientKey), ...keyLines(v.tlsCrypt), v.password])
      assert.ok(!disk.includes(line), 'key material on disk');

    // The stored profile still connects: Verify from the account as stored.
    const [results] = await f.client.call(path, ACCOUNT, 'Verify');
    const r = (results as Record<string, V>).openvpn!.value as Record<string, V>;
    assert.equal(r.code!.value, 'Ok', String(r.message!.value));

    const mark = f.client.signals.length;
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [
      { 'openvpn.remotes': as([`127.0.0.1 ${v.passwordPort} tcp`, 'vpn2.example.org 443 tcp']) },
    ]);
    await f.client.waitSignal((x) => x.member === 'PropertiesChanged' && x.body[0] === IFACE, 3000, mark);
    assert.deepEqual(await f.client.get(path, IFACE, 'Remotes'), [
      `127.0.0.1 ${v.passwordPort} tcp`,
      'vpn2.example.org 443 tcp',
    ]);
    const again = await errorOf(
      f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'openvpn.profile': s(vpnProfile(v, v.passwordPort)) }]),
    );
    assert.equal(again.type, INVALID);
    assert.match(again.text, /accepted by AddAccount only/);
    await f.client.call(path, ACCOUNT, 'Remove');
  });

  it('a certificate-only profile needs no password', async () => {
    const v = p.vpn!;
    const path = await f.client.addAccount(
      'openvpn',
      'certonly',
      {},
      { 'openvpn.profile': s(vpnProfile(v, v.certPort)), verify: b(true) },
    );
    assert.equal(await f.client.get(path, IFACE, 'Auth'), 'tls');
    await f.client.call(path, ACCOUNT, 'Remove');
  });

  it('resolves files a profile names relative to openvpn.profile_dir and embeds them', async () => {
    const v = p.vpn!;
    const text = vpnProfile(v, v.certPort, {
      ca: null,
      cert: null,
      key: null,
      'tls-crypt': null,
      extra: 'ca ca.crt\ncert client.crt\nkey client.key\ntls-crypt tc.key\n',
    });
    const noDir = await errorOf(f.client.addAccount('openvpn', 'files', {}, { 'openvpn.profile': s(text) }));
    assert.equal(noDir.type, INVALID);
    assert.match(noDir.text, /ca ca\.crt: a relative file needs openvpn\.profile_dir/);
    const path = await f.client.addAccount(
      'openvpn',
      'files',
      {},
      { 'openvpn.profile': s(text), 'openvpn.profile_dir': s(v.dir), verify: b(true) },
    );
    assert.deepEqual(((await f.client.get(path, ACCOUNT, 'Credentials')) as string[]).sort(), ['key', 'tls-crypt']);
    await f.client.call(path, ACCOUNT, 'Remove');
  });

  it('a PKCS#12 file (binary) named by the profile: embedded as base64, and the check connects with it', async () => {
    const v = p.vpn!;
    execFileSync(
      'openssl',
      ['pkcs12', '-export', '-in', 'client.crt', '-inkey', 'client.key', '-passout', 'pass:', '-out', 'client.p12'],
      { cwd: v.dir, stdio: 'ignore' },
    );
    const text = vpnProfile(v, v.certPort, { cert: null, key: null, extra: 'pkcs12 client.p12\n' });
    const path = await f.client.addAccount(
      'openvpn',
      'p12',
      {},
      { 'openvpn.profile': s(text), 'openvpn.profile_dir': s(v.dir), verify: b(true) },
    );
    assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'online');
    assert.deepEqual(((await f.client.get(path, ACCOUNT, 'Credentials')) as string[]).sort(), ['pkcs12', 'tls-crypt']);
    const [stored] = (await f.client.call(path, ACCOUNT, 'GetSecret', 's', ['pkcs12'])) as [string];
    assert.deepEqual(Buffer.from(stored.replace(/\s/g, ''), 'base64'), readFileSync(join(v.dir, 'client.p12')));
    await f.client.call(path, ACCOUNT, 'Remove');
  });

  it('refuses hostile profiles with a typed error naming what is wrong, and writes nothing', async () => {
    const v = p.vpn!;
    const base = vpnProfile(v, v.passwordPort);
    const cases: Array<[string, string, RegExp]> = [
      ['up script', base.replace('nobind\n', 'nobind\nup /bin/sh\n'), /line 7: 'up' is refused: it runs a program/],
      [
        'script-security',
        base.replace('nobind\n', 'nobind\nscript-security 2\n'),
        /'script-security' is refused: it allows running programs/,
      ],
      ['plugin', base.replace('nobind\n', 'nobind\nplugin /tmp/evil.so\n'), /'plugin' is refused: it loads a plugin/],
      ['management', base.replace('nobind\n', 'nobind\nmanagement 127.0.0.1 7505\n'), /'management' is refused/],
      [
        'config',
        base.replace('nobind\n', 'nobind\nconfig /etc/passwd\n'),
        /'config' is refused: it reads another configuration file/,
      ],
      ['log', base.replace('nobind\n', 'nobind\nlog /tmp/x.log\n'), /'log' is refused: it writes a file/],
      [
        'unknown directive',
        base.replace('nobind\n', 'nobind\nfrobnicate yes\n'),
        /'frobnicate' is not an OpenVPN client option/,
      ],
      ['huge', base + '#'.repeat(300 * 1024), /too large/],
      // Refused in linear time (a backtracking check would hold the service for minutes).
      ['pkcs12 not base64', `${base}<pkcs12>\n${'A'.repeat(200_000)}!\n</pkcs12>\n`, /<pkcs12> must be base64/],
      // D-Bus strings cannot hold NUL; anything else binary is refused by its control characters
      [
        'binary',
        randomBytes(4096).toString('latin1').replaceAll('\u0000', '\u0001'),
        /control characters|not an OpenVPN client option|is not allowed/,
      ],
      [
        '1000 remotes',
        base.replace(
          'nobind\n',
          Array.from({ length: 1000 }, (_, i) => `remote 127.0.0.${(i % 250) + 1} 1194\n`).join('') + 'nobind\n',
        ),
        /more than 64 remote lines/,
      ],
      [
        'a key block that is not PEM',
        vpnProfile(v, v.passwordPort, { key: 'not a key at all' }),
        /<key> is not a PEM private key/,
      ],
      [
        'a certificate that is not one',
        vpnProfile(v, v.passwordPort, { ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }),
        /<ca> holds a certificate that cannot be parsed/,
      ],
      ['no remote', base.replace(/remote .*\n/, ''), /no remote line/],
      ['an unclosed block', base.replace('</tls-crypt>\n', ''), /<tls-crypt> is never closed/],
    ];
    const before = readdirSync(f.session.accountsDir).sort();
    const [objectsBefore] = await f.client.call(ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects');
    for (const [what, text, message] of cases) {
      const err = await errorOf(
        f.client.addAccount(
          'openvpn',
          `hostile${what.length}`,
          { password: 'x-password' },
          { 'openvpn.profile': s(text) },
        ),
      );
      assert.equal(err.type, INVALID, what);
      assert.match(err.text, message, what);
    }
    const wrongType = await errorOf(f.client.addAccount('openvpn', 'typed', {}, { 'openvpn.profile': b(true) }));
    assert.match(wrongType.text, /option openvpn\.profile must be a string/);
    assert.deepEqual(readdirSync(f.session.accountsDir).sort(), before);
    const [objectsAfter] = await f.client.call(ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects');
    assert.deepEqual(Object.keys(objectsAfter as object), Object.keys(objectsBefore as object));
  });

  it('px-accounts add -protocol openvpn -account USER -profile FILE.ovpn: files next to the profile are read, keys go to the keyring', async () => {
    const v = p.vpn!;
    const file = join(v.dir, 'cli-test.ovpn');
    writeFileSync(
      file,
      vpnProfile(v, v.passwordPort, {
        ca: null,
        cert: null,
        key: null,
        'tls-crypt': null,
        extra: 'ca ca.crt\ncert client.crt\nkey client.key\ntls-crypt tc.key\n',
      }),
    );
    const r = await cli(
      f.session.env,
      ['add', '-protocol', 'openvpn', '-account', v.user, '-profile', file, '--password-stdin', '--verify', '--json'],
      v.password + '\n',
    );
    assert.equal(r.code, 0, r.stderr);
    const added = JSON.parse(r.stdout) as { id: string; status: string; credentials: string[] };
    assert.equal(added.status, 'online');
    assert.deepEqual(added.credentials.sort(), ['key', 'password', 'tls-crypt']);
    const shown = await cli(f.session.env, ['protocols']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^openvpn +OpenVPN +remotes,auth,username,options,ca,cert,extra_certs +built-in$/m);
    await f.client.call(`/org/pantherx/Accounts/account/${added.id}`, ACCOUNT, 'Remove');
  });

  it('lists openvpn with its import and its secrets', async () => {
    const [list] = await f.client.call(ROOT, MANAGER, 'ListProtocols');
    const vpn = (list as Array<Record<string, V>>).find((x) => x.id!.value === 'openvpn')!;
    assert.deepEqual(vpn.imports!.value, ['profile']);
    assert.deepEqual(vpn.secrets!.value, [
      'key',
      'pkcs12',
      'tls-auth',
      'tls-crypt',
      'tls-crypt-v2',
      'secret',
      'key-passphrase',
    ]);
  });
});
