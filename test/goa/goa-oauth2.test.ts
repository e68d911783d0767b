/**
 * The GOA view's OAuth2Based through libgoa's own client: an account signed in with OAuth2
 * against a real OpenID provider (oidc-provider, the harness of test/service/oauth2.test.ts,
 * with its test browser) hands libgoa an access token the provider issued, audited like
 * OAuth2.GetAccessToken; a sandboxed caller without a grant is refused.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser } from '../harness/browser.js';
import { MANAGER, ROOT, s } from '../harness/client.js';
import { useFixture } from '../harness/fixture.js';
import { flatpakRun } from '../harness/flatpak.js';
import { startOidc, type OidcPeer } from '../harness/peers/oidc.js';
import { ROOT as REPO } from '../harness/session.js';
import { shape } from '../harness/contract.js';
import { parseInterfaces } from '../../src/bus/contract-xml.js';
import { GOA_CLIENT, goaClient, listed, type GoaAnswer } from './helpers.js';

const SIGN_IN = 'org.pantherx.Accounts.SignIn';
const OAUTH2_BASED = 'org.gnome.OnlineAccounts.OAuth2Based';

describe('GOA view: OAuth2Based.GetAccessToken through libgoa (oidc-provider)', function () {
  this.timeout(90_000);
  let oidc: OidcPeer;
  const fx = useFixture({
    start: async (t) => {
      oidc = t.own(await startOidc({ accessTokenTtl: 600 }));
    },
    prepare: (t) =>
      t.provider(
        'goaidp',
        `[provider]\nname = GOA IdP\nauth = oauth2\nprotocols = imap, smtp\n\n[oauth2]\nissuer = ${oidc.issuer}\nclient_id = ${oidc.clientId}\nscopes = openid email offline_access\n\n[imap]\nhost = 127.0.0.1\nport = 1143\nsecurity = none\n\n[smtp]\nhost = 127.0.0.1\nport = 1587\nsecurity = starttls\n`,
      ),
    service: { args: ['--goa'] },
  });
  let id = '';

  before(async () => {
    const client = fx.client;
    const login = 'goa-user@example.org';
    const [path] = await client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['goaidp', { account: s(login) }]);
    const from = client.signals.length;
    await new Browser().signIn(String((await client.getAll(path as string, SIGN_IN)).Url), { login });
    const done = await client.waitSignal(
      (x) => x.path === path && (x.member === 'Completed' || x.member === 'Failed'),
      30_000,
      from,
    );
    assert.equal(done.member, 'Completed', JSON.stringify(done.body));
    const account = done.body[0] as string;
    id = account.slice(account.lastIndexOf('/') + 1);
  });

  it('libgoa sees an OAuth2Based account (SmtpAuthXoauth2) and gets a token the provider issued, audited with SecretAccessed', async () => {
    const shown = listed(await goaClient(fx.session.env, 'list'), id);
    assert.equal(shown.oauth2_based, true);
    assert.equal(shown.password_based, false);
    assert.equal(shown.mail?.['smtp-auth-xoauth2'], true);
    assert.deepEqual(await goaClient(fx.session.env, 'ensure', id), { value: 0 });
    const from = fx.client.signals.length;
    const token = await goaClient(fx.session.env, 'token', id);
    const value = token.value;
    assert.ok(typeof value === 'string' && oidc.issued.has(value), 'a token the provider issued');
    assert.ok(token.expires_in !== undefined && token.expires_in > 0 && token.expires_in <= 600);
    const sig = await fx.client.waitSignal((x) => x.member === 'SecretAccessed' && x.body[0] === id, 5000, from);
    assert.equal(sig.body[1], 'access token');
    assert.doesNotMatch(
      fx.service.log(),
      new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      'the token is never logged',
    );
    // Exported exactly as interfaces/goa/ declares it.
    const [xml] = await fx.client.callTo(
      'org.gnome.OnlineAccounts',
      `/org/gnome/OnlineAccounts/Accounts/${id}`,
      'org.freedesktop.DBus.Introspectable',
      'Introspect',
    );
    const got = parseInterfaces(xml as string).find((i) => i.name === OAUTH2_BASED)!;
    const declared = parseInterfaces(
      readFileSync(join(REPO, 'interfaces/goa/org.gnome.OnlineAccounts.xml'), 'utf8'),
    ).find((i) => i.name === OAUTH2_BASED)!;
    assert.deepEqual(shape(got), shape(declared));
  });

  it('a sandboxed app without a grant is refused with NotAuthorized', async () => {
    const r = await flatpakRun(fx.session, 'org.example.GoaCalendar', [
      '/usr/bin/python3',
      '-c',
      readFileSync(GOA_CLIENT, 'utf8'),
      'token',
      id,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout) as GoaAnswer;
    assert.equal(answer.error, 'org.gnome.OnlineAccounts.Error.NotAuthorized');
    assert.equal(answer.value, undefined);
  });
});
