/**
 * OAuth2 sign-in through the bus, against a real OpenID provider (oidc-provider) whose pages a
 * test browser fills in, a Dovecot that introspects tokens (IMAP, POP3, submission) and Radicale
 * behind a Bearer gate. The provider is configured the way a company's own IdP would be: a
 * provider file with an issuer, no code.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { AccountsClient, isAccountsClientError, type SignInRequest } from '../../src/client/index.js';
import { Browser } from '../harness/browser.js';
import { declared, introspect, shape } from '../harness/contract.js';
import { ACCOUNT, MANAGER, ROOT, TestClient, as, b, errorOf, s, type V } from '../harness/client.js';
import type { Peers } from '../harness/peers.js';
import { startDavGate, type DavGate } from '../harness/peers/dav-gate.js';
import { startOidc, type OidcPeer } from '../harness/peers/oidc.js';
import { spawnCli } from '../cli/helpers.js';
import { readTree, sleep, waitFor, type ServiceProcess, type Session } from '../harness/session.js';
import { loopbackProvider, useFixture } from '../harness/fixture.js';

const OAUTH2 = 'org.pantherx.Accounts.OAuth2';
const SIGN_IN = 'org.pantherx.Accounts.SignIn';
const ERR = 'org.pantherx.Accounts.Error.';
/** Access tokens live this long: long enough for a sign-in and its checks, short enough to expire in a test. */
const TTL_S = 8;
/** A sign-in nobody finishes ends after this long. */
const SIGN_IN_TIMEOUT_MS = 12_000;

export interface OAuth2World {
  oidc: OidcPeer;
  peers: Peers;
  gate: DavGate;
  session: Session;
  service: ServiceProcess;
  client: TestClient;
}

/**
 * The provider file a company would write for its own IdP: mail and DAV through the test's
 * servers; `oauth2` replaces what the [oauth2] section says besides the client id, `mailOnly`
 * offers IMAP and SMTP only.
 */
export function providerFile(
  w: Pick<OAuth2World, 'oidc' | 'peers' | 'gate'>,
  clientId: string | undefined,
  name = 'Test IdP',
  o: { oauth2?: Record<string, string>; mailOnly?: boolean } = {},
): string {
  const { imap, submission: smtp, pop3 } = w.peers.ports;
  return loopbackProvider({
    name,
    oauth2: {
      ...(o.oauth2 ?? { issuer: w.oidc.issuer, scopes: 'openid email offline_access' }),
      ...(clientId ? { client_id: clientId } : {}),
    },
    servers: o.mailOnly ? { imap, smtp } : { imap, smtp, pop3 },
    urls: o.mailOnly ? {} : { caldav: w.gate.url, carddav: w.gate.url },
  });
}

export function useOAuth2World(): OAuth2World {
  let oidc: OidcPeer;
  let gate: DavGate;
  const fx = useFixture({
    start: async (fx) => {
      oidc = fx.own(await startOidc({ accessTokenTtl: TTL_S }));
    },
    peers: { names: ['dovecot', 'radicale'], options: () => ({ oauth2IntrospectionUrl: oidc.introspectionUrl }) },
    prepare: async (fx) => {
      const peers = fx.peers;
      gate = fx.own(
        await startDavGate({
          upstreamPort: peers.ports.http,
          user: peers.user,
          password: peers.password,
          introspectionUrl: oidc.introspectionUrl,
        }),
      );
      const w = { oidc, peers, gate };
      fx.provider('testidp', providerFile(w, oidc.clientId));
      fx.provider('noclient', providerFile(w, undefined, 'No Client'));
      // A provider configured by endpoints and without openid (as Microsoft's): it never says who signed in.
      fx.provider(
        'endpointidp',
        providerFile(w, oidc.clientId, 'Endpoint IdP', {
          mailOnly: true,
          oauth2: {
            authorization_endpoint: `${oidc.issuer}/auth`,
            token_endpoint: `${oidc.issuer}/token`,
            revocation_endpoint: `${oidc.issuer}/token/revocation`,
            scopes: 'offline_access mail',
          },
        }),
      );
      // A provider whose tokens are for one service each (as Microsoft's): IMAP gets its own.
      fx.provider(
        'splitidp',
        providerFile(w, oidc.clientId, 'Split IdP', {
          mailOnly: true,
          oauth2: {
            issuer: oidc.issuer,
            scopes: 'openid email offline_access',
            'scopes.imap': 'mail',
            tokens_per_protocol: 'true',
          },
        }),
      );
    },
    service: { env: { PX_ACCOUNTS_SIGN_IN_TIMEOUT_MS: String(SIGN_IN_TIMEOUT_MS) } },
  });
  return {
    get oidc() {
      return oidc;
    },
    get gate() {
      return gate;
    },
    get peers() {
      return fx.peers;
    },
    get session() {
      return fx.session;
    },
    get service() {
      return fx.service;
    },
    get client() {
      return fx.client;
    },
  };
}

