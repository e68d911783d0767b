/**
 * Red team: a sign-in's failure quotes the provider (error_description on the loopback redirect),
 * and whoever holds the sign-in's Url — the app that asked for it, sandboxed or not — knows the
 * state and the port, so it can send that redirect itself. A NUL there made the Failed signal
 * unencodable, in a promise's rejection handler: an unhandled rejection ends Node, and the service.
 */
import { strict as assert } from 'node:assert';
import { MANAGER, ROOT, s } from '../harness/client.js';
import { loopbackProvider, useFixture } from '../harness/fixture.js';

const SIGN_IN = 'org.pantherx.Accounts.SignIn';

describe('red team: a provider’s words in a sign-in’s failure', function () {
  this.timeout(30_000);
  const f = useFixture({
    keyring: 'unlocked',
    service: true,
    // Endpoints given one by one: nothing is fetched before the redirect comes back.
    prepare: (fx) =>
      fx.provider(
        'hostile_idp',
        loopbackProvider({
          name: 'Hostile IdP',
          oauth2: {
            authorization_endpoint: 'http://127.0.0.1:9/authorize',
            token_endpoint: 'http://127.0.0.1:9/token',
            client_id: 'px-test',
            redirect_uri: 'http://127.0.0.1/oauth2/callback',
            scopes: 'openid',
          },
          servers: { imap: 9 },
        }),
      ),
  });

  it('error_description with a NUL and escape sequences: Failed is sent, without control characters, and the service lives on', async () => {
    const [request] = (await f.client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', [
      'hostile_idp',
      { flow: s('browser'), account: s('someone@example.org') },
    ])) as [string];
    const url = new URL(String(await f.client.get(request, SIGN_IN, 'Url')));
    const redirect = new URL(url.searchParams.get('redirect_uri')!);
    redirect.searchParams.set('state', url.searchParams.get('state')!);
    redirect.searchParams.set('error', 'server_error');
    redirect.searchParams.set('error_description', 'no\u0000\u001b]0;owned\u0007\u001b[2J here');
    const mark = f.client.signals.length;
    await fetch(redirect).then((r) => r.text());
    const exited = new Promise<never>((_, reject) =>
      f.service.child.once('exit', (code, signal) =>
        reject(new Error(`the service ended (${code ?? signal}): ${f.service.log().slice(-600)}`)),
      ),
    );
    const failed = await Promise.race([
      f.client.waitSignal((x) => x.member === 'Failed' && x.path === request, 10_000, mark),
      exited,
    ]);
    assert.match(String(failed.body[1]), /no .*here/);
    assert.doesNotMatch(String(failed.body[1]), /\p{Cc}/u);
    assert.equal(f.service.child.exitCode, null, 'the service is running');
    assert.ok(Array.isArray((await f.client.call(ROOT, MANAGER, 'ListProviders'))[0]));
  });
});
