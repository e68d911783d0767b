/**
 * Findings of a red-team pass (issue 25), each replayed through the real bus as the attacker
 * did it — a fake Flatpak running gdbus, the real openvpn, a library the "app" ships — and
 * now failing for the attacker.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT, MANAGER, ROOT, errorOf, q, s, type V } from '../harness/client.js';
import { flatpakCall, gv } from '../harness/flatpak.js';
import { run } from '../harness/process.js';
import { waitFor } from '../harness/session.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

const INVALID = 'org.pantherx.Accounts.Error.InvalidArgument';
const APP = 'org.example.Evil';
/** Each check gives up after this: the burst test waits for a few rounds of them. */
const CHECK_TIMEOUT_MS = 4000;

const staticKey = () =>
  `-----BEGIN OpenVPN Static key V1-----\n${Array.from({ length: 16 }, () => randomBytes(16).toString('hex')).join('\n')}\n-----END OpenVPN Static key V1-----\n`;

/** Every openvpn process below `pid`. */
function openvpnsBelow(pid: number): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const below = (p: number): boolean => {
    for (let q = parents.get(p); q && q > 1; q = parents.get(q)) if (q === pid) return true;
    return false;
  };
  return [...names].filter(([p, name]) => name === 'openvpn' && below(p)).map(([p]) => p);
}

