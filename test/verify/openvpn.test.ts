import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';

import type { VerifySettings } from '../../src/protocols/common/types.js';
import plugin from '../../src/protocols/openvpn/plugin.js';
import { verifyOpenVpn } from '../../src/protocols/openvpn/verifier.js';
import type { Peers } from '../harness/peers.js';
import { vpnProfile } from '../harness/peers/openvpn.js';
import { peers, wrong } from './fixture.js';

/** What the service does with an imported profile: settings resolved, secrets by name. */
function imported(text: string, username: string): { settings: VerifySettings; secrets: Record<string, string> } {
  const { settings, secrets } = plugin.imports!.profile!(text, {}, true);
  const resolved = plugin.resolve([settings], (k) => `openvpn.${k}`);
  return { settings: { ...resolved, username, host: '', port: 0, security: 'tls' }, secrets };
}

/** openvpn processes of this test process's checks (children of nobody else) */
const clients = () =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('--management-query-passwords')).length;

describe('OpenVPN verifier (real openvpn servers)', function () {
  this.timeout(30_000);
  let p: Peers;
  before(async () => {
    p = await peers();
  });

  const check = (text: string, password: string, more: Record<string, string> = {}, timeoutMs = 8000) => {
    const { settings, secrets } = imported(text, p.vpn!.user);
    return verifyOpenVpn(settings, password, { timeoutMs, secrets: { ...secrets, ...more } });
  };

  it('certificate and password → Ok, connected without touching the network configuration', async () => {
    const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
    const r = await check(vpnProfile(p.vpn!, p.vpn!.passwordPort), p.vpn!.password);
    assert.equal(r.code, 'Ok', r.message);
    assert.match(r.message, /OpenVPN server 127\.0\.0\.1:\d+ accepted/);
    assert.equal(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }), links, 'no interface added by the check');
  });

  it('certificate only (no password at all) → Ok', async () => {
    const r = await check(vpnProfile(p.vpn!, p.vpn!.certPort), '');
    assert.equal(r.code, 'Ok', r.message);
  });

  it('an encrypted key with its passphrase → Ok; a wrong passphrase → Unauthorized', async () => {
    const text = vpnProfile(p.vpn!, p.vpn!.passwordPort, { key: p.vpn!.clientKeyEncrypted });
    assert.equal((await check(text, p.vpn!.password, { 'key-passphrase': p.vpn!.keyPassphrase })).code, 'Ok');
    const bad = await check(text, p.vpn!.password, { 'key-passphrase': wrong(p.vpn!.keyPassphrase) });
    assert.equal(bad.code, 'Unauthorized', bad.message);
    assert.match(bad.message, /passphrase/);
  });

  it('a wrong password → Unauthorized (AUTH_FAILED)', async () => {
    const r = await check(vpnProfile(p.vpn!, p.vpn!.passwordPort), wrong(p.vpn!.password));
    assert.equal(r.code, 'Unauthorized', r.message);
    assert.ok(!r.message.includes(p.vpn!.password));
  });

  it('a password profile with no password stored → Unauthorized, without starting openvpn', async () => {
    const r = await check(vpnProfile(p.vpn!, p.vpn!.passwordPort), '');
    assert.equal(r.code, 'Unauthorized');
    assert.match(r.message, /no password is stored/);
  });

  it("a server whose certificate does not chain to the profile's CA → TlsUntrusted", async () => {
    const r = await check(vpnProfile(p.vpn!, p.vpn!.certPort, { ca: p.vpn!.otherCa }), '');
    assert.equal(r.code, 'TlsUntrusted', r.message);
  });

  it('a server with another name than verify-x509-name expects → TlsHostnameMismatch', async () => {
    const text = vpnProfile(p.vpn!, p.vpn!.certPort).replace(
      `verify-x509-name ${p.vpn!.serverName} name`,
      'verify-x509-name vpn.example.org name',
    );
    const r = await check(text, '');
    assert.equal(r.code, 'TlsHostnameMismatch', r.message);
  });

  it('network: refused → ConnectionRefused, silent → Timeout, unknown host → HostNotFound', async () => {
    const at = (port: number, host = '127.0.0.1') =>
      vpnProfile(p.vpn!, p.vpn!.certPort).replace(`remote 127.0.0.1 ${p.vpn!.certPort}`, `remote ${host} ${port}`);
    const refused = await check(at(p.ports.closed), '');
    assert.equal(refused.code, 'ConnectionRefused', refused.message);
    const silent = await check(at(p.ports.silent), '', {}, 2500);
    assert.equal(silent.code, 'Timeout', silent.message);
    const unknown = await check(at(1194, 'nohost.invalid'), '');
    assert.equal(unknown.code, 'HostNotFound', unknown.message);
  });

  it('leaves no openvpn client running', async () => {
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(clients(), 0);
  });

  it('the shared contract: every outcome names the first server and never a secret', async () => {
    const { settings, secrets } = imported(vpnProfile(p.vpn!, p.vpn!.passwordPort), p.vpn!.user);
    assert.ok(secrets.key && secrets['tls-crypt'], 'the key blocks became secrets');
    for (const password of [p.vpn!.password, wrong(p.vpn!.password)]) {
      const r = await verifyOpenVpn(settings, password, { timeoutMs: 8000, secrets });
      assert.ok(r.message.includes(`127.0.0.1:${p.vpn!.passwordPort}`), r.message);
      for (const s of [password, ...Object.values(secrets)]) {
        const probe = s.includes('\n') ? s.trim().split('\n')[1]! : s;
        assert.ok(!r.message.includes(probe), 'no secret in the message');
      }
    }
  });
});
