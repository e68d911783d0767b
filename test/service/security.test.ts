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
import { ACCOUNT, MANAGER, ROOT, TestClient, errorOf, q, s, type V } from '../harness/client.js';
import { flatpakCall, gv } from '../harness/flatpak.js';
import { run } from '../harness/process.js';
import { startService, startSession, waitFor, type ServiceProcess, type Session } from '../harness/session.js';
import { testSecret, uniqueUser } from './fixture.js';

const INVALID = 'org.pantherx.Accounts.Error.InvalidArgument';
const APP = 'org.example.Evil';
/** Each check gives up after this: the burst test waits for a few rounds of them. */
const CHECK_TIMEOUT_MS = 4000;

const staticKey = () => `-----BEGIN OpenVPN Static key V1-----\n${Array.from({ length: 16 }, () => randomBytes(16).toString('hex')).join('\n')}\n-----END OpenVPN Static key V1-----\n`;

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
  let session: Session;
  let service: ServiceProcess;
  let client: TestClient;
  let dir: string;
  let caPem: string;
  /** A library an app ships: loaded by openvpn, it leaves a file behind. */
  let library: string;
  let marker: string;
  let silent: net.Server;
  let silentPort: number;
  const profile = () => `client\nproto tcp-client\nremote 127.0.0.1 ${silentPort}\nauth-user-pass\n<ca>\n${caPem.trim()}\n</ca>\n`;
  /** A tls-auth "key" that closes its block and loads the app's library into openvpn. */
  const hostileKey = () => `${staticKey()}</tls-auth>\nplugin ${library}\n<tls-auth>\n${staticKey()}`;

  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), 'pxa-security-'));
    marker = join(dir, 'library-was-loaded');
    writeFileSync(join(dir, 'evil.c'), `#include <stdio.h>\n__attribute__((constructor)) static void loaded(void) { FILE *f = fopen(MARKER, "w"); if (f) fclose(f); }\n`);
    library = join(dir, 'evil.so');
    execFileSync('cc', ['-shared', '-fPIC', `-DMARKER="${marker}"`, '-o', library, join(dir, 'evil.c')]);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=px-accounts test CA', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem')], { stdio: 'ignore' });
    caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
    // Accepts and says nothing: an OpenVPN server that never finishes its handshake.
    silent = net.createServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    silentPort = (silent.address() as net.AddressInfo).port;
    session = await startSession('unlocked');
    service = await startService(session, [], { PX_ACCOUNTS_CHECK_TIMEOUT_MS: String(CHECK_TIMEOUT_MS) });
    client = await TestClient.connect(session.address);
  });
  after(async function () {
    this.timeout(30_000);
    client?.disconnect();
    await service?.stop();
    await session?.stop();
    silent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sandboxed = (app: string, method: string, ...args: string[]) =>
    flatpakCall(session, app, ['--object-path', ROOT, '--method', `${MANAGER}.${method}`, ...args]);

  describe('1. OpenVPN key secrets cannot add directives to the profile openvpn runs', () => {
    it('the attack is real: openvpn given such a profile loads the library', async () => {
      const text = `${profile()}<tls-auth>\n${hostileKey()}</tls-auth>\n`;
      const child = spawn('/bin/sh', ['-c', 'cat | exec openvpn --config /dev/stdin --dev null --verb 0'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
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
    });

    it('from a sandbox: ValidateCredentials and AddAccount refuse the key (InvalidArgument), openvpn never runs it', async () => {
      const secrets = `{'tls-auth': ${gv(hostileKey())}}`;
      const options = `{'openvpn.profile': <${gv(profile())}>}`;
      for (const method of ['ValidateCredentials', 'AddAccount']) {
        const r = await sandboxed(APP, method, 'openvpn', 'victim', secrets, options);
        assert.notEqual(r.code, 0, method);
        assert.match(r.stderr, /InvalidArgument.*<tls-auth> is not an OpenVPN static key: it holds a line that is not key material/, method);
      }
      assert.deepEqual(readdirSync(join(session.home, '.userdata', 'accounts')).filter((n) => n.endsWith('.ini')), [], 'nothing saved');
      assert.ok(!existsSync(marker), 'the library was never loaded');
    });

    it('SetSecret refuses it too, and a password or passphrase with a line break (the management interface reads one line)', async () => {
      const path = await client.addAccount('openvpn', uniqueUser('vpn'), { 'tls-auth': staticKey(), password: testSecret() }, { 'openvpn.profile': s(profile()) });
      for (const [name, value] of [['tls-auth', hostileKey()], ['key', `-----BEGIN PRIVATE KEY-----\nAAAA\n</key>\nconfig /etc/passwd\n-----END PRIVATE KEY-----\n`], ['password', 'a\nusername "Auth" x'], ['key-passphrase', 'x\r\nhold release']]) {
        const err = await errorOf(client.call(path, ACCOUNT, 'SetSecret', 'ss', [name!, value!]));
        assert.equal(err.type, INVALID, `${name}: ${err.text}`);
        assert.doesNotMatch(err.text, /config \/etc|username "Auth"|hold release|plugin/, 'the value is not quoted');
      }
      assert.deepEqual(await client.get(path, ACCOUNT, 'Credentials'), ['password', 'tls-auth']);
      await client.call(path, ACCOUNT, 'Remove');
    });

    it('a key stored before this check (put in the keyring directly) is refused before openvpn starts', async () => {
      const path = await client.addAccount('openvpn', uniqueUser('stored'), { 'tls-auth': staticKey(), password: testSecret() }, { 'openvpn.profile': s(profile()) });
      const id = path.split('/').pop()!;
      const stored = await run('secret-tool', ['store', '--label', 'planted', 'service', 'org.pantherx.Accounts', 'username', `${id}/tls-auth`], session.env, hostileKey());
      assert.equal(stored.code, 0, stored.stderr);
      const [results] = await client.call(path, ACCOUNT, 'Verify');
      const r = (results as Record<string, V>).openvpn!.value as Record<string, V>;
      assert.equal(r.code!.value, 'Unknown', String(r.message!.value));
      assert.match(String(r.message!.value), /profile cannot be used.*'plugin' is refused/);
      assert.ok(!existsSync(marker), 'the library was never loaded');
      await client.call(path, ACCOUNT, 'Remove');
    });
  });

  describe('3. checks are bounded: one pool for every check, a share per app', () => {
    it('a burst of ValidateCredentials from three apps runs at most 8 openvpn at once; an app over its 4 is told LimitExceeded', async () => {
      const options = `{'openvpn.profile': <${gv(profile())}>}`;
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          most = Math.max(most, openvpnsBelow(service.pid).length);
          await new Promise((r) => setImmediate(r));
        }
      })();
      const password = testSecret();
      const host = Array.from({ length: 6 }, () => errorOf(client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', ['openvpn', 'x', { password }, { 'openvpn.profile': s(profile()) }])).catch(() => undefined));
      const apps = ['org.example.A', 'org.example.B'].flatMap((app) => Array.from({ length: 5 }, () => sandboxed(app, 'ValidateCredentials', 'openvpn', 'x', `{'password': ${gv(password)}}`, options)));
      const [hostResults, appResults] = await Promise.all([Promise.all(host), Promise.all(apps)]);
      sampling = false;
      await sampler;
      const limited = hostResults.filter((e) => e?.type === 'org.pantherx.Accounts.Error.LimitExceeded').length
        + appResults.filter((r) => /LimitExceeded/.test(r.stderr)).length;
      assert.equal(limited, 2 + 1 + 1, `each app over its share of 4 is refused: ${JSON.stringify(hostResults)} ${JSON.stringify(appResults)}`);
      const timedOut = appResults.filter((r) => r.code === 0);
      assert.equal(timedOut.length, 8, appResults.map((r) => r.stderr).join('\n'));
      for (const r of timedOut) assert.match(r.stdout, /'code': <'Timeout'>/);
      assert.ok(most >= 1, 'openvpn was seen running');
      assert.ok(most <= 8, `at most 8 openvpn at once, saw ${most}`);
      await waitFor('every openvpn gone', () => openvpnsBelow(service.pid).length === 0, 10_000);
    });
  });

  describe('4. CheckAccounts needs a grant per account', () => {
    /** A server that says it is IMAP and records the user names that try to log in. */
    async function fakeImap(): Promise<{ port: number; logins: string[]; close(): void }> {
      const logins: string[] = [];
      const server = net.createServer((sock) => {
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
      }).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      return { port: (server.address() as net.AddressInfo).port, logins, close: () => server.close() };
    }

    it("a sandboxed app cannot make the service log in to its own listener with an account's password", async () => {
      const imap = await fakeImap();
      try {
        const victim = uniqueUser('victim');
        const witness = uniqueUser('witness');
        const opts = { 'imap.host': s('127.0.0.1'), 'imap.port': q(imap.port), 'imap.security': s('none') };
        const v = await client.addAccount('imap', victim, { password: testSecret() }, opts);
        const w = await client.addAccount('imap', witness, { password: testSecret() }, opts);
        const refused = await sandboxed(APP, 'CheckAccounts', `[${gv(v.split('/').pop()!)}]`);
        assert.match(refused.stderr, new RegExp(`AccessDenied.*${APP.replace(/\./g, '\\.')} has no grant for account`));
        assert.match((await sandboxed(APP, 'CheckAccounts', '@as []')).stderr, /AccessDenied.*every account is for the user's own apps/);
        // Checks run in order: had the refused call queued one, its login would come first.
        await client.call(ROOT, MANAGER, 'CheckAccounts', 'as', [[w.split('/').pop()!]]);
        await waitFor('the witness logs in', () => imap.logins.length > 0, 10_000);
        assert.deepEqual(imap.logins, [witness]);
        assert.equal(await client.get(v, ACCOUNT, 'AttentionNeeded'), false);

        // Granted, it may ask for its account to be checked, within a budget.
        const id = v.split('/').pop()!;
        await client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [id, APP]);
        const ok = await sandboxed(APP, 'CheckAccounts', `[${gv(id)}]`);
        assert.equal(ok.code, 0, ok.stderr);
        const flood = await sandboxed(APP, 'CheckAccounts', `[${Array.from({ length: 61 }, () => gv(id)).join(', ')}]`);
        assert.match(flood.stderr, /LimitExceeded/);
        for (const p of [v, w]) await client.call(p, ACCOUNT, 'Remove');
      } finally {
        imap.close();
      }
    });
  });

  describe('7. authorization comes from the contract and fails closed', () => {
    it("a sandboxed app cannot read a wallet's transfers or make it refresh without a grant", async () => {
      const path = await client.addAccount('eth', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', {}, { 'eth.network': s('local'), 'eth.url': s('http://127.0.0.1:9/') });
      const wallet = (method: string, ...args: string[]) => flatpakCall(session, APP, ['--object-path', path, '--method', `org.pantherx.Accounts.Wallet.${method}`, ...args]);
      assert.match((await wallet('GetTransactions', '0', '10')).stderr, /AccessDenied.*has no grant/);
      assert.match((await wallet('Refresh')).stderr, /AccessDenied.*has no grant/);
      await client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [path.split('/').pop()!, APP]);
      const listed = await wallet('GetTransactions', '0', '10');
      assert.equal(listed.code, 0, listed.stderr);
      await client.call(path, ACCOUNT, 'Remove');
    });
  });
});
