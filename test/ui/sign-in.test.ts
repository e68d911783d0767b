/**
 * OAuth2 sign-in from the window: a real OpenID provider (oidc-provider) in the test process,
 * a Dovecot that introspects its tokens, the service, and the window in chromium. The provider's
 * pages are filled in over HTTP (test/harness/browser.ts), as a person would in their browser;
 * the window must notice the end by itself.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccountsClient } from '../../src/client/index.js';
import { Browser } from '../harness/browser.js';
import { startPeers, type Peers } from '../harness/peers.js';
import { startOidc, type OidcPeer } from '../harness/peers/oidc.js';
import { startService, startSession, type ServiceProcess, type Session } from '../harness/session.js';
import { openWindow, startUi, type UiProcess, type Window } from './helpers.js';

describe('px-accounts-ui: OAuth2 sign-in', function () {
  this.timeout(60_000);
  let oidc: OidcPeer;
  let peers: Peers;
  let session: Session;
  let service: ServiceProcess;
  let ui: UiProcess;
  let win: Window;

  before(async function () {
    this.timeout(90_000);
    oidc = await startOidc();
    peers = await startPeers(['dovecot'], { oauth2IntrospectionUrl: oidc.introspectionUrl });
    session = await startSession();
    const dir = join(session.env.XDG_DATA_HOME!, 'px-accounts', 'providers');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'testidp.ini'),
      `[provider]
name = Test IdP
auth = oauth2
protocols = imap

[oauth2]
issuer = ${oidc.issuer}
client_id = ${oidc.clientId}
scopes = openid email offline_access

[imap]
host = 127.0.0.1
port = ${peers.ports.imap}
security = none
`,
    );
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
    await oidc?.stop();
  });

  it("signs in at the provider's page and finishes by itself", async () => {
    const page = win.page;
    await page.goto(new URL('/#/add/testidp', page.url()).href);
    await page.getByRole('heading', { name: 'Add a Test IdP account' }).waitFor();
    assert.equal(
      await page.getByLabel('Password', { exact: true }).count(),
      0,
      'no password for a provider that signs in with OAuth2',
    );
    await page.getByLabel('E-mail address').fill(peers.user);
    await page.getByRole('button', { name: 'Sign in with Test IdP' }).click();
    const link = page.getByRole('link', { name: 'Open the sign-in page' });
    await link.waitFor();
    const url = new URL((await link.getAttribute('href'))!);
    assert.equal(url.origin, oidc.issuer);
    assert.equal(url.searchParams.get('login_hint'), peers.user);
    await page.getByRole('button', { name: 'Cancel sign-in' }).waitFor();
    const done = await new Browser().signIn(url.href, { login: peers.user });
    assert.equal(done.status, 200);
    await page.getByRole('heading', { name: peers.user, level: 2 }).waitFor({ timeout: 15_000 });
    assert.match(page.url(), /#\/account\/testidp_/);
    const client = await AccountsClient.connect({ busAddress: session.address });
    try {
      const [a] = await client.listAccounts();
      assert.equal(a?.auth, 'oauth2');
      assert.deepEqual(a?.credentials, ['oauth2']);
    } finally {
      client.close();
    }
    await page.getByText('Signed in with OAuth2: its tokens are handed only to apps.').waitFor();
    assert.equal(await page.getByRole('button', { name: /^Show / }).count(), 0, 'no eye button for tokens');
  });

  it('signs in on another device: the address and the code shown, finished elsewhere, the window goes on by itself', async () => {
    const page = win.page;
    const login = `device-${peers.user}`;
    await page.goto(new URL('/#/add/testidp', page.url()).href);
    await page.getByLabel('E-mail address').fill(login);
    await page.getByRole('button', { name: 'Sign in on another device' }).click();
    const code = page.locator('.signin strong.code');
    await code.waitFor();
    const userCode = (await code.textContent())!.trim();
    const link = page.getByRole('link', { name: /^http/ });
    const verification = (await link.getAttribute('href'))!;
    assert.equal(new URL(verification).origin, oidc.issuer);
    const done = await new Browser().signIn(verification, { login }, userCode);
    assert.equal(done.status, 200);
    await page.getByRole('heading', { name: login, level: 2 }).waitFor({ timeout: 30_000 });
    const client = await AccountsClient.connect({ busAddress: session.address });
    try {
      const a = (await client.listAccounts()).find((x) => x.username === login);
      assert.equal(a?.auth, 'oauth2');
      await client.removeAccount(a.id);
    } finally {
      client.close();
    }
  });

  it('cancels a sign-in and says so', async () => {
    const page = win.page;
    await page.goto(new URL('/#/add/testidp', page.url()).href);
    await page.getByLabel('E-mail address').fill(`other-${peers.user}`);
    await page.getByRole('button', { name: 'Sign in with Test IdP' }).click();
    await page.getByRole('button', { name: 'Cancel sign-in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The sign-in was cancelled.' }).waitFor();
  });
});
