/**
 * Which apps get secrets: a fake Flatpak (bwrap with a tmpfs root and a .flatpak-info, as
 * flatpak sets one up) running a real D-Bus client (gdbus), host callers (the CLI, this test
 * process, a caller that is gone before it is identified), grants through the CLI, and the
 * audit signal.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../cli/helpers.js';
import { ACCOUNT, MANAGER, ROOT, Variant, errorOf, type V } from '../harness/client.js';
import { flatpakCall } from '../harness/flatpak.js';
import { ROOT as REPO, waitFor } from '../harness/session.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

const DENIED = 'org.pantherx.Accounts.Error.AccessDenied';
const FLATPAK_APP = 'org.example.Mail';

describe('access: which apps get secrets', function () {
  this.timeout(30_000);
  const f = useFixture({ service: true });
  let a: { path: string; id: string; secret: string };
  let b: { path: string; id: string };

  /** gdbus inside a sandbox that looks like a Flatpak of FLATPAK_APP to the service. */
  const flatpak = (args: string[]) => flatpakCall(f.session, FLATPAK_APP, args);
  const getSecret = (path: string) => flatpak(['--object-path', path, '--method', `${ACCOUNT}.GetSecret`, 'password']);
  const manager = (method: string, ...args: string[]) =>
    flatpak(['--object-path', ROOT, '--method', `${MANAGER}.${method}`, ...args]);

  before(async () => {
    const secret = testSecret();
    const pathA = await f.client.addAccount('fastmail', uniqueUser('granted'), { password: secret });
    const pathB = await f.client.addAccount('fastmail', uniqueUser('other'), { password: testSecret() });
    a = { path: pathA, id: pathA.split('/').pop()!, secret };
    b = { path: pathB, id: pathB.split('/').pop()! };
  });

  it('a sandboxed app is refused, asks, is granted by the user, gets the secret (audited), and is refused again once revoked', async () => {
    const denied = await getSecret(a.path);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /AccessDenied/);
    assert.match(denied.stderr, new RegExp(`${FLATPAK_APP.replace(/\./g, '\\.')} has no grant for account ${a.id}`));

    const mark = f.client.signals.length;
    const asked = await manager('RequestAccess', a.id);
    assert.equal(asked.stdout.trim(), "('pending',)");
    const requested = await f.client.waitSignal((x) => x.member === 'AccessRequested', 3000, mark);
    assert.deepEqual(requested.body, [a.id, FLATPAK_APP]);

    // It cannot answer its own request, nor manage anything else.
    for (const [method, args] of [
      ['GrantAccess', [a.id, FLATPAK_APP]],
      ['ListAccess', []],
      ['SetHostApps', ['allow']],
    ] as const) {
      const self = await manager(method, ...args);
      assert.match(self.stderr, /AccessDenied.*sandboxed/, method);
    }

    const granted = await cli(f.session.env, ['access', 'grant', a.id, FLATPAK_APP]);
    assert.equal(granted.code, 0, granted.stderr);
    await f.client.waitSignal((x) => x.member === 'AccessChanged' && x.body[2] === 'always', 3000, mark);

    const got = await getSecret(a.path);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout.trim(), `('${a.secret}',)`);
    const audit = await f.client.waitSignal(
      (x) => x.member === 'SecretAccessed' && x.body[2] === FLATPAK_APP,
      3000,
      mark,
    );
    assert.deepEqual(audit.body, [a.id, 'password', FLATPAK_APP]);
    assert.ok(!JSON.stringify(f.client.signals.slice(mark)).includes(a.secret), 'no signal carries the value');
    assert.match(
      f.service.log(),
      new RegExp(`secret 'password' of account ${a.id} handed to ${FLATPAK_APP.replace(/\./g, '\\.')}`),
    );

    const listed = await cli(f.session.env, ['access', 'list', '--json']);
    const entry = (
      JSON.parse(listed.stdout) as Array<{ account: string; app: string; decision: string; lastUsed: string | null }>
    ).find((e) => e.app === FLATPAK_APP)!;
    assert.equal(entry.decision, 'always');
    assert.ok(entry.lastUsed, 'the last use is recorded');

    // A grant is for one account: the other one stays closed, for reading and for changes.
    assert.match((await getSecret(b.path)).stderr, /AccessDenied/);
    assert.match((await flatpak(['--object-path', b.path, '--method', `${ACCOUNT}.Remove`])).stderr, /AccessDenied/);
    assert.match(
      (await flatpak(['--object-path', b.path, '--method', `${ACCOUNT}.Update`, "{'name': <'mine now'>}"])).stderr,
      /AccessDenied/,
    );
    assert.match(
      (
        await flatpak([
          '--object-path',
          b.path,
          '--method',
          'org.freedesktop.DBus.Properties.Set',
          ACCOUNT,
          'Name',
          "<'mine'>",
        ])
      ).stderr,
      /AccessDenied/,
    );

    assert.equal((await cli(f.session.env, ['access', 'revoke', a.id, FLATPAK_APP])).code, 0);
    assert.match((await getSecret(a.path)).stderr, /AccessDenied/);
    assert.equal((await cli(f.session.env, ['access', 'deny', a.id, FLATPAK_APP])).code, 0);
    assert.match((await getSecret(a.path)).stderr, /was refused access to account .* by the user/);
    assert.equal((await manager('RequestAccess', a.id)).stdout.trim(), "('deny',)");
  });

  it('a sandboxed app cannot have the service read files for it (a CA path, files a profile names)', async () => {
    const ca = await manager(
      'AddAccount',
      'imap',
      'sandboxed@example.org',
      '{}',
      "{'imap.host': <'127.0.0.1'>, 'imap.ca': <'/etc/ssl/certs/ca-certificates.crt'>}",
    );
    assert.match(ca.stderr, /AccessDenied.*option imap\.ca: a sandboxed app cannot have the service read files/);
    const profile =
      'client\nremote 127.0.0.1 1194\nauth-user-pass /etc/passwd\nca /etc/ssl/certs/ca-certificates.crt\n';
    const vpn = await manager(
      'ValidateCredentials',
      'openvpn',
      'x',
      '{}',
      `{'openvpn.profile': <'${profile}'>, 'openvpn.profile_dir': <'/etc'>}`,
    );
    assert.match(
      vpn.stderr,
      /AccessDenied.*auth-user-pass \/etc\/passwd: a sandboxed app cannot have the service read files/,
    );
    // A host app may (the CLI reads the profile next to its files).
    const [results] = await f.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
      'imap',
      'host@example.org',
      {},
      {
        'imap.host': new Variant('s', '127.0.0.1'),
        'imap.port': new Variant('q', 9),
        'imap.ca': new Variant('s', '/etc/ssl/certs/ca-certificates.crt'),
      },
    ]);
    assert.ok((results as Record<string, unknown>).imap);
  });

  it('host apps are allowed by default; set to ask, they need grants too, each app by its own name', async () => {
    assert.equal((await cli(f.session.env, ['secret', 'get', a.id, 'password'])).stdout.trim(), a.secret);
    const mark = f.client.signals.length;
    assert.equal((await cli(f.session.env, ['access', 'host', 'ask'])).code, 0);
    try {
      assert.equal(await f.client.get(ROOT, MANAGER, 'HostApps'), 'ask');
      // Announced, so a settings window follows a change made elsewhere.
      const changed = await f.client.waitSignal(
        (x) =>
          x.member === 'PropertiesChanged' &&
          x.path === ROOT &&
          x.body[0] === MANAGER &&
          'HostApps' in (x.body[1] as Record<string, V>),
        3000,
        mark,
      );
      assert.equal((changed.body[1] as Record<string, V>).HostApps?.value, 'ask');
      assert.equal((await cli(f.session.env, ['access', 'host'])).stdout.trim(), 'Host apps: ask', 'no mode: shown');
      const refused = await cli(f.session.env, ['secret', 'get', a.id, 'password']);
      assert.notEqual(refused.code, 0);
      // node is an interpreter: the app is the script it runs, the CLI itself.
      const cliPath = join(REPO, 'dist', 'bin', 'px-accounts.js');
      assert.match(refused.stderr, new RegExp(`${cliPath.replace(/[./]/g, '\\$&')} has no grant for account ${a.id}`));
      assert.equal(
        (await cli(f.session.env, ['access', 'grant', a.id, cliPath])).code,
        0,
        'management stays open to host apps',
      );
      assert.equal((await cli(f.session.env, ['secret', 'get', a.id, 'password'])).stdout.trim(), a.secret);
      // This test process is another host app: still refused.
      assert.equal((await errorOf(f.client.call(a.path, ACCOUNT, 'GetSecret', 's', ['password']))).type, DENIED);
    } finally {
      await cli(f.session.env, ['access', 'host', 'allow']);
    }
  });

  it('the client library asks, waits for the answer and returns it (host apps set to ask)', async () => {
    const { AccountsClient } = await import('../../src/client/index.js');
    const { realpathSync } = await import('node:fs');
    // This test process is a host app named by its script, as the service sees it.
    const app = realpathSync(process.argv[1]!);
    assert.equal((await cli(f.session.env, ['access', 'host', 'ask'])).code, 0);
    const client = await AccountsClient.connect({ busAddress: f.session.address });
    try {
      await assert.rejects(
        client.getSecret(a.id, 'password'),
        (err: Error & { kind?: string }) => err.kind === 'AccessDenied',
      );
      const mark = f.client.signals.length;
      const asked = client.requestAccess(a.id, { waitMs: 10_000 });
      await f.client.waitSignal((x) => x.member === 'AccessRequested' && x.body[1] === app, 5000, mark);
      assert.equal((await cli(f.session.env, ['access', 'grant', a.id, app])).code, 0);
      assert.equal(await asked, 'always');
      assert.equal(await client.getSecret(a.id, 'password'), a.secret);
      assert.equal(await client.requestAccess(b.id), 'pending', 'without waiting: the state now');
    } finally {
      client.close();
      await cli(f.session.env, ['access', 'host', 'allow']);
    }
  });

  it('a caller that is gone before it is identified is refused, never taken for another process', async () => {
    // dbus-send does not wait for the reply: by the time the service asks who it was, it may have exited.
    const child = spawn(
      'dbus-send',
      [
        '--session',
        `--dest=org.pantherx.Accounts`,
        '--type=method_call',
        b.path,
        `${ACCOUNT}.GetSecret`,
        'string:password',
      ],
      { env: f.session.env, stdio: 'ignore' },
    );
    await new Promise((r) => child.on('close', r));
    await waitFor(
      'the call logged',
      () => /handed to \/usr\/bin\/dbus-send|not identified/.test(f.service.log()) || undefined,
      3000,
    );
    const log = f.service.log();
    assert.ok(
      /secret 'password' of account \S+ handed to \/usr\/bin\/dbus-send/.test(log) ||
        /caller :\S+ .*not identified/.test(log),
      log.slice(-600),
    );
    // Every app the log names is one of this suite's callers.
    const { realpathSync } = await import('node:fs');
    const known = new Set([
      '/usr/bin/dbus-send',
      FLATPAK_APP,
      join(REPO, 'dist', 'bin', 'px-accounts.js'),
      realpathSync(process.argv[1]!),
    ]);
    const named = [...log.matchAll(/handed to (\S+) \(pid/g)].map((m) => m[1]!);
    assert.deepEqual(
      named.filter((app) => !known.has(app)),
      [],
      'never attributed to another program',
    );
  });

  it('removing an account removes its grants', async () => {
    await cli(f.session.env, ['access', 'grant', b.id, FLATPAK_APP]);
    await f.client.call(b.path, ACCOUNT, 'Remove');
    const list = JSON.parse((await cli(f.session.env, ['access', 'list', '--json'])).stdout) as Array<{
      account: string;
    }>;
    assert.ok(!list.some((e) => e.account === b.id));
    const file = join(f.session.home, '.local', 'state', 'px-accounts', 'access.json');
    assert.ok(existsSync(file));
    assert.ok(!readFileSync(file, 'utf8').includes(b.id));
  });
});