/** Starts a sign-in and returns the request's path and properties. */
export async function signIn(
  client: TestClient,
  provider: string,
  options: Record<string, V>,
): Promise<{ path: string; props: Record<string, unknown> }> {
  const [path] = await client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', [provider, options]);
  return { path: path as string, props: await client.getAll(path as string, SIGN_IN) };
}

/** Waits for the request's Completed (→ the account path) or Failed (→ [code, message]). */
export async function outcome(
  client: TestClient,
  path: string,
  timeoutMs = 15_000,
): Promise<{ account?: string; failed?: [string, string] }> {
  const sig = await client.waitSignal(
    (x) => x.path === path && x.iface === SIGN_IN && (x.member === 'Completed' || x.member === 'Failed'),
    timeoutMs,
    0,
  );
  return sig.member === 'Completed'
    ? { account: sig.body[0] as string }
    : { failed: [sig.body[0] as string, sig.body[1] as string] };
}

/** Sleeps until the account's cached token has less than a quarter of its life left. */
async function untilStale(client: TestClient, account: string): Promise<void> {
  const [, left] = await client.call(account, OAUTH2, 'GetAccessToken');
  // `left` is rounded down: the token has less than left + 1 s; stale below TTL_S / 4.
  await sleep(Math.max(0, ((left as number) + 1 - TTL_S / 4) * 1000) + 300);
}

const redirectOf = (url: string) => new URL(new URL(url).searchParams.get('redirect_uri')!);

/** True when nothing listens at the URL's port any more. */
async function refused(url: URL): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(3000) });
    return false;
  } catch (err) {
    return /ECONNREFUSED/.test(String((err as { cause?: { code?: string } }).cause?.code));
  }
}

