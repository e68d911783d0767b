/** OAuth2 without a provider: provider sections, client files, token freshness and the keeper's single flight. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountsError } from '../../src/errors.js';
import { checkTenant, clientFor, parseOAuth2Section, signInScopes } from '../../src/oauth2/config.js';
import { isFresh, parseRecord, TokenKeeper, type TokenRecord, type TokenStore } from '../../src/oauth2/tokens.js';
import type { Configuration, OidcLib } from '../../src/oauth2/client.js';
import { AccessPolicy } from '../../src/access/policy.js';
import { Grants } from '../../src/access/grants.js';
import type { Caller, Callers } from '../../src/access/callers.js';
import { ACCOUNT_IFACE, MANAGER_IFACE, OAUTH2_IFACE } from '../../src/contract/names.js';
import { ACCESS_ANNOTATION } from '../../src/contract/access.js';
import { loadXmlContract } from '../../src/bus/contract-xml.js';
import { ROOT } from '../harness/session.js';

const section = (extra: Record<string, string> = {}) => ({
  issuer: 'https://login.example.org',
  scopes: 'openid email',
  ...extra,
});

describe('OAuth2 provider sections', () => {
  it('takes an issuer, or both endpoints; https only, plain http on loopback only', () => {
    assert.equal(parseOAuth2Section(section()).issuer, 'https://login.example.org');
    const endpoints = parseOAuth2Section({
      authorization_endpoint: 'https://a.example.org/{tenant}/auth',
      token_endpoint: 'https://a.example.org/{tenant}/token',
    });
    assert.equal(endpoints.issuer, '');
    assert.equal(parseOAuth2Section(section({ issuer: 'http://127.0.0.1:8080' })).issuer, 'http://127.0.0.1:8080');
    assert.throws(() => parseOAuth2Section(section({ issuer: 'http://login.example.org' })), /https/);
    assert.throws(
      () => parseOAuth2Section({ authorization_endpoint: 'https://a.example.org/auth' }),
      /issuer .* or authorization_endpoint and token_endpoint/,
    );
    assert.throws(() => parseOAuth2Section(section({ issuer: 'not a url' })), /not a URL/);
  });

  it('redirect URIs are loopback http without a port (RFC 8252 7.3); reserved parameters cannot be set', () => {
    assert.equal(parseOAuth2Section(section()).redirectUri, 'http://127.0.0.1/oauth2/callback');
    assert.equal(parseOAuth2Section(section({ redirect_uri: 'http://[::1]/cb' })).redirectUri, 'http://[::1]/cb');
    for (const bad of ['https://127.0.0.1/cb', 'http://example.org/cb', 'http://127.0.0.1:8080/cb']) {
      assert.throws(() => parseOAuth2Section(section({ redirect_uri: bad })), /loopback/, bad);
    }
    assert.deepEqual(parseOAuth2Section(section({ parameters: 'access_type=offline&prompt=consent' })).parameters, {
      access_type: 'offline',
      prompt: 'consent',
    });
    assert.throws(() => parseOAuth2Section(section({ parameters: 'state=fixed' })), /must not set state/);
  });

  it("sign-in scopes are the provider's plus those of each enabled protocol, without repeats", () => {
    const p = parseOAuth2Section(
      section({ 'scopes.imap': 'https://mail/ x', 'scopes.smtp': 'https://mail/', 'scopes.caldav': 'cal' }),
    );
    assert.deepEqual(signInScopes(p, ['imap', 'smtp']), ['openid', 'email', 'https://mail/', 'x']);
    assert.deepEqual(signInScopes(p, []), ['openid', 'email']);
    assert.equal(p.tokensPerProtocol, false);
    assert.equal(parseOAuth2Section(section({ tokens_per_protocol: 'true' })).tokensPerProtocol, true);
  });

  it('the client id: the provider file, then the system file, then the user file; none is NotConfigured naming the user file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxa-oauth2-'));
    try {
      const system = join(dir, 'system.ini');
      const user = join(dir, 'user.ini');
      const p = parseOAuth2Section(section());
      assert.throws(
        () => clientFor('acme', 'Acme', p, [system, user]),
        (err: unknown) =>
          err instanceof AccountsError &&
          err.kind === 'NotConfigured' &&
          err.message.includes(user) &&
          err.message.includes('[acme]'),
      );
      writeFileSync(system, '[acme]\nclient_id = from-system\n');
      assert.equal(clientFor('acme', 'Acme', p, [system, user]).clientId, 'from-system');
      writeFileSync(user, '[acme]\nclient_id = from-user\nclient_secret = desktop-secret\n[other]\nclient_id = no\n');
      assert.deepEqual(clientFor('acme', 'Acme', p, [system, user]), {
        clientId: 'from-user',
        clientSecret: 'desktop-secret',
      });
      assert.equal(
        clientFor('acme', 'Acme', parseOAuth2Section(section({ client_id: 'shipped' })), [join(dir, 'none')]).clientId,
        'shipped',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tenants are ids or domains', () => {
    assert.equal(checkTenant(undefined), 'common');
    assert.equal(checkTenant('contoso.onmicrosoft.com'), 'contoso.onmicrosoft.com');
    for (const bad of ['../x', 'a/b', 'x y', '-a']) assert.throws(() => checkTenant(bad), /tenant/, bad);
  });
});

describe('OAuth2 tokens', () => {
  it('a token is fresh while more than a quarter of its life (at most 5 minutes) is left', () => {
    const now = 1_000_000;
    const t = (leftS: number, lifetime: number) => ({ access_token: 'x', expires_at: now + leftS * 1000, lifetime });
    assert.ok(isFresh(t(3, 8), now));
    assert.ok(!isFresh(t(2, 8), now));
    assert.ok(isFresh(t(301, 3600), now));
    assert.ok(!isFresh(t(299, 3600), now));
    assert.ok(!isFresh(undefined, now));
  });

  it('an unreadable or incomplete record means signing in again (NotAuthorized)', () => {
    for (const text of ['{', '{}', '{"v":1}', 'null']) {
      assert.throws(
        () => parseRecord(text),
        (err: unknown) => err instanceof AccountsError && err.kind === 'NotAuthorized',
        text,
      );
    }
  });

  function fakeStore(response: () => Promise<{ access_token: string; expires_in?: number; refresh_token?: string }>) {
    let record: TokenRecord = {
      v: 1,
      client_id: 'c',
      client_secret: '',
      tenant: 'common',
      refresh_token: 'r1',
      scope: 'openid',
      tokens: {},
    };
    const writes: TokenRecord[] = [];
    const refused: string[] = [];
    const lib = {
      refreshTokenGrant: async (_c: unknown, refreshToken: string) => {
        assert.equal(refreshToken, record.refresh_token, 'the stored refresh token is used');
        return response();
      },
    } as unknown as OidcLib;
    const store: TokenStore = {
      read: async () => record,
      write: async (_id, r) => {
        record = r;
        writes.push(r);
      },
      configure: async () => ({ config: {} as Configuration, lib, scopesFor: () => [] }),
      refused: (id) => refused.push(id),
      serviceOf: () => '',
    };
    return { store, writes, refused, record: () => record };
  }

  it('callers that ask while a refresh runs share it; the rotated refresh token is written before anyone is answered', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const f = fakeStore(async () => {
      calls++;
      await gate;
      return { access_token: `a${calls}`, expires_in: 3600, refresh_token: `r${calls + 1}` };
    });
    const keeper = new TokenKeeper(f.store);
    const answers = Array.from({ length: 20 }, () => keeper.token('acct'));
    await new Promise((r) => setImmediate(r));
    release();
    const tokens = await Promise.all(answers);
    assert.equal(calls, 1);
    assert.ok(tokens.every((t) => t.access_token === 'a1'));
    assert.equal(f.writes.length, 1);
    assert.equal(f.record().refresh_token, 'r2');
    assert.equal((await keeper.token('acct')).access_token, 'a1', 'then from the cache');
    assert.equal(calls, 1);
  });

  it('renew refreshes even a fresh token; invalid_grant is NotAuthorized and tells the account', async () => {
    let n = 0;
    const f = fakeStore(async () => {
      n++;
      if (n === 3)
        throw Object.assign(new Error('refused'), { name: 'ResponseBodyError', error: 'invalid_grant', status: 400 });
      return { access_token: `a${n}`, expires_in: 3600 };
    });
    const keeper = new TokenKeeper(f.store);
    assert.equal((await keeper.token('acct')).access_token, 'a1');
    await new Promise((r) => setTimeout(r, 1100)); // a renewal right after a refresh would reuse it
    assert.equal((await keeper.token('acct', '', true)).access_token, 'a2');
    assert.equal(f.record().refresh_token, 'r1', 'a provider that does not rotate keeps the refresh token');
    await new Promise((r) => setTimeout(r, 1100));
    await assert.rejects(
      keeper.token('acct', '', true),
      (err: unknown) => err instanceof AccountsError && err.kind === 'NotAuthorized',
    );
    assert.deepEqual(f.refused, ['acct']);
  });
});

describe('OAuth2 tokens and access control', () => {
  const path = '/org/pantherx/Accounts/account/acme_me';
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'pxa-grants-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const policyFor = (caller: Caller, hostApps: 'allow' | 'ask' = 'allow') => {
    const grants = new Grants(join(dir, 'access.json'));
    grants.hostApps = hostApps;
    return new AccessPolicy({ identify: async () => caller } as unknown as Callers, grants);
  };
  const uid = process.getuid?.() ?? 0;
  const flatpak: Caller = { kind: 'flatpak', app: 'org.example.Mail', uid, pid: 1, sender: ':1.9' };
  const host: Caller = { kind: 'host', app: '/usr/bin/mailer', uid, pid: 2, sender: ':1.8' };

  const contract = loadXmlContract(join(ROOT, 'interfaces'));
  const request = (sender: string, iface: string, member: string) => ({
    sender,
    iface,
    member,
    path,
    args: [],
    access: contract
      .get(iface)!
      .methods.get(member)!
      .annotations.find((a) => a.name === ACCESS_ANNOTATION)?.value,
  });

  it('GetAccessToken, GetAccessTokenFor and SignInAgain need a grant, as GetSecret does; members marked none need nothing', async () => {
    for (const [iface, member] of [
      [OAUTH2_IFACE, 'GetAccessToken'],
      [OAUTH2_IFACE, 'GetAccessTokenFor'],
      [ACCOUNT_IFACE, 'SignInAgain'],
    ] as const) {
      await assert.rejects(
        policyFor(flatpak).authorize(request(':1.9', iface, member))!,
        (err: unknown) =>
          err instanceof AccountsError &&
          err.kind === 'AccessDenied' &&
          /org\.example\.Mail has no grant/.test(err.message),
        member,
      );
      assert.equal((await policyFor(host).authorize(request(':1.8', iface, member)))?.app, '/usr/bin/mailer', member);
      await assert.rejects(policyFor(host, 'ask').authorize(request(':1.8', iface, member))!, /no grant/, member);
    }
    assert.equal(policyFor(flatpak).authorize(request(':1.9', MANAGER_IFACE, 'ListProviders')), undefined);
  });

  it('fails closed: a member without an access rule is refused to sandboxed apps, allowed to host apps', async () => {
    const unruled = { sender: ':1.9', iface: 'org.example.New', member: 'DoIt', path, args: [], access: undefined };
    await assert.rejects(policyFor(flatpak).authorize(unruled)!, /has no access rule/);
    assert.equal((await policyFor(host).authorize({ ...unruled, sender: ':1.8' }))?.app, '/usr/bin/mailer');
  });

  it('CheckAccounts: a grant for every id named; the empty list (every account) only for host apps', async () => {
    const check = (sender: string, ids: string[]) => ({
      ...request(sender, MANAGER_IFACE, 'CheckAccounts'),
      path: '/org/pantherx/Accounts',
      args: [ids],
    });
    await assert.rejects(policyFor(flatpak).authorize(check(':1.9', ['acme_me']))!, /no grant for account acme_me/);
    await assert.rejects(policyFor(flatpak).authorize(check(':1.9', []))!, /every account is for the user's own apps/);
    assert.ok(await policyFor(host).authorize(check(':1.8', [])));
    const granted = policyFor(flatpak);
    await granted.grants.set('acme_me', 'org.example.Mail', 'always');
    assert.ok(await granted.authorize(check(':1.9', ['acme_me'])));
    await assert.rejects(
      granted.authorize(check(':1.9', ['acme_me', 'acme_other']))!,
      /no grant for account acme_other/,
    );
  });
});