describe('security: findings of the red-team pass, replayed', function () {
  this.timeout(60_000);
  let dir: string;
  let caPem: string;
  /** A library an app ships: loaded by openvpn, it leaves a file behind. */
  let library: string;
  let marker: string;
  let silent: net.Server;
  let silentPort: number;
  const profile = () =>
    `client\nproto tcp-client\nremote 127.0.0.1 ${silentPort}\nauth-user-pass\n<ca>\n${caPem.trim()}\n</ca>\n`;
  /** A tls-auth "key" that closes its block and loads the app's library into openvpn. */
  const hostileKey = () => `${staticKey()}</tls-auth>\nplugin ${library}\n<tls-auth>\n${staticKey()}`;

  const fx = useFixture({
    start: async (fx) => {
      dir = mkdtempSync(join(tmpdir(), 'pxa-security-'));
      fx.onStop(() => rmSync(dir, { recursive: true, force: true }));
      marker = join(dir, 'library-was-loaded');
      writeFileSync(
        join(dir, 'evil.c'),
        `#include <stdio.h>\n__attribute__((constructor)) static void loaded(void) { FILE *f = fopen(MARKER, "w"); if (f) fclose(f); }\n`,
      );
      library = join(dir, 'evil.so');
      execFileSync('cc', ['-shared', '-fPIC', `-DMARKER="${marker}"`, '-o', library, join(dir, 'evil.c')]);
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=px-accounts test CA',
          '-keyout',
          join(dir, 'ca.key'),
          '-out',
          join(dir, 'ca.pem'),
        ],
        { stdio: 'ignore' },
      );
      caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
      // Accepts and says nothing: an OpenVPN server that never finishes its handshake.
      silent = net.createServer(() => undefined).listen(0, '127.0.0.1');
      await new Promise((r) => silent.once('listening', r));
      fx.onStop(() => silent.close());
      silentPort = (silent.address() as net.AddressInfo).port;
    },
    // An identity provider that never answers: sign-ins stay "starting" as long as the test needs.
    prepare: (fx) =>
      fx.provider(
        'silentidp',
        `[provider]\nname = Silent IdP\nauth = oauth2\nprotocols = imap\n\n[oauth2]\nissuer = http://127.0.0.1:${silentPort}\nclient_id = px-test\nscopes = openid\n\n[imap]\nhost = 127.0.0.1\nport = 9\nsecurity = tls\n`,
      ),
    service: { env: { PX_ACCOUNTS_CHECK_TIMEOUT_MS: String(CHECK_TIMEOUT_MS) } },
  });

  /** Proves an attack's profile works when openvpn is given it directly: the library leaves its marker (removed again). */
  async function openvpnLoadsTheLibrary(text: string): Promise<void> {
    const child = spawn('/bin/sh', ['-c', 'cat | exec openvpn --config /dev/stdin --dev null --verb 0'], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    child.stdin.end(text);
    try {
      await waitFor('the library loaded by openvpn', () => existsSync(marker), 10_000);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(marker);
  }

  const sandboxed = (app: string, method: string, ...args: string[]) =>
    flatpakCall(fx.session, app, ['--object-path', ROOT, '--method', `${MANAGER}.${method}`, ...args]);

  describe('1. OpenVPN key secrets cannot add directives to the profile openvpn runs', () => {
    it('the attack is real: openvpn given such a profile loads the library', async () => {
      await openvpnLoadsTheLibrary(`${profile()}<tls-auth>\n${hostileKey()}</tls-auth>\n`);
    });

    it('from a sandbox: ValidateCredentials and AddAccount refuse the key (InvalidArgument), openvpn never runs it', async () => {
      const secrets = `{'tls-auth': ${gv(hostileKey())}}`;
      const options = `{'openvpn.profile': <${gv(profile())}>}`;
      for (const method of ['ValidateCredentials', 'AddAccount']) {
        const r = await sandboxed(APP, method, 'openvpn', 'victim', secrets, options);
        assert.notEqual(r.code, 0, method);
        assert.match(
          r.stderr,
          /InvalidArgument.*<tls-auth> is not an OpenVPN static key: it holds a line that is not key material/,
          method,
        );
      }
      assert.deepEqual(
        readdirSync(join(fx.session.home, '.userdata', 'accounts')).filter((n) => n.endsWith('.ini')),
        [],
        'nothing saved',
      );
      assert.ok(!existsSync(marker), 'the library was never loaded');
    });

    it('SetSecret refuses it too, and a password or passphrase with a line break (the management interface reads one line)', async () => {
      const path = await fx.client.addAccount(
        'openvpn',
        uniqueUser('vpn'),
        { 'tls-auth': staticKey(), password: testSecret() },
        { 'openvpn.profile': s(profile()) },
      );
      for (const [name, value] of [
        ['tls-auth', hostileKey()],
        ['key', `-----BEGIN PRIVATE KEY-----\nAAAA\n</key>\nconfig /etc/passwd\n-----END PRIVATE KEY-----\n`],
        ['password', 'a\nusername "Auth" x'],
        ['key-passphrase', 'x\r\nhold release'],
      ]) {
        const err = await errorOf(fx.client.call(path, ACCOUNT, 'SetSecret', 'ss', [name!, value!]));
        assert.equal(err.type, INVALID, `${name}: ${err.text}`);
        assert.doesNotMatch(err.text, /config \/etc|username "Auth"|hold release|plugin/, 'the value is not quoted');
      }
      assert.deepEqual(await fx.client.get(path, ACCOUNT, 'Credentials'), ['password', 'tls-auth']);
      await fx.client.call(path, ACCOUNT, 'Remove');
    });

    it('a key stored before this check (put in the keyring directly) is refused before openvpn starts', async () => {
      const path = await fx.client.addAccount(
        'openvpn',
        uniqueUser('stored'),
        { 'tls-auth': staticKey(), password: testSecret() },
        { 'openvpn.profile': s(profile()) },
      );
      const id = path.split('/').pop()!;
      const stored = await run(
        'secret-tool',
        ['store', '--label', 'planted', 'service', 'org.pantherx.Accounts', 'username', `${id}/tls-auth`],
        fx.session.env,
        hostileKey(),
      );
      assert.equal(stored.code, 0, stored.stderr);
      const [results] = await fx.client.call(path, ACCOUNT, 'Verify');
      const r = (results as Record<string, V>).openvpn!.value as Record<string, V>;
      assert.equal(r.code!.value, 'Unknown', String(r.message!.value));
      assert.match(String(r.message!.value), /profile cannot be used.*'plugin' is refused/);
      assert.ok(!existsSync(marker), 'the library was never loaded');
      await fx.client.call(path, ACCOUNT, 'Remove');
    });
  });

  describe('1b. (second pass) OpenVPN reads long lines in pieces: no piece may end a block', () => {
    // OpenVPN reads a profile line in pieces of at most 255 bytes and ends an inline block at the
    // first piece that starts with </name>. A static key's comment line of 255 '#…' bytes, then
    // 255 bytes starting with a close tag, then a directive, put that directive in the profile;
    // three chained keys loaded the app's library (found by a review of the first fix).
    const pad = (text: string, n: number) => text + 'A'.repeat(n - text.length);
    const longComment = (closeTag: string, line: string) => pad('#', 255) + pad(closeTag, 255) + line;
    const keyWith = (comment: string) =>
      `${comment}\n-----BEGIN OpenVPN Static key V1-----\n0\n-----END OpenVPN Static key V1-----\n`;
    const chunkedKeys = (): Record<string, string> => ({
      'tls-auth': keyWith(
        longComment('</tls-auth>', 'ignore-unknown-option -----BEGIN 0 -----END /tls-auth /tls-crypt'),
      ),
      'tls-crypt': keyWith(longComment('<//tls-auth>', `plugin ${library}`)),
      secret: keyWith(longComment('<//tls-crypt>', '<secret>')),
    });

    it('the attack is real: openvpn given these blocks as they were rendered loads the library', async () => {
      await openvpnLoadsTheLibrary(
        profile() +
          Object.entries(chunkedKeys())
            .map(([k, v]) => `<${k}>\n${v}</${k}>\n`)
            .join(''),
      );
    });

    for (const via of ['secrets', 'profile'] as const) {
      it(`from a sandbox, the keys given as ${via}: checked with the comments dropped, the library never loaded`, async () => {
        const keys = chunkedKeys();
        const blocks = Object.entries(keys)
          .map(([k, v]) => `<${k}>\n${v}</${k}>\n`)
          .join('');
        const secrets =
          via === 'secrets'
            ? `{${Object.entries({ password: testSecret(), ...keys })
                .map(([k, v]) => `${gv(k)}: ${gv(v)}`)
                .join(', ')}}`
            : `{'password': ${gv(testSecret())}}`;
        const options = `{'openvpn.profile': <${gv(via === 'secrets' ? profile() : profile() + blocks)}>}`;
        // The call returns once the check is over: openvpn has run (to the silent server) and is gone.
        const r = await sandboxed(APP, 'ValidateCredentials', 'openvpn', uniqueUser('chunk'), secrets, options);
        // openvpn ran and refused the (one-digit) keys; what matters is what it did not do.
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /'ok': <false>/);
        assert.equal(existsSync(marker), false, "openvpn loaded the app's library");
      });
    }

    it('a rendered profile never has a line OpenVPN would read in pieces; an option that long is refused', async () => {
      const { renderProfile } = await import('../../src/protocols/openvpn/plugin.js');
      const { checkKeyBlock, certsToSetting, parseOptionList } = await import('../../src/protocols/openvpn/profile.js');
      const keys = Object.fromEntries(Object.entries(chunkedKeys()).map(([k, v]) => [k, checkKeyBlock(k, v)]));
      const text = renderProfile(
        {
          remotes: `127.0.0.1 ${silentPort} tcp-client`,
          auth: 'password',
          options: 'verb 3',
          ca: certsToSetting(caPem, 'ca'),
        },
        keys,
      );
      for (const line of text.split('\n')) assert.ok(Buffer.byteLength(line) <= 250, line.slice(0, 60));
      assert.throws(
        () => parseOptionList(`verb 3; pull-filter ignore "${'x'.repeat(300)}"`, 'openvpn.options'),
        /longer than 250/,
      );
    });

    it('replay-persist (openvpn opens and writes the file it names) is refused, in a profile and in openvpn.options', async () => {
      const target = join(dir, 'created-by-openvpn');
      const withPersist = profile().replace('auth-user-pass\n', `auth-user-pass\nreplay-persist ${target}\n`);
      const r = await sandboxed(
        APP,
        'ValidateCredentials',
        'openvpn',
        'x',
        `{'password': 'p'}`,
        `{'openvpn.profile': <${gv(withPersist)}>}`,
      );
      assert.match(r.stderr, /InvalidArgument.*'replay-persist' is refused: it writes a file/);
      const r2 = await sandboxed(
        APP,
        'ValidateCredentials',
        'openvpn',
        'x',
        `{'password': 'p'}`,
        `{'openvpn.profile': <${gv(profile())}>, 'openvpn.options': <${gv(`replay-persist ${target}`)}>}`,
      );
      assert.match(r2.stderr, /InvalidArgument.*replay-persist/);
      assert.equal(existsSync(target), false);
    });
  });

  describe("3b. (second pass) a sandboxed app's budget: new accounts, Verify, sign-ins", () => {
    it('AddAccount: 10 at once, then LimitExceeded', async () => {
      const app = 'org.example.Flood';
      const results = [];
      for (let i = 0; i < 11; i++)
        results.push(
          await sandboxed(
            app,
            'AddAccount',
            'imap',
            uniqueUser('flood'),
            `{'password': 'p'}`,
            "{'imap.host': <'127.0.0.1'>}",
          ),
        );
      assert.deepEqual(
        results.map((r) => r.code === 0),
        [...Array<boolean>(10).fill(true), false],
      );
      assert.match(results[10]!.stderr, /LimitExceeded.*too many new accounts/);
      for (const r of results.slice(0, 10)) await fx.client.call(/'(\/[^']+)'/.exec(r.stdout)![1]!, ACCOUNT, 'Remove');
    });

    it('Verify on a granted account takes from the same budget as CheckAccounts', async () => {
      const app = 'org.example.Verifier';
      const path = await fx.client.addAccount(
        'imap',
        uniqueUser('verified'),
        { password: testSecret() },
        { 'imap.host': s('127.0.0.1'), 'imap.port': q(9) },
      );
      const id = path.split('/').pop()!;
      await fx.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [id, app]);
      // 60 at once: CheckAccounts spends 59 of them, then one Verify may run and the next may not.
      const spent = await sandboxed(app, 'CheckAccounts', `[${Array.from({ length: 59 }, () => gv(id)).join(', ')}]`);
      assert.equal(spent.code, 0, spent.stderr);
      const verify = await flatpakCall(fx.session, app, ['--object-path', path, '--method', `${ACCOUNT}.Verify`]);
      assert.equal(verify.code, 0, verify.stderr);
      const over = await flatpakCall(fx.session, app, ['--object-path', path, '--method', `${ACCOUNT}.Verify`]);
      assert.match(over.stderr, /LimitExceeded.*too many account checks/);
      await fx.client.call(path, ACCOUNT, 'Remove');
    });

    it('SignIn: calls made at once count from the call, not from when the sign-in is up (3 per app, whatever its connections)', async () => {
      // The identity provider never answers: the three that may start stay starting.
      const calls = Array.from({ length: 6 }, () => sandboxed('org.example.Signer', 'SignIn', 'silentidp', '{}'));
      const outcomes: string[] = [];
      for (const c of calls) void c.then((r) => outcomes.push(r.stderr || r.stdout));
      const limited = () => outcomes.filter((o) => /LimitExceeded/.test(o));
      await waitFor('three refusals', () => limited().length >= 3, 15_000);
      assert.equal(limited().length, 3, outcomes.join('\n'));
      assert.match(limited()[0]!, /3 sign-ins of org\.example\.Signer are in progress \(at most 3\)/);
    });
  });

  describe('3. checks are bounded: one pool for every check, a share per app', () => {
    it('a burst of ValidateCredentials from three apps runs at most 8 openvpn at once; an app over its 4 is told LimitExceeded', async () => {
      const options = `{'openvpn.profile': <${gv(profile())}>}`;
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          most = Math.max(most, openvpnsBelow(fx.service.pid).length);
          await new Promise((r) => setImmediate(r));
        }
      })();
      const password = testSecret();
      const host = Array.from({ length: 6 }, () =>
        errorOf(
          fx.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
            'openvpn',
            'x',
            { password },
            { 'openvpn.profile': s(profile()) },
          ]),
        ).catch(() => undefined),
      );
      const apps = ['org.example.A', 'org.example.B'].flatMap((app) =>
        Array.from({ length: 5 }, () =>
          sandboxed(app, 'ValidateCredentials', 'openvpn', 'x', `{'password': ${gv(password)}}`, options),
        ),
      );
      const [hostResults, appResults] = await Promise.all([Promise.all(host), Promise.all(apps)]);
      sampling = false;
      await sampler;
      const limited =
        hostResults.filter((e) => e?.type === 'org.pantherx.Accounts.Error.LimitExceeded').length +
        appResults.filter((r) => /LimitExceeded/.test(r.stderr)).length;
      assert.equal(
        limited,
        2 + 1 + 1,
        `each app over its share of 4 is refused: ${JSON.stringify(hostResults)} ${JSON.stringify(appResults)}`,
      );
      const timedOut = appResults.filter((r) => r.code === 0);
      assert.equal(timedOut.length, 8, appResults.map((r) => r.stderr).join('\n'));
      for (const r of timedOut) assert.match(r.stdout, /'code': <'Timeout'>/);
      assert.ok(most >= 1, 'openvpn was seen running');
      assert.ok(most <= 8, `at most 8 openvpn at once, saw ${most}`);
      await waitFor('every openvpn gone', () => openvpnsBelow(fx.service.pid).length === 0, 10_000);
    });
  });

  describe('4. CheckAccounts needs a grant per account', () => {
    /** A server that says it is IMAP and records the user names that try to log in. */
    async function fakeImap(): Promise<{ port: number; logins: string[]; close(): void }> {
      const logins: string[] = [];
      const server = net
        .createServer((sock) => {
          sock.write('* OK IMAP4rev1 ready\r\n');
          let buf = '';
          sock.on('data', (d) => {
            buf += d.toString('latin1');
            for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              const [tag, cmd, user] = line.split(' ');
              if (/^capability$/i.test(cmd ?? '')) sock.write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
              else if (/^login$/i.test(cmd ?? '')) {
                logins.push(String(user).replace(/"/g, ''));
                sock.end(`${tag} NO [AUTHENTICATIONFAILED] no\r\n`);
              } else if (/^authenticate$/i.test(cmd ?? '')) {
                logins.push('authenticate');
                sock.end(`${tag} NO [AUTHENTICATIONFAILED] no\r\n`);
              } else if (tag) sock.write(`${tag} BAD unknown\r\n`);
            }
          });
          sock.on('error', () => undefined);
        })
        .listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      return { port: (server.address() as net.AddressInfo).port, logins, close: () => server.close() };
    }

    it("a sandboxed app cannot make the service log in to its own listener with an account's password", async () => {
      const imap = await fakeImap();
      try {
        const victim = uniqueUser('victim');
        const witness = uniqueUser('witness');
        const opts = { 'imap.host': s('127.0.0.1'), 'imap.port': q(imap.port), 'imap.security': s('none') };
        const v = await fx.client.addAccount('imap', victim, { password: testSecret() }, opts);
        const w = await fx.client.addAccount('imap', witness, { password: testSecret() }, opts);
        const refused = await sandboxed(APP, 'CheckAccounts', `[${gv(v.split('/').pop()!)}]`);
        assert.match(refused.stderr, new RegExp(`AccessDenied.*${APP.replace(/\./g, '\\.')} has no grant for account`));
        assert.match(
          (await sandboxed(APP, 'CheckAccounts', '@as []')).stderr,
          /AccessDenied.*every account is for the user's own apps/,
        );
        // Checks run in order: had the refused call queued one, its login would come first.
        await fx.client.call(ROOT, MANAGER, 'CheckAccounts', 'as', [[w.split('/').pop()!]]);
        await waitFor('the witness logs in', () => imap.logins.length > 0, 10_000);
        assert.deepEqual(imap.logins, [witness]);
        assert.equal(await fx.client.get(v, ACCOUNT, 'AttentionNeeded'), false);

        // Granted, it may ask for its account to be checked, within a budget.
        const id = v.split('/').pop()!;
        await fx.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [id, APP]);
        const ok = await sandboxed(APP, 'CheckAccounts', `[${gv(id)}]`);
        assert.equal(ok.code, 0, ok.stderr);
        const flood = await sandboxed(APP, 'CheckAccounts', `[${Array.from({ length: 61 }, () => gv(id)).join(', ')}]`);
        assert.match(flood.stderr, /LimitExceeded/);
        for (const p of [v, w]) await fx.client.call(p, ACCOUNT, 'Remove');
      } finally {
        imap.close();
      }
    });
  });

  describe('7. authorization comes from the contract and fails closed', () => {
    it("a sandboxed app cannot read a wallet's transfers or make it refresh without a grant", async () => {
      const path = await fx.client.addAccount(
        'eth',
        '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
        {},
        { 'eth.network': s('local'), 'eth.url': s('http://127.0.0.1:9/') },
      );
      const wallet = (method: string, ...args: string[]) =>
        flatpakCall(fx.session, APP, [
          '--object-path',
          path,
          '--method',
          `org.pantherx.Accounts.Wallet.${method}`,
          ...args,
        ]);
      assert.match((await wallet('GetTransactions', '0', '10')).stderr, /AccessDenied.*has no grant/);
      assert.match((await wallet('Refresh')).stderr, /AccessDenied.*has no grant/);
      await fx.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [path.split('/').pop()!, APP]);
      const listed = await wallet('GetTransactions', '0', '10');
      assert.equal(listed.code, 0, listed.stderr);
      await fx.client.call(path, ACCOUNT, 'Remove');
    });
  });
});
