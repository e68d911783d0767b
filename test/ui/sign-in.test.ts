/**
 * OAuth2 sign-in from the window: a real OpenID provider (oidc-provider) in the test process,
 * a Dovecot that introspects its tokens, the service, and the window in chromium. The provider's
 * pages are filled in over HTTP (test/harness/browser.ts), as a person would in their browser;
 * the window must notice the end by itself.
 */
import { strict as assert } from 'node:assert';
import { Browser } from '../harness/browser.js';
import { startOidc, type OidcPeer } from '../harness/peers/oidc.js';
import { loopbackProvider, useFixture } from '../harness/fixture.js';

describe('px-accounts-ui: OAuth2 sign-in', function () {
  this.timeout(60_000);
  let oidc: OidcPeer;

  const fx = useFixture({
    start: async (fx) => void (oidc = fx.own(await startOidc())),
    peers: { names: ['dovecot'], options: () => ({ oauth2IntrospectionUrl: oidc.introspectionUrl }) },
    prepare: (fx) =>
      fx.provider(
        'testidp',
        loopbackProvider({
          name: 'Test IdP',
          oauth2: { issuer: oidc.issuer, client_id: oidc.clientId, scopes: 'openid email offline_access' },
          servers: { imap: fx.peers.ports.imap },
        }),
      ),
    service: true,
    window: true,
  });

  it("signs in at the provider's page and finishes by itself", async () => {
    const page = fx.win.page;
    await page.goto(new URL('/#/add/testidp', page.url()).href);
    await page.getByRole('heading', { name: 'Add a Test IdP account' }).waitFor();
    assert.equal(
      await page.getByLabel('Password', { exact: true }).count(),
      0,
      'no password for a provider that signs in with OAuth2',
    );
    await page.getByLabel('E-mail address').fill(fx.peers.user);
    await page.getByRole('button', { name: 'Sign in with Test IdP' }).click();
    const link = page.getByRole('link', { name: 'Open the sign-in page' });
    await link.waitFor();
    const url = new URL((await link.getAttribute('href'))!);
    assert.equal(url.origin, oidc.issuer);
    assert.equal(url.searchParams.get('login_hint'), fx.peers.user);
    await page.getByRole('button', { name: 'Cancel sign-in' }).waitFor();
    const done = await new Browser().signIn(url.href, { login: fx.peers.user });
    assert.equal(done.status, 200);
    await page.getByRole('heading', { name: fx.peers.user, level: 2 }).waitFor({ timeout: 15_000 });
    assert.match(page.url(), /#\/account\/testidp_/);
    const [a] = await fx.accounts.listAccounts();
    assert.equal(a?.auth, 'oauth2');
    assert.deepEqual(a?.credentials, ['oauth2']);
    await page.getByText('Signed in with OAuth2: its tokens are handed only to apps.').waitFor();
    assert.equal(await page.getByRole('button', { name: /^Show / }).count(), 0, 'no eye button for tokens');
  });

  it('signs in on another device: the address and the code shown, finished elsewhere, the window goes on by itself', async () => {
    const page = fx.win.page;
    const login = `device-${fx.peers.user}`;
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
    const a = (await fx.accounts.listAccounts()).find((x) => x.username === login);
    assert.equal(a?.auth, 'oauth2');
    await fx.accounts.removeAccount(a.id);
  });

  it('cancels a sign-in and says so', async () => {
    const page = fx.win.page;
    await page.goto(new URL('/#/add/testidp', page.url()).href);
    await page.getByLabel('E-mail address').fill(`other-${fx.peers.user}`);
    await page.getByRole('button', { name: 'Sign in with Test IdP' }).click();
    await page.getByRole('button', { name: 'Cancel sign-in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The sign-in was cancelled.' }).waitFor();
  });
});
