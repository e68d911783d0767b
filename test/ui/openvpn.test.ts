/** An OpenVPN account from the window: a .ovpn profile uploaded, checked by really connecting to a loopback openvpn server. */
import { strict as assert } from 'node:assert';
import { AccountsClient } from '../../src/client/index.js';
import { secret } from '../cli/helpers.js';
import { startPeers, type Peers } from '../harness/peers.js';
import { vpnProfile } from '../harness/peers/openvpn.js';
import { startService, startSession, type ServiceProcess, type Session } from '../harness/session.js';
import { openWindow, startUi, type UiProcess, type Window } from './helpers.js';

describe('px-accounts-ui: OpenVPN', function () {
  this.timeout(60_000);
  let peers: Peers;
  let session: Session;
  let service: ServiceProcess;
  let ui: UiProcess;
  let win: Window;

  before(async function () {
    this.timeout(90_000);
    peers = await startPeers(['openvpn']);
    session = await startSession();
    service = await startService(session);
    ui = await startUi(session);
    win = await openWindow(ui.url);
  });
  after(async function () {
    this.timeout(30_000);
    await win?.browser.close();
    await ui?.stop();
    await service?.stop();
    await session?.stop();
    await peers?.stop();
  });

  const fill = async (password: string) => {
    const page = win.page;
    const v = peers.vpn!;
    await page.goto(new URL('/#/add/manual-openvpn', page.url()).href);
    await page.getByLabel('User name or e-mail address').fill(v.user);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Profile (.ovpn file)').setInputFiles({ name: 'work.ovpn', mimeType: 'application/x-openvpn-profile', buffer: Buffer.from(vpnProfile(v, v.passwordPort)) });
    await page.getByRole('button', { name: 'Add account' }).click();
  };

  it('refuses a rejected password, then adds the profile with the right one', async () => {
    const page = win.page;
    const v = peers.vpn!;
    await fill(secret());
    await page.getByText(/OpenVPN.*: failed at signing in\. The server rejected the user name or password\./).waitFor({ timeout: 30_000 });
    await fill(v.password);
    await page.getByRole('heading', { name: v.user, level: 2 }).waitFor({ timeout: 30_000 });
    const client = await AccountsClient.connect({ busAddress: session.address });
    try {
      const [a] = await client.listAccounts();
      assert.equal(a?.provider, 'openvpn');
      assert.deepEqual([...a!.credentials].sort(), ['key', 'password', 'tls-crypt'], 'key material went to the keyring');
    } finally {
      client.close();
    }
    // Its secrets are listed by name, values hidden.
    await page.getByRole('button', { name: 'Show key secret' }).waitFor();
    assert.equal(await page.getByText('PRIVATE KEY').count(), 0);
  });

  it('edits the account: the check runs with its list settings and certificates, and passes', async () => {
    const page = win.page;
    const v = peers.vpn!;
    await page.getByRole('button', { name: 'Edit' }).click();
    // The remotes (a list) are shown as text, and a new password is checked with all of it.
    assert.match(await page.getByLabel('OpenVPN remotes').inputValue(), /127\.0\.0\.1/);
    await page.getByLabel(/New password/).fill(v.password);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor({ timeout: 30_000 });
  });
});
