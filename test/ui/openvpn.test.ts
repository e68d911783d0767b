/** An OpenVPN account from the window: a .ovpn profile uploaded, checked by really connecting to a loopback openvpn server. */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testSecret, useFixture } from '../harness/fixture.js';
import { vpnProfile } from '../harness/peers/openvpn.js';

describe('px-accounts-ui: OpenVPN', function () {
  this.timeout(60_000);
  const fx = useFixture({ peers: ['openvpn'], service: true, window: true });

  const fill = async (password: string) => {
    const { page } = fx.win;
    const v = fx.peers.vpn!;
    await page.goto(new URL('/#/add/manual-openvpn', page.url()).href);
    await page.getByLabel('User name or e-mail address').fill(v.user);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Profile (.ovpn file)').setInputFiles({
      name: 'work.ovpn',
      mimeType: 'application/x-openvpn-profile',
      buffer: Buffer.from(vpnProfile(v, v.passwordPort)),
    });
    await page.getByRole('button', { name: 'Add account' }).click();
  };

  it('refuses a rejected password, then adds the profile with the right one', async () => {
    const { page } = fx.win;
    const v = fx.peers.vpn!;
    await fill(testSecret());
    await page.getByText(/OpenVPN.*: failed at signing in\. The server rejected the user name or password\./).waitFor();
    await fill(v.password);
    await page.getByRole('heading', { name: v.user, level: 2 }).waitFor();
    const [a] = await fx.accounts.listAccounts();
    assert.equal(a?.provider, 'openvpn');
    assert.deepEqual([...a.credentials].sort(), ['key', 'password', 'tls-crypt'], 'key material went to the keyring');
    // Its secrets are listed by name, values hidden.
    await page.getByRole('button', { name: 'Show key secret' }).waitFor();
    assert.equal(await page.getByText('PRIVATE KEY').count(), 0);
  });

  it('edits the account: the check runs with its list settings and certificates, and passes', async () => {
    const { page } = fx.win;
    const v = fx.peers.vpn!;
    await page.getByRole('button', { name: 'Edit' }).click();
    // The remotes (a list) are shown as text, and a new password is checked with all of it.
    assert.match(await page.getByLabel('OpenVPN remotes').inputValue(), /127\.0\.0\.1/);
    await page.getByLabel(/New password/).fill(v.password);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  });

  it('replaces the CA certificates from a file: checked first (a CA the server does not chain to is refused and the old one kept), then saved', async () => {
    const { page } = fx.win;
    const v = fx.peers.vpn!;
    const [a] = await fx.accounts.listAccounts();
    const before = String(a!.settings.openvpn?.ca);
    await page.goto(new URL(`/#/account/${a!.id}`, page.url()).href);
    await page.getByRole('button', { name: 'Edit' }).click();
    const caFile = page.getByLabel('OpenVPN CA certificates (replace with a file)');
    await caFile.setInputFiles({
      name: 'other-ca.crt',
      mimeType: 'application/x-x509-ca-cert',
      buffer: readFileSync(join(v.dir, 'other-ca.crt')),
    });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'The check failed' }).waitFor();
    assert.equal(String((await fx.accounts.getAccount(a!.id)).settings.openvpn?.ca), before, 'the old CA stays');
    // A bundle with the right CA in it passes, and is stored as two certificates.
    const bundle = Buffer.concat([readFileSync(join(v.dir, 'other-ca.crt')), readFileSync(join(v.dir, 'ca.crt'))]);
    await caFile.setInputFiles({ name: 'bundle.pem', mimeType: 'application/x-pem-file', buffer: bundle });
    await page.getByRole('button', { name: 'Save changes' }).click();
    // ('Saved.' may still be on the page from before: the form closing says the save is done.)
    await page.getByRole('button', { name: 'Save changes' }).waitFor({ state: 'detached' });
    const ca = String((await fx.accounts.getAccount(a!.id)).settings.openvpn?.ca);
    assert.equal(ca.split(' ').length, 2, 'the bundle saved as two certificates');
  });

  it('a profile that names its certificates and keys as files: a missing one is named, then all picked with it, checked and embedded', async () => {
    const { page } = fx.win;
    const v = fx.peers.vpn!;
    const profile = vpnProfile(v, v.certPort, {
      ca: null,
      cert: null,
      key: null,
      'tls-crypt': null,
      extra: 'ca keys/ca.crt\ncert client.crt\nkey client.key\ntls-crypt tc.key\n',
    });
    const file = (name: string, from = name) => ({
      name,
      mimeType: 'application/octet-stream',
      buffer: readFileSync(join(v.dir, from)),
    });
    const submit = async (files: Array<ReturnType<typeof file>>) => {
      await page.goto(new URL('/#/add/manual-openvpn', page.url()).href);
      await page.getByLabel('User name or e-mail address').fill('vpn-files');
      await page
        .getByLabel('Profile (.ovpn file)')
        .setInputFiles({ name: 'files.ovpn', mimeType: 'application/x-openvpn-profile', buffer: Buffer.from(profile) });
      await page.getByLabel('Files the profile names (optional)').setInputFiles(files);
      await page.getByRole('button', { name: 'Add account' }).click();
    };
    await submit([file('client.crt'), file('client.key'), file('tc.key')]);
    await page.getByText('keys/ca.crt is not among the files picked with the profile').waitFor();
    await submit([file('ca.crt'), file('client.crt'), file('client.key'), file('tc.key')]);
    await page.getByRole('heading', { name: 'vpn-files', level: 2 }).waitFor();
    const a = (await fx.accounts.listAccounts()).find((x) => x.username === 'vpn-files');
    assert.deepEqual([...a!.credentials].sort(), ['key', 'tls-crypt']);
    assert.match(
      String(a!.settings.openvpn?.ca),
      /^[A-Za-z0-9+/]{200,}={0,2}$/,
      'the CA is embedded (base64 DER), not a path',
    );
    await fx.accounts.removeAccount(a!.id);
    // The picked files lived only for the check and the add.
    assert.deepEqual(
      readdirSync(join(fx.session.dir, 'run')).filter((n) => n.startsWith('px-accounts-ui-')),
      [],
    );
  });
});