describe('OAuth2 sign-in over the bus (oidc-provider, Dovecot oauth2 passdb, Radicale behind a Bearer gate)', function () {
  this.timeout(60_000);
  const w = useOAuth2World();
  let account = '';

  it('browser flow: PKCE and state through the loopback listener; the account is created, checked with the token and holds only its tokens', async () => {
    const { path, props } = await signIn(w.client, 'testidp', { account: s(w.peers.user), verify: b(true) });
    assert.equal(props.Flow, 'browser');
    assert.equal(props.Provider, 'testidp');
    const url = new URL(String(props.Url));
    assert.equal(url.origin, w.oidc.issuer);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('login_hint'), w.peers.user);
    assert.ok((url.searchParams.get('state') ?? '').length >= 32);
    const redirect = redirectOf(url.href);
    assert.equal(redirect.hostname, '127.0.0.1');
    assert.equal(redirect.pathname, '/oauth2/callback');

    const browser = new Browser();
    const page = await browser.signIn(url.href, { login: w.peers.user });
    assert.equal(new URL(page.url).origin, redirect.origin, 'the provider sent the browser to the listener');
    assert.equal(page.status, 200);
    assert.match(page.text, /signed in/i);
    const done = await outcome(w.client, path);
    assert.ok(done.account, `sign-in failed: ${done.failed?.join(': ')}`);
    account = done.account!;

    const a = await w.client.getAll(account, ACCOUNT);
    assert.equal(a.Provider, 'testidp');
    assert.equal(a.Username, w.peers.user);
    assert.deepEqual(a.Credentials, ['oauth2']);
    assert.equal(a.Status, 'online', String(a.StatusMessage));
    assert.equal(await w.client.get(account, OAUTH2, 'Issuer'), w.oidc.issuer);
    const [token, expiresIn] = await w.client.call(account, OAUTH2, 'GetAccessToken');
    assert.ok(typeof token === 'string' && token.length > 20);
    assert.ok((expiresIn as number) > 0 && (expiresIn as number) <= TTL_S);

    // The listener is gone: the redirect replayed finds nobody.
    assert.ok(await refused(new URL(page.url)), 'the loopback listener still answers after completion');
    // The request object is gone too.
    assert.equal((await errorOf(w.client.getAll(path, SIGN_IN))).type, 'org.freedesktop.DBus.Error.UnknownObject');
  });

  it('the OAuth2 account and a sign-in request export exactly what interfaces/ declares; requests are not among the managed objects', async () => {
    const got = await introspect(w.client, account);
    assert.ok(got.has(OAUTH2));
    for (const [name, spec] of got)
      if (name.startsWith('org.pantherx.')) assert.deepEqual(shape(spec), shape(declared.get(name)!), name);
    const all = await w.client.getAll(account, OAUTH2);
    assert.deepEqual(Object.keys(all).sort(), [...declared.get(OAUTH2)!.properties.keys()].sort());
    assert.equal(await w.client.get(account, ACCOUNT, 'Auth'), 'oauth2');
    const { path } = await signIn(w.client, 'testidp', {});
    try {
      const request = await introspect(w.client, path);
      assert.deepEqual(shape(request.get(SIGN_IN)!), shape(declared.get(SIGN_IN)!));
      assert.ok(!(path in (await w.client.managedObjects())), 'a request is not a managed object');
    } finally {
      await w.client.call(path, SIGN_IN, 'Cancel');
    }
  });

  it('Verify checks IMAP, SMTP, POP3 (XOAUTH2/OAUTHBEARER) and CalDAV/CardDAV (Bearer) with the token', async () => {
    const before = w.gate.introspections;
    const [results] = await w.client.call(account, ACCOUNT, 'Verify');
    const r = results as Record<string, V>;
    assert.deepEqual(Object.keys(r).sort(), ['caldav', 'carddav', 'imap', 'pop3', 'smtp']);
    for (const [p, v] of Object.entries(r)) {
      const x = v.value as Record<string, V>;
      assert.equal(x.code!.value, 'Ok', `${p}: ${String(x.message?.value)}`);
    }
    assert.ok(w.gate.introspections > before, 'the DAV gate saw Bearer tokens');
  });

  it('GetAccessToken: a cached token while it is fresh; after that one refresh for 50 concurrent callers, the rotated refresh token stored first', async () => {
    const [t1] = await w.client.call(account, OAUTH2, 'GetAccessToken');
    const refreshes = w.oidc.grants.refresh_token ?? 0;
    let renewed: string;
    const [t2] = await w.client.call(account, OAUTH2, 'GetAccessToken');
    assert.equal(t2, t1, 'a fresh token is served from the cache');
    assert.equal(w.oidc.grants.refresh_token ?? 0, refreshes);
    // Let it go stale (a quarter of its life left), then ask 50 times at once.
    await untilStale(w.client, account);
    const before = w.oidc.grants.refresh_token ?? 0;
    const clients = await Promise.all(Array.from({ length: 5 }, () => TestClient.connect(w.session.address, false)));
    try {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => clients[i % 5]!.call(account, OAUTH2, 'GetAccessToken')),
      );
      const tokens = new Set(answers.map(([t]) => t));
      assert.equal(tokens.size, 1, 'every caller got the same new token');
      renewed = String([...tokens][0]);
      assert.notEqual(renewed, t1);
      assert.equal((w.oidc.grants.refresh_token ?? 0) - before, 1, 'exactly one refresh reached the provider');
    } finally {
      for (const c of clients) c.disconnect();
    }
    // The rotated refresh token was stored: the next refresh works (reusing the old one would
    // have made the provider revoke the whole grant).
    await untilStale(w.client, account);
    const [t3] = await w.client.call(account, OAUTH2, 'GetAccessToken');
    assert.notEqual(t3, renewed);
    assert.equal((w.oidc.grants.refresh_token ?? 0) - before, 2);
    const [results] = await w.client.call(account, ACCOUNT, 'Verify');
    assert.equal(((results as Record<string, V>).imap!.value as Record<string, V>).code!.value, 'Ok');
  });

  it("GetAccessTokenFor: the account's token for a protocol without scopes of its own; not a protocol of the account → InvalidArgument", async () => {
    const mark = w.client.signals.length;
    const [t] = await w.client.call(account, OAUTH2, 'GetAccessToken');
    await w.client.call(account, OAUTH2, 'GetAccessToken');
    assert.deepEqual((await w.client.call(account, OAUTH2, 'GetAccessTokenFor', 's', ['imap']))[0], t);
    await sleep(200);
    const announced = w.client.signals
      .slice(mark)
      .filter((x) => x.member === 'SecretAccessed' && x.body[0] === account.split('/').pop());
    assert.ok(announced.length <= 1, 'a cached token is announced once per app, not per call');
    assert.ok(
      announced.every((x) => /^access token/.test(String(x.body[1])) && !String(x.body[1]).includes(String(t))),
    );
    assert.equal(
      (await errorOf(w.client.call(account, OAUTH2, 'GetAccessTokenFor', 's', ['sftp']))).type,
      ERR + 'InvalidArgument',
    );
  });

  it('a provider with one token per protocol: GetAccessTokenFor(imap) is a token of its own, refreshed with the IMAP scopes; the checks use it', async () => {
    const login = w.peers.user;
    const { path, props } = await signIn(w.client, 'splitidp', { account: s(login) });
    assert.ok(String(props.Url).includes('mail'), 'the sign-in asks for the IMAP scopes');
    await new Browser().signIn(String(props.Url), { login });
    const done = await outcome(w.client, path);
    assert.ok(done.account, String(done.failed));
    const before = w.oidc.grants.refresh_token ?? 0;
    const [general] = await w.client.call(done.account, OAUTH2, 'GetAccessToken');
    const [imap] = await w.client.call(done.account, OAUTH2, 'GetAccessTokenFor', 's', ['imap']);
    assert.notEqual(imap, general);
    assert.equal((w.oidc.grants.refresh_token ?? 0) - before, 1, 'one refresh, with scope=mail');
    assert.deepEqual(
      (await w.client.call(done.account, OAUTH2, 'GetAccessTokenFor', 's', ['imap']))[0],
      imap,
      'cached',
    );
    assert.deepEqual(
      (await w.client.call(done.account, OAUTH2, 'GetAccessTokenFor', 's', ['smtp']))[0],
      general,
      'smtp has no scopes of its own',
    );
    const [results] = await w.client.call(done.account, ACCOUNT, 'Verify');
    for (const [p, v] of Object.entries(results as Record<string, V>)) {
      assert.equal((v.value as Record<string, V>).code!.value, 'Ok', p);
    }
    await w.client.call(done.account, ACCOUNT, 'Remove');
  });

  it('a provider that does not say who signed in: the account option is required and the servers must accept the token for that user; a grant not kept is revoked', async () => {
    assert.equal(
      (await errorOf(w.client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['endpointidp', {}]))).type,
      ERR + 'InvalidArgument',
    );
    // Signed in as the mail user but claiming another mailbox: Dovecot refuses the token for it.
    const before = w.oidc.revocations.count;
    const wrong = await signIn(w.client, 'endpointidp', { account: s('someone-else@example.org') });
    await new Browser().signIn(String(wrong.props.Url), { login: w.peers.user });
    const refused = await outcome(w.client, wrong.path);
    assert.equal(refused.failed?.[0], 'VerificationFailed', String(refused.failed));
    await waitFor('revocation', async () => w.oidc.revocations.count > before, 5000);
    // The real user: accepted and created.
    const right = await signIn(w.client, 'endpointidp', { account: s(w.peers.user) });
    await new Browser().signIn(String(right.props.Url), { login: w.peers.user });
    const done = await outcome(w.client, right.path);
    assert.ok(done.account, String(done.failed));
    assert.equal(await w.client.get(done.account, ACCOUNT, 'Status'), 'online');
    // Signing in again as somebody else: the servers refuse the token for the account's user.
    const [again] = await w.client.call(done.account, ACCOUNT, 'SignInAgain', 'a{sv}', [{}]);
    await new Browser().signIn(String(await w.client.get(again as string, SIGN_IN, 'Url')), {
      login: 'intruder@example.org',
    });
    assert.equal((await outcome(w.client, again as string)).failed?.[0], 'InvalidArgument');
    await w.client.call(done.account, ACCOUNT, 'Remove');
  });

  it('tokens are not secrets: GetSecret(oauth2) is AccessDenied, SetSecret/DeleteSecret(oauth2) InvalidArgument, AddAccount with a password InvalidArgument', async () => {
    assert.equal(
      (await errorOf(w.client.call(account, ACCOUNT, 'GetSecret', 's', ['oauth2']))).type,
      ERR + 'AccessDenied',
    );
    assert.equal(
      (await errorOf(w.client.call(account, ACCOUNT, 'SetSecret', 'ss', ['oauth2', 'x']))).type,
      ERR + 'InvalidArgument',
    );
    assert.equal(
      (await errorOf(w.client.call(account, ACCOUNT, 'DeleteSecret', 's', ['oauth2']))).type,
      ERR + 'InvalidArgument',
    );
    const err = await errorOf(w.client.addAccount('testidp', 'someone@example.org', { password: 'x-test' }));
    assert.equal(err.type, ERR + 'InvalidArgument');
    assert.match(err.text, /OAuth2/);
    // An OAuth2 account cannot enable a protocol that has no token login.
    assert.equal(
      (
        await errorOf(
          w.client.call(account, ACCOUNT, 'Update', 'a{sv}', [
            { protocols: as(['imap', 'sftp']), 'sftp.host': s('127.0.0.1') },
          ]),
        )
      ).type,
      ERR + 'UnsupportedProtocol',
    );
  });

  it('a state that does not match is refused and the sign-in keeps waiting; Cancel ends it, only for its caller, and closes the listener', async () => {
    const { path, props } = await signIn(w.client, 'testidp', {});
    const redirect = redirectOf(String(props.Url));
    const forged = new URL(redirect);
    forged.searchParams.set('code', 'forged');
    forged.searchParams.set('state', 'not-the-state');
    const res = await fetch(forged);
    assert.equal(res.status, 400);
    const missing = await fetch(redirect);
    assert.equal(missing.status, 400);
    assert.equal(await w.client.get(path, SIGN_IN, 'Flow'), 'browser', 'the request is still there');
    const other = await TestClient.connect(w.session.address, false);
    try {
      assert.equal((await errorOf(other.call(path, SIGN_IN, 'Cancel'))).type, ERR + 'AccessDenied');
    } finally {
      other.disconnect();
    }
    await w.client.call(path, SIGN_IN, 'Cancel');
    assert.deepEqual((await outcome(w.client, path)).failed?.[0], 'Cancelled');
    assert.ok(await refused(redirect), 'the listener closed on cancel');
  });

  it('an app that leaves the bus cancels its sign-in; nobody finishing one ends it as Expired; both close the listener', async function () {
    this.timeout(SIGN_IN_TIMEOUT_MS + 20_000);
    const app = await TestClient.connect(w.session.address, false);
    const [path] = await app.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['testidp', {}]);
    const url = String(await app.get(path as string, SIGN_IN, 'Url'));
    // Only the app that asked reads the URL: it carries the request's state.
    assert.equal((await errorOf(w.client.get(path as string, SIGN_IN, 'Url'))).type, ERR + 'AccessDenied');
    assert.equal((await errorOf(w.client.getAll(path as string, SIGN_IN))).type, ERR + 'AccessDenied');
    // At most three sign-ins per connection.
    await app.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['testidp', {}]);
    await app.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['testidp', {}]);
    const fourth = await errorOf(app.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['testidp', {}]));
    assert.equal(fourth.type, ERR + 'LimitExceeded');
    assert.match(fourth.text, /3 sign-ins of this connection are in progress \(at most 3\)/);
    app.disconnect();
    assert.deepEqual((await outcome(w.client, path as string)).failed?.[0], 'Cancelled');
    assert.ok(await refused(redirectOf(url)));

    const { path: p2, props } = await signIn(w.client, 'testidp', {});
    const done = await outcome(w.client, p2, SIGN_IN_TIMEOUT_MS + 10_000);
    assert.equal(done.failed?.[0], 'Expired');
    assert.ok(await refused(redirectOf(String(props.Url))), 'the listener closed at the timeout');
  });

  it('the user refusing consent ends the sign-in with AccessDenied and saves nothing', async () => {
    const before = Object.keys(await w.client.managedObjects()).length;
    const { path, props } = await signIn(w.client, 'testidp', { account: s('refuser@example.org') });
    const page = await new Browser().signIn(String(props.Url), { login: 'refuser@example.org', consent: false });
    assert.match(page.text, /not completed/i);
    const done = await outcome(w.client, path);
    assert.equal(done.failed?.[0], 'AccessDenied', String(done.failed));
    assert.equal(Object.keys(await w.client.managedObjects()).length, before);
  });

  it('device flow: UserCode and VerificationUrl, the user signs in elsewhere, the service polls and creates the account', async function () {
    this.timeout(40_000);
    const login = `device-${process.pid}@example.org`;
    const { path, props } = await signIn(w.client, 'testidp', { flow: s('device'), account: s(login) });
    assert.equal(props.Flow, 'device');
    assert.match(String(props.UserCode), /^[A-Z0-9-]{4,}$/);
    assert.equal(new URL(String(props.VerificationUrl)).origin, w.oidc.issuer);
    const page = await new Browser().signIn(String(props.VerificationUrl), { login }, String(props.UserCode));
    assert.equal(page.status, 200);
    const done = await outcome(w.client, path, 30_000);
    assert.ok(done.account, String(done.failed));
    assert.equal(await w.client.get(done.account, ACCOUNT, 'Username'), login);
    const [token] = await w.client.call(done.account, OAUTH2, 'GetAccessToken');
    assert.ok(String(token).length > 20);
    await w.client.call(done.account, ACCOUNT, 'Remove');
  });

  it('a revoked grant: Verify gives Unauthorized and AttentionNeeded, GetAccessToken NotAuthorized; SignInAgain (as the same user only) clears it', async function () {
    this.timeout(40_000);
    w.oidc.revokeUser(w.peers.user);
    const [results] = await w.client.call(account, ACCOUNT, 'Verify');
    const imap = (results as Record<string, V>).imap!.value as Record<string, V>;
    assert.equal(imap.code!.value, 'Unauthorized', String(imap.message!.value));
    assert.equal(await w.client.get(account, ACCOUNT, 'AttentionNeeded'), true);
    assert.equal(await w.client.get(account, ACCOUNT, 'Status'), 'error');
    const err = await errorOf(w.client.call(account, OAUTH2, 'GetAccessToken'));
    assert.equal(err.type, ERR + 'NotAuthorized');
    assert.match(err.text, /sign in again/);

    // Signing in again as somebody else is refused.
    const [wrongPath] = await w.client.call(account, ACCOUNT, 'SignInAgain', 'a{sv}', [{}]);
    const wrongUrl = String(await w.client.get(wrongPath as string, SIGN_IN, 'Url'));
    assert.equal(new URL(wrongUrl).searchParams.get('login_hint'), w.peers.user);
    await new Browser().signIn(wrongUrl, { login: 'intruder@example.org' });
    const wrong = await outcome(w.client, wrongPath as string);
    assert.equal(wrong.failed?.[0], 'InvalidArgument');
    assert.equal(await w.client.get(account, ACCOUNT, 'AttentionNeeded'), true);

    const [againPath] = await w.client.call(account, ACCOUNT, 'SignInAgain', 'a{sv}', [{}]);
    assert.equal(await w.client.get(againPath as string, SIGN_IN, 'Account'), account.split('/').pop());
    await new Browser().signIn(String(await w.client.get(againPath as string, SIGN_IN, 'Url')), {
      login: w.peers.user,
    });
    assert.equal((await outcome(w.client, againPath as string)).account, account);
    assert.equal(await w.client.get(account, ACCOUNT, 'AttentionNeeded'), false);
    const [after] = await w.client.call(account, ACCOUNT, 'Verify');
    assert.equal(((after as Record<string, V>).imap!.value as Record<string, V>).code!.value, 'Ok');
  });

  it('a provider that cannot be reached: GetAccessToken is Unreachable and the account needs no attention', async function () {
    this.timeout(30_000);
    await untilStale(w.client, account);
    await w.oidc.pause();
    try {
      const err = await errorOf(w.client.call(account, OAUTH2, 'GetAccessToken'));
      assert.equal(err.type, ERR + 'Unreachable', err.text);
      assert.equal(await w.client.get(account, ACCOUNT, 'AttentionNeeded'), false);
    } finally {
      await w.oidc.resume();
    }
    const [token] = await w.client.call(account, OAUTH2, 'GetAccessToken');
    assert.ok(String(token).length > 20);
  });

  it('no client id: SignIn fails at once with NotConfigured naming the file; a client id in the user file works without a restart', async () => {
    const listed = async () => (await w.client.call(ROOT, MANAGER, 'ListProviders'))[0] as Array<Record<string, V>>;
    const entry = async () => (await listed()).find((p) => p.id!.value === 'noclient')!;
    assert.equal((await entry()).auth!.value, 'oauth2');
    assert.equal((await entry()).oauth2_configured!.value, false);
    const err = await errorOf(w.client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['noclient', {}]));
    assert.equal(err.type, ERR + 'NotConfigured');
    assert.match(err.text, /px-accounts\/oauth2\.ini/);
    mkdirSync(join(w.session.env.XDG_CONFIG_HOME!, 'px-accounts'), { recursive: true });
    writeFileSync(
      join(w.session.env.XDG_CONFIG_HOME!, 'px-accounts', 'oauth2.ini'),
      `[noclient]\nclient_id = ${w.oidc.clientId}\n`,
    );
    assert.equal((await entry()).oauth2_configured!.value, true);
    const { path } = await signIn(w.client, 'noclient', {});
    await w.client.call(path, SIGN_IN, 'Cancel');
    assert.equal((await outcome(w.client, path)).failed?.[0], 'Cancelled');
    // A provider that signs in with passwords has no SignIn.
    assert.equal(
      (await errorOf(w.client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['imap', {}]))).type,
      ERR + 'InvalidArgument',
    );
    assert.equal(
      (await errorOf(w.client.call(ROOT, MANAGER, 'SignIn', 'sa{sv}', ['testidp', { flow: s('carrier-pigeon') }])))
        .type,
      ERR + 'InvalidArgument',
    );
  });

  describe('the command line', () => {
    const run = (args: string[]) => spawnCli(w.session.env, args);

    it('px-accounts add -provider P -account A (no password) prints the URL, waits for the browser and adds the account; token prints a token', async function () {
      this.timeout(30_000);
      const login = `cli-${process.pid}@example.org`;
      const p = run(['add', '-provider', 'testidp', '-account', login, '--no-browser', '--json']);
      const url = await p.line(/^\s+(http\S+)$/m);
      assert.equal(new URL(url).searchParams.get('login_hint'), login);
      await new Browser().signIn(url, { login });
      const r = await p.done;
      assert.equal(r.code, 0, r.stderr);
      const created = JSON.parse(r.stdout) as { id: string; auth: string; credentials: string[] };
      assert.equal(created.auth, 'oauth2');
      assert.deepEqual(created.credentials, ['oauth2']);
      const t = await run(['token', created.id]).done;
      assert.equal(t.code, 0, t.stderr);
      assert.deepEqual(
        (await w.client.call(`/org/pantherx/Accounts/account/${created.id}`, OAUTH2, 'GetAccessToken'))[0],
        t.stdout.trim(),
      );
      const shown = await run(['show', created.id]).done;
      assert.match(shown.stdout, /Sign-in:\s+OAuth2/);
      assert.equal((await run(['remove', created.id]).done).code, 0);
    });

    it('Ctrl-C cancels the sign-in (exit 130) and the listener closes; --device prints the code', async function () {
      this.timeout(30_000);
      const p = run(['add', '-provider', 'testidp', '-account', 'ctrl-c@example.org', '--no-browser']);
      const url = await p.line(/^\s+(http\S+)$/m);
      p.child.kill('SIGINT');
      const r = await p.done;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /cancel/i);
      assert.ok(await refused(redirectOf(url)));

      const d = run(['add', '-provider', 'testidp', '-account', 'device-cli@example.org', '--device']);
      const code = await d.line(/^\s+([A-Z0-9-]{4,})$/m);
      assert.match(d.stderr(), /enter the code/);
      d.child.kill('SIGINT');
      assert.equal((await d.done).code, 130);
      assert.ok(code);
    });

    it('a provider without a client id: exit 10 naming the file; a password for an OAuth2 provider: exit 2', async () => {
      // The client files are read at every sign-in: without the section noclient has no client id again.
      mkdirSync(join(w.session.env.XDG_CONFIG_HOME!, 'px-accounts'), { recursive: true });
      writeFileSync(join(w.session.env.XDG_CONFIG_HOME!, 'px-accounts', 'oauth2.ini'), '; nothing configured\n');
      const r = await run(['add', '-provider', 'noclient', '-account', 'x@example.org', '--no-browser']).done;
      assert.equal(r.code, 10, r.stderr);
      assert.match(r.stderr, /oauth2\.ini/);
      const pw = await run(['add', '-provider', 'testidp', '-account', 'x@example.org', 'some-test-password']).done;
      assert.equal(pw.code, 2, pw.stderr);
    });
  });

  describe('the client library and gdbus', () => {
    it('signIn: onStarted gives the URL, the promise the account; getAccessToken; an abort cancels (kind Cancelled)', async function () {
      this.timeout(30_000);
      const client = await AccountsClient.connect({ busAddress: w.session.address });
      try {
        const login = `lib-${process.pid}@example.org`;
        let started: SignInRequest | undefined;
        const account = await client.signIn(
          'testidp',
          { account: login, protocols: ['imap'] },
          {
            onStarted: (r) => {
              started = r;
              void new Browser().signIn(r.url, { login });
            },
          },
        );
        assert.equal(started?.flow, 'browser');
        assert.equal(account.auth, 'oauth2');
        assert.equal(account.username, login);
        assert.deepEqual(account.protocols, ['imap']);
        const token = await client.getAccessToken(account.id);
        assert.ok(token.token.length > 20 && token.expiresIn > 0);
        const providers = await client.listProviders();
        assert.equal(providers.find((p) => p.id === 'testidp')?.auth, 'oauth2');
        assert.equal(providers.find((p) => p.id === 'fastmail')?.auth, 'password');

        // gdbus, as a script would call it: the same token, from the cache.
        const out = execFileSync(
          'gdbus',
          [
            'call',
            '--session',
            '--dest',
            'org.pantherx.Accounts',
            '--object-path',
            account.path,
            '--method',
            `${OAUTH2}.GetAccessToken`,
          ],
          { env: w.session.env, encoding: 'utf8' },
        );
        assert.match(out, new RegExp(`^\\('${token.token.replace(/[-.]/g, '\\$&')}', \\d+\\)`));

        const controller = new AbortController();
        const cancelled = client.signIn(
          'testidp',
          {},
          { signal: controller.signal, onStarted: () => controller.abort() },
        );
        await assert.rejects(cancelled, (err: unknown) => isAccountsClientError(err, 'Cancelled'));
        await client.removeAccount(account.id);
      } finally {
        client.close();
      }
    });
  });

  describe('afterwards', () => {
    it('no token appears in any file, log line, property or signal', async () => {
      const [token] = await w.client.call(account, OAUTH2, 'GetAccessToken');
      const issued = [...w.oidc.issued, String(token)];
      assert.ok(issued.length > 5);
      const files = readTree(w.session.dir);
      const log = w.service.log();
      const objects = JSON.stringify(await w.client.managedObjects(), (_k, v: unknown) =>
        typeof v === 'bigint' ? String(v) : v,
      );
      const signals = JSON.stringify(w.client.signals, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      for (const t of issued) {
        for (const [what, text] of [
          ['a file', files],
          ['the log', log],
          ['a property', objects],
          ['a signal', signals],
        ] as const) {
          assert.ok(!text.includes(t), `a token in ${what}`);
        }
      }
      await w.client.call(account, ACCOUNT, 'Remove');
    });
  });
});
