/**
 * An account reached through an OpenVPN account, through the real bus: a real openvpn server on
 * loopback and the real Dovecot. The service never brings a VPN up (docs/account-fields.md): it
 * checks the child only while the VPN account's Status is online, which a passing check of the
 * VPN account (a real connection, then a disconnect) or the VPN client's ReportStatus makes it.
 * What is not tested, because it cannot be here: that the child's traffic flows inside the
 * tunnel. The service's client runs with `--dev null` (it touches no interface or route), so the
 * child reaches Dovecot directly on loopback; routing is the VPN client's job (NetworkManager,
 * the openvpn service), not the service's.
 */
import { strict as assert } from 'node:assert';
import { ACCOUNT, type TestClient, q, s, type V } from '../harness/client.js';
import type { Peers } from '../harness/peers.js';
import { vpnProfile } from '../harness/peers/openvpn.js';
import { uniqueUser, useFixture } from '../harness/fixture.js';

describe('an account behind an OpenVPN account (real openvpn server, real Dovecot)', function () {
  this.timeout(60_000);
  // background checks off: every check here is one the test asked for, or the VPN's change caused
  const f = useFixture({ peers: 'shared', service: { args: ['--no-background-check'] } });
  let p: Peers;
  let vpn: string;
  let client: TestClient;
  before(async () => {
    p = f.peers;
    client = f.client;
    const v = p.vpn!;
    vpn = await client.addAccount(
      'openvpn',
      v.user,
      { password: v.password },
      { name: s('Work VPN'), 'openvpn.profile': s(vpnProfile(v, v.passwordPort)) },
    );
  });

  const get = (path: string, prop: string) => client.get(path, ACCOUNT, prop);
  const verify = async (path: string) => (await client.call(path, ACCOUNT, 'Verify'))[0] as Record<string, V>;
  const codeOf = (r: Record<string, V>, protocol: string) => {
    const one = r[protocol]?.value as Record<string, V> | undefined;
    return { code: one?.code?.value, message: one?.message?.value };
  };
  const addImap = (password: string) =>
    client.addAccount(
      'imap',
      uniqueUser('behind-vpn'),
      { password },
      {
        'imap.host': s('127.0.0.1'),
        'imap.port': q(p.ports.imap),
        'imap.security': s('none'),
        'imap.username': s(p.user),
        parent: s(vpn.split('/').pop()!),
      },
    );
  const statusChanged = (path: string, from: number, pred: (status: string, message: string) => boolean) =>
    client.waitSignal(
      (x) => x.path === path && x.member === 'StatusChanged' && pred(String(x.body[0]), String(x.body[1])),
      30_000,
      from,
    );

  it('while the VPN account is not online: "needs Work VPN", nothing sent (a wrong password is not found)', async () => {
    assert.notEqual(await get(vpn, 'Status'), 'online', 'nothing said yet that the VPN is up');
    const child = await addImap(`${p.password}-wrong`);
    assert.equal(await get(child, 'Parent'), vpn);
    assert.deepEqual(codeOf(await verify(child), 'imap'), { code: 'Unavailable', message: 'needs Work VPN' });
    assert.equal(await get(child, 'Status'), 'offline');
    assert.equal(await get(child, 'StatusMessage'), 'needs Work VPN');
    assert.equal(await get(child, 'AttentionNeeded'), false, 'Dovecot never saw the wrong password');
    await client.call(child, ACCOUNT, 'Remove');
  });

  it('a passing check of the VPN account (a real connection) makes it online: its child is checked normally at once', async () => {
    const child = await addImap(p.password);
    assert.equal(await get(child, 'StatusMessage'), '');
    const from = client.signals.length;
    assert.equal(codeOf(await verify(vpn), 'openvpn').code, 'Ok');
    assert.equal(await get(vpn, 'Status'), 'online');
    // the VPN came online: the service checks its children through the shared queue, unasked
    await statusChanged(child, from, (status) => status === 'online');
    assert.equal(codeOf(await verify(child), 'imap').code, 'Ok', 'checked against Dovecot, directly');
    await client.call(child, ACCOUNT, 'Remove');
  });

  it('the VPN refuses its password: its child says "needs Work VPN" at once, without a check; the VPN client reporting online brings the check back', async () => {
    const v = p.vpn!;
    assert.equal(await get(vpn, 'Status'), 'online', 'left online by the test before');
    const child = await addImap(`${p.password}-wrong`);

    // the VPN account's password goes bad: its check is a real refusal by the openvpn server
    await client.call(vpn, ACCOUNT, 'SetSecret', 'ss', ['password', `${v.password}-old`]);
    const down = client.signals.length;
    assert.equal(codeOf(await verify(vpn), 'openvpn').code, 'Unauthorized');
    assert.equal(await get(vpn, 'Status'), 'error');
    await statusChanged(child, down, (status, message) => status === 'offline' && message === 'needs Work VPN');
    assert.deepEqual(codeOf(await verify(child), 'imap'), { code: 'Unavailable', message: 'needs Work VPN' });
    assert.equal(await get(child, 'AttentionNeeded'), false, 'the wrong password was never tried');

    // the VPN client (NetworkManager, an app) says the tunnel is up: the child is checked, and
    // Dovecot refuses its password (the normal check)
    await client.call(vpn, ACCOUNT, 'SetSecret', 'ss', ['password', v.password]);
    const up = client.signals.length;
    await client.call(vpn, ACCOUNT, 'ReportStatus', 'ss', ['online', 'connected']);
    await statusChanged(child, up, (status) => status === 'error');
    assert.equal(await get(child, 'AttentionNeeded'), true);
    await client.call(child, ACCOUNT, 'Remove');
  });
});