describe('access: the grants file', function () {
  this.timeout(60_000);
  const f = useFixture({ service: true });

  it('a corrupt, a symlinked or a huge file is moved aside with a log line, and the service starts without grants', async () => {
    const { mkdirSync, readdirSync, rmSync, symlinkSync } = await import('node:fs');
    const cases: Array<[string, (file: string) => void, RegExp]> = [
      [
        'corrupt',
        (file) => writeFileSync(file, '{"version": 1, "grants": [ {"account": '),
        /not valid JSON|Unexpected|JSON/,
      ],
      ['symlink', (file) => symlinkSync('/etc/passwd', file), /symbolic link/],
      ['huge', (file) => writeFileSync(file, ' '.repeat(5 * 1024 * 1024)), /larger than/],
    ];
    const dir = join(f.session.home, '.local', 'state', 'px-accounts');
    const file = join(dir, 'access.json');
    for (const [what, make, why] of cases) {
      // each case: a service started again on a state directory holding only the bad file
      await f.stopService();
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      make(file);
      const service = await f.startService();
      assert.match(
        service.log(),
        new RegExp(`access file ${file.replace(/[./]/g, '\\$&')} cannot be used \\(.*\\); moved to`),
        what,
      );
      assert.match(service.log(), why, what);
      const aside = readdirSync(dir).filter((n) => n.startsWith('access.json.unusable-'));
      assert.equal(aside.length, 1, what);
      assert.equal(existsSync(file), false, `${what}: not overwritten in place`);
      const r = await cli(f.session.env, ['access', 'list', '--json']);
      assert.deepEqual(JSON.parse(r.stdout), [], what);
    }
  });

  it('20 clients granting and revoking at once leave a file that says exactly what the service says', async () => {
    const { TestClient } = await import('../harness/client.js');
    const clients = await Promise.all(Array.from({ length: 20 }, () => TestClient.connect(f.session.address, false)));
    try {
      const account = (await clients[0]!.addAccount('fastmail', uniqueUser('many'), { password: testSecret() }))
        .split('/')
        .pop()!;
      await Promise.all(
        clients.map(async (c, i) => {
          for (let k = 0; k < 10; k++) {
            const app = `org.example.App${(i + k) % 7}`;
            const method = (i + k) % 3 === 0 ? 'RevokeAccess' : (i + k) % 3 === 1 ? 'GrantAccess' : 'DenyAccess';
            await c.call(ROOT, MANAGER, method, 'ss', [account, app]).catch(() => undefined); // revoking nothing is NotFound
          }
        }),
      );
      const [listed] = await clients[0]!.call(ROOT, MANAGER, 'ListAccess');
      const now = (listed as Array<Record<string, { value: unknown }>>)
        .map((e) => `${String(e.app!.value)}=${String(e.decision!.value)}`)
        .sort();
      // The file is written after the answer: wait until it holds what the service lists.
      const onDisk = () =>
        (
          JSON.parse(readFileSync(join(f.session.home, '.local', 'state', 'px-accounts', 'access.json'), 'utf8')) as {
            grants: Array<{ app: string; decision: string }>;
          }
        ).grants
          .map((g) => `${g.app}=${g.decision}`)
          .sort();
      await waitFor('access.json to hold what ListAccess lists', () => onDisk().join() === now.join(), 5000).catch(
        () => undefined,
      );
      assert.deepEqual(onDisk(), now);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});
