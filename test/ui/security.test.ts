/**
 * The window's server over plain HTTP, as another local user or a web page would try it: no
 * token, a reused or wrong token, a wrong Host (DNS rebinding), a foreign Origin, GETs and
 * forms that would change something, oversized and broken bodies; and no response carrying a
 * secret except the one-value reveal.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Account } from '../../src/client/index.js';
import { testSecret, useFixture } from '../harness/fixture.js';
import { sessionOf, http, type Answer } from './helpers.js';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The window's JSON error answer: { kind, summary }. */
function errorBody(reply: { body: string }): { kind: string; summary: string } {
  return JSON.parse(reply.body) as { kind: string; summary: string };
}

describe('px-accounts-ui: what the server refuses', function () {
  this.timeout(30_000);
  let cookie: string;
  let key: string;
  let launch: Awaited<ReturnType<typeof sessionOf>>;
  let account: Account;
  const password = testSecret();
  const answers: Answer[] = [];
  /** A request with the session cookie (and whatever else is given); every answer is kept for the leak check. */
  const as = async (path: string, opts: Parameters<typeof http>[2] = {}) => {
    const r = await http(fx.ui.origin, path, {
      ...opts,
      headers: { Cookie: cookie, 'X-PX-Key': key, ...opts.headers },
    });
    answers.push(r);
    return r;
  };
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    as(path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { Origin: fx.ui.origin, 'Content-Type': 'application/json', ...headers },
    });

  const fx = useFixture({
    service: true,
    seed: async (fx) => {
      account = await fx.accounts.addAccount({
        provider: 'imap',
        account: 'sec@example.org',
        password,
        secrets: { smtp: testSecret() },
        protocols: ['imap', 'smtp'],
        settings: { imap: { host: '127.0.0.1', port: 1 }, smtp: { host: '127.0.0.1', port: 1 } },
      });
    },
    window: { browser: false },
  });
  // The launch link redeemed over plain HTTP: the session every test below uses.
  before(async () => {
    launch = await sessionOf(fx.ui);
    ({ cookie, key } = launch);
  });

  it('listens on 127.0.0.1 only', () => {
    assert.match(fx.ui.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses everything without the session cookie', async () => {
    for (const path of ['/', '/app.js', '/api/accounts', `/api/accounts/${account.id}`, '/api/events']) {
      const r = await http(fx.ui.origin, path);
      assert.equal(r.status, 401, path);
    }
    const r = await http(fx.ui.origin, `/api/accounts/${account.id}/remove`, {
      method: 'POST',
      headers: { Origin: fx.ui.origin, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(r.status, 401);
  });

  it('takes a launch token once: a reused, wrong or empty token gives nothing', async () => {
    const u = new URL(fx.ui.url);
    const again = await http(fx.ui.origin, u.pathname + u.search);
    assert.equal(again.status, 403, 'the token of the printed URL was used by before()');
    assert.equal(again.headers['set-cookie'], undefined);
    for (const t of ['x', '', u.searchParams.get('token')!.slice(0, -1) + 'A']) {
      const r = await http(fx.ui.origin, `/?token=${encodeURIComponent(t)}`);
      assert.equal(r.status, 403, `token '${t}'`);
      assert.equal(r.headers['set-cookie'], undefined);
    }
  });

  it('hands out an HttpOnly SameSite=Strict cookie for a good token, and sends the token out of the address', async () => {
    assert.match(
      cookie,
      new RegExp(`^pxa_session_${new URL(fx.ui.origin).port}=[A-Za-z0-9_-]{43}$`),
      'one cookie name per window: a second one does not sign the first out',
    );
    // A made-up cookie is no session.
    const r = await http(fx.ui.origin, '/api/accounts', {
      headers: { Cookie: `pxa_session_${new URL(fx.ui.origin).port}=${'A'.repeat(43)}` },
    });
    assert.equal(r.status, 401);
  });

  it('the API wants the session key besides the cookie (a cookie is sent to every port of 127.0.0.1: another local server may have it)', async () => {
    for (const k of [undefined, '', 'A'.repeat(43), key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')]) {
      const headers: Record<string, string> = { Cookie: cookie, ...(k === undefined ? {} : { 'X-PX-Key': k }) };
      for (const path of ['/api/accounts', `/api/events`]) {
        const r = await http(fx.ui.origin, path, { headers, until: () => true });
        assert.equal(r.status, 401, `${path} with key '${k}'`);
      }
      const removed = await http(fx.ui.origin, `/api/accounts/${account.id}/remove`, {
        method: 'POST',
        headers: { ...headers, Origin: fx.ui.origin, 'Content-Type': 'application/json' },
        body: '{}',
      });
      assert.equal(removed.status, 401);
    }
    assert.equal((await fx.accounts.getAccount(account.id)).id, account.id, 'nothing was removed');
    // The page itself (no secrets, no data) loads with the cookie alone, without the key now.
    const again = await http(fx.ui.origin, '/', { headers: { Cookie: cookie } });
    assert.equal(again.status, 200);
    assert.ok(!again.body.includes(key), 'the key is handed over once');
    const events = await http(fx.ui.origin, '/api/events', {
      headers: { Cookie: cookie, 'X-PX-Key': key },
      until: () => true,
    });
    assert.equal(events.status, 200, 'the event stream takes the key in the header');
  });

  it("hands the session key over once, in the first page's body, never in a URL (the browser's history keeps URLs)", async () => {
    // The redirect after the token: to the page itself, nothing secret in it.
    assert.equal(launch.redirect.headers.location, '/');
    for (const [name, value] of Object.entries(launch.redirect.headers))
      assert.ok(!String(value).includes(key), `the key in the redirect's ${name}`);
    assert.equal(launch.redirect.body, '');
    // The first page has it in a <meta> (no inline script: the CSP stays strict), once.
    assert.equal(launch.page.status, 200);
    assert.equal(launch.page.headers['content-security-policy'], CSP);
    assert.equal(launch.page.headers['cache-control'], 'no-store');
    assert.equal(launch.page.body.split(key).length, 2);
    assert.match(launch.page.body, new RegExp(`<meta name="px-session-key" content="${key}">`));
    // Whoever has the cookie later (another local user's server on another port) gets the page, not the key.
    for (const path of ['/', '/index.html']) {
      const r = await http(fx.ui.origin, path, { headers: { Cookie: cookie } });
      assert.equal(r.status, 200, path);
      assert.ok(!r.body.includes(key) && !r.body.includes('px-session-key'), path);
    }
    // A key in the address is no longer taken, the event stream's included.
    for (const path of [
      `/api/accounts?k=${key}`,
      `/api/events?k=${key}`,
      `/api/accounts?k=${encodeURIComponent(key)}`,
    ]) {
      const r = await http(fx.ui.origin, path, { headers: { Cookie: cookie }, until: () => true });
      assert.equal(r.status, 401, path);
    }
    assert.equal((await as('/api/accounts')).status, 200, 'the header still works');
  });

  it('refuses a wrong Host, even with a good cookie (DNS rebinding)', async () => {
    const port = new URL(fx.ui.origin).port;
    for (const host of [
      `localhost:${port}`,
      `evil.example:${port}`,
      '127.0.0.1',
      `127.0.0.1:${Number(port) + 1}`,
      `[::1]:${port}`,
    ]) {
      const r = await as('/api/accounts', { headers: { Host: host } });
      assert.equal(r.status, 403, host);
      assert.ok(!r.body.includes(account.id), host);
    }
  });

  it('refuses changes from a foreign Origin or none, and keeps the account', async () => {
    for (const origin of ['http://evil.example', 'null', `http://localhost:${new URL(fx.ui.origin).port}`, undefined]) {
      const r = await as(`/api/accounts/${account.id}/remove`, {
        method: 'POST',
        body: '{}',
        headers: { 'Content-Type': 'application/json', ...(origin === undefined ? {} : { Origin: origin }) },
      });
      assert.equal(r.status, 403, String(origin));
    }
    assert.ok(await fx.accounts.getAccount(account.id));
  });

  it('never changes anything on GET', async () => {
    for (const path of [
      `/api/accounts/${account.id}/remove`,
      `/api/accounts/${account.id}/update?name=x`,
      `/api/accounts/${account.id}/reveal?name=password`,
    ]) {
      const r = await as(path);
      assert.equal(r.status, 405, path);
      assert.equal(r.headers.allow, 'POST');
    }
    const a = await fx.accounts.getAccount(account.id);
    assert.equal(a.name, account.name);
  });

  it('takes only JSON bodies, of limited size; bad input is a clear error and the server carries on', async () => {
    const form = await as(`/api/accounts/${account.id}/remove`, {
      method: 'POST',
      body: 'a=1',
      headers: { Origin: fx.ui.origin, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    const big = await as('/api/accounts', {
      method: 'POST',
      body: Buffer.alloc(2 * 1024 * 1024, 0x20),
      headers: { Origin: fx.ui.origin, 'Content-Type': 'application/json' },
    });
    assert.equal(big.status, 413);
    const broken = await as('/api/accounts', {
      method: 'POST',
      body: '{"provider":',
      headers: { Origin: fx.ui.origin, 'Content-Type': 'application/json' },
    });
    assert.equal(broken.status, 400);
    assert.match(errorBody(broken).summary, /not valid JSON/);
    const wrongType = await postJson('/api/accounts', { provider: 'imap', account: 5 });
    assert.equal(wrongType.status, 400);
    assert.match(errorBody(wrongType).summary, /account must be text/);
    const unknown = await postJson('/api/accounts', {
      provider: 'imap',
      account: 'x@example.org',
      settings: { imap: { nosuch: '1' } },
    });
    assert.equal(unknown.status, 400);
    // Files picked with a profile: only for an import, plain names, and no profile that makes one file into thousands.
    const file = Buffer.from('x').toString('base64');
    const notImport = await postJson('/api/accounts', {
      provider: 'imap',
      account: 'x@example.org',
      files: { 'imap.host': { 'a.crt': file } },
    });
    assert.match(errorBody(notImport).summary, /'imap\.host' is not an import/);
    const traversal = await postJson('/api/accounts', {
      provider: 'openvpn',
      account: 'x',
      settings: { openvpn: { profile: 'client\n' } },
      files: { 'openvpn.profile': { '../evil': file } },
    });
    assert.match(errorBody(traversal).summary, /is not a file name/);
    const many = Array.from({ length: 100 }, (_, i) => `ca d${i}/ca.crt`).join('\n');
    const amplified = await postJson('/api/accounts', {
      provider: 'openvpn',
      account: 'x',
      settings: { openvpn: { profile: many } },
      files: { 'openvpn.profile': { 'ca.crt': file } },
    });
    assert.equal(amplified.status, 400);
    assert.match(errorBody(amplified).summary, /names more than 64 files in folders/);
    assert.deepEqual(
      readdirSync(join(fx.session.dir, 'run')).filter(
        (n) => n.startsWith('px-accounts-ui-') && !existsSync(join(fx.session.dir, 'run', n, 'open.html')),
      ),
      [],
      'no folder of picked files is left',
    );
    const noAccount = await postJson('/api/accounts/no_such_account/update', { name: 'x' });
    assert.equal(noAccount.status, 404);
    assert.equal(errorBody(noAccount).kind, 'NotFound');
    assert.equal((await as('/api/accounts')).status, 200, 'still serving');
  });

  it('other methods and CORS preflights are refused without any Access-Control header', async () => {
    for (const method of ['OPTIONS', 'PUT', 'DELETE', 'PATCH']) {
      const r = await as('/api/accounts', {
        method,
        headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
      });
      assert.equal(r.status, 405, method);
    }
  });

  it('sends the security headers on every answer and no Access-Control-* ever', async () => {
    const all = [...answers, await as('/'), await as('/app.js'), await as('/style.css'), await http(fx.ui.origin, '/')];
    for (const r of all) {
      assert.equal(r.headers['content-security-policy'], CSP);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.deepEqual(
        Object.keys(r.headers).filter((h) => h.startsWith('access-control-')),
        [],
      );
    }
  });

  it('sends no secret in any answer, the event stream included; reveal gives one value', async () => {
    const smtpSecret = await fx.accounts.getSecret(account.id, 'smtp');
    const reads = [
      await as('/api/accounts'),
      await as(`/api/accounts/${account.id}`),
      await as(`/api/accounts/${account.id}/removal`),
      await as('/api/catalogue'),
      await as('/api/access'),
      // The stream's first event (the snapshot) read whole, then hung up.
      await as('/api/events', { until: (a) => a.body.includes('\ndata: ') && a.body.endsWith('\n\n') }),
      await postJson(`/api/accounts/${account.id}/verify`, {}),
      await postJson(`/api/accounts/${account.id}/update`, { settings: { imap: { port: '2' } } }),
    ];
    for (const r of [...answers, ...reads]) {
      assert.ok(!r.body.includes(password) && !r.body.includes(smtpSecret), `a secret in: ${r.body.slice(0, 200)}`);
    }
    assert.ok(reads[5]!.body.startsWith('retry:') && reads[5]!.body.includes(account.id), 'the stream was read');
    const shown = await postJson(`/api/accounts/${account.id}/reveal`, { name: 'password' });
    assert.equal(shown.status, 200);
    assert.deepEqual(JSON.parse(shown.body), { name: 'password', value: password });
    assert.equal(shown.headers['cache-control'], 'no-store');
    const missing = await postJson(`/api/accounts/${account.id}/reveal`, { name: 'pop3' });
    assert.equal(missing.status, 404);
  });
});
