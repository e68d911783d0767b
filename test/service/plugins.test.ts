/**
 * Third-party protocols with no code in the service: descriptors plus helpers (a shell script
 * and a Python program written here), used through the real bus exactly like a built-in, and
 * every way a descriptor or a helper can be wrong, contained.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ACCOUNT, MANAGER, ROOT, b, errorOf, s, type V } from '../harness/client.js';
import { alive, readTree, ROOT as REPO, waitFor } from '../harness/session.js';
import { testSecret, useFixture } from '../harness/fixture.js';

const PY = '/usr/bin/python3';

/** matrix: a POSIX shell helper; OK when the secret is the one in `expected` and host is set. */
const SHELL_HELPER = `#!/bin/sh
dir=$(dirname "$0")
input=$(cat)
printf '%s\\n' "$*" > "$dir/matrix.argv"
env > "$dir/matrix.env"
printf '%s' "$input" > "$dir/matrix.stdin"
case "$input" in
  *'"host":"127.0.0.1"'*) ;;
  *) echo 'ERROR(ServerError: no host given)'; exit 0 ;;
esac
case "$input" in
  *"\\"secret\\":\\"$(cat "$dir/expected")\\""*) echo OK ;;
  *) echo 'ERROR(Unauthorized: M_FORBIDDEN: Invalid password)' ;;
esac
`;

/** feed: a Python helper; it checks a named secret (token) besides the password. */
const PY_HELPER = `#!${PY}
import json, sys, os
req = json.load(sys.stdin)
here = os.path.dirname(os.path.abspath(__file__))
expected = open(os.path.join(here, 'expected')).read()
if req['protocol'] != 'feed' or req['settings'].get('url') != 'http://127.0.0.1:9/feed':
    print('ERROR(garbled request %s)' % sorted(req['settings']))
elif req.get('secrets', {}).get('token') != expected + '-token':
    print('ERROR(Unauthorized: token refused)')
else:
    print('OK')
`;

const HANG = `#!/bin/sh
dir=$(dirname "$0")
sleep 300 &
echo $! > "$dir/hang.child"
echo $$ > "$dir/hang.pid"
wait
`;
const CRASH = `#!/bin/sh
secret=$(cat)
echo "fatal: could not log in with $secret" >&2
exit 3
`;
const GARBAGE = `#!/bin/sh
cat > /dev/null
echo 'yes, probably'
`;
const FLOOD = `#!/bin/sh
cat > /dev/null
exec yes 'ERROR'
`;

function write(dir: string, name: string, text: string, mode = 0o644): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

/** A plugin's descriptor; what a test does not name is a plain one run by matrix-helper. */
interface Descriptor {
  name: string;
  iface: string;
  settings?: string;
  secrets?: string;
  helper?: string;
  extra?: string;
  /** The descriptor file's mode (0644 unless said). */
  mode?: number;
}

const descriptor = (d: Descriptor) =>
  `[plugin]\nname = ${d.name}\ninterface = ${d.iface}\nsettings = ${d.settings ?? 'host'}\n` +
  `secrets = ${d.secrets ?? 'password'}\nhelper = ${d.helper ?? 'matrix-helper'}\n${d.extra ?? ''}`;

/** Descriptors of the user's directory the service refuses, each for one reason. */
const REFUSED: Record<string, Descriptor> = {
  'groupw.ini': { name: 'G', iface: 'org.example.G', mode: 0o664 }, // writable by others
  'outside.ini': { name: 'O', iface: 'org.example.O', helper: '../outside-helper' }, // a helper outside the directory
  'noexec.ini': { name: 'N', iface: 'org.example.N', helper: 'noexec.sh' }, // a helper that is not executable
  'imap.ini': { name: 'Fake IMAP', iface: 'org.example.FakeImap' }, // a built-in protocol's id
  'zclash.ini': { name: 'Clash', iface: 'org.example.Accounts.Matrix' }, // another plugin's interface
  'reserved.ini': { name: 'R', iface: 'org.pantherx.Accounts.Reserved' }, // the service's own namespace
  'badkey.ini': { name: 'B', iface: 'org.example.B', settings: 'name' }, // a setting named like an account key
};

describe('third-party protocol plugins (descriptor + helper)', function () {
  this.timeout(30_000);
  let userDir: string;
  let systemDir: string;
  const secret = testSecret();

  const fx = useFixture({
    prepare: (fx) => {
      userDir = join(fx.session.env.XDG_DATA_HOME!, 'px-accounts', 'plugins');
      systemDir = join(fx.session.dir, 'system-data', 'px-accounts', 'plugins');
      write(userDir, 'expected', secret);
      write(userDir, 'matrix-helper', SHELL_HELPER, 0o755);
      write(
        userDir,
        'matrix.ini',
        descriptor({
          name: 'Matrix',
          iface: 'org.example.Accounts.Matrix',
          settings: 'host, port, room',
          extra: 'timeout = 20\n',
        }),
      );
      write(userDir, 'feed.py', PY_HELPER, 0o755);
      write(
        userDir,
        'feed.ini',
        descriptor({
          name: 'Feed',
          iface: 'org.example.Accounts.Feed',
          settings: 'url',
          secrets: 'password, token',
          helper: 'feed.py',
        }),
      );
      for (const [id, text] of <[string, string][]>[
        ['hang', HANG],
        ['crash', CRASH],
        ['garbage', GARBAGE],
        ['flood', FLOOD],
      ]) {
        write(userDir, `${id}.sh`, text, 0o755);
        write(
          userDir,
          `${id}.ini`,
          descriptor({ name: id, iface: `org.example.Accounts.T${id}`, helper: `${id}.sh`, extra: 'timeout = 1\n' }),
        );
      }
      for (const [file, d] of Object.entries(REFUSED)) write(userDir, file, descriptor(d), d.mode);
      write(join(userDir, '..'), 'outside-helper', SHELL_HELPER, 0o755);
      write(userDir, 'noexec.sh', GARBAGE, 0o644);
      write(userDir, 'nosection.ini', 'name = nothing\n');
      // The system directory comes after the user's: its matrix is refused, its own id is taken.
      write(systemDir, 'matrix-helper', SHELL_HELPER, 0o755);
      write(systemDir, 'matrix.ini', descriptor({ name: 'Other Matrix', iface: 'org.example.Accounts.Matrix2' }));
      write(systemDir, 'sysproto.ini', descriptor({ name: 'System', iface: 'org.example.Accounts.System' }));
    },
    service: { env: (fx) => ({ XDG_DATA_DIRS: join(fx.session.dir, 'system-data') }) },
  });

  const unwrap = (x: Record<string, V>) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v.value]));

  it('lists trusted plugins with the built-ins, and refuses the others with a log line naming why', async () => {
    const [list] = await fx.client.call(ROOT, MANAGER, 'ListProtocols');
    const protocols = (list as Array<Record<string, V>>).map(unwrap);
    const ids = protocols.map((p) => p.id);
    if (process.env.DEBUG_LOG) console.log(fx.service.log());
    for (const id of ['matrix', 'feed', 'hang', 'crash', 'garbage', 'flood', 'sysproto'])
      assert.ok(ids.includes(id), `${id} listed`);
    const refused = Object.keys(REFUSED).map((file) => file.replace(/\.ini$/, ''));
    for (const id of [...refused.filter((id) => id !== 'imap'), 'nosection'])
      assert.ok(!ids.includes(id), `${id} refused`);
    const matrix = protocols.find((p) => p.id === 'matrix')!;
    assert.equal(matrix.interface, 'org.example.Accounts.Matrix', 'the user directory wins over the system one');
    assert.equal(matrix.builtin, false);
    assert.deepEqual(
      (matrix.settings as Array<Record<string, V>>).map(unwrap).map((x) => [x.key, x.property, x.type]),
      [
        ['host', 'Host', 's'],
        ['port', 'Port', 's'],
        ['room', 'Room', 's'],
      ],
    );
    assert.equal(protocols.find((p) => p.id === 'imap')!.builtin, true);
    const log = fx.service.log();
    assert.match(log, /groupw\.ini skipped: the descriptor is writable by group or others/);
    assert.match(log, /outside\.ini skipped: helper '\.\.\/outside-helper' points outside/);
    assert.match(log, /noexec\.ini skipped: helper .* is not executable/);
    assert.match(log, /imap\.ini skipped: protocol id 'imap' is already taken by a built-in protocol/);
    assert.match(
      log,
      /zclash\.ini skipped: interface org\.example\.Accounts\.Matrix is already used by protocol matrix/,
    );
    assert.match(log, /reserved\.ini skipped: .* reserved for the service/);
    assert.match(log, /badkey\.ini skipped: \[plugin\] settings: 'name' is reserved/);
    assert.match(log, /nosection\.ini skipped: there is no \[plugin\] section/);
    assert.match(log, /system-data\/px-accounts\/plugins\/matrix\.ini skipped: protocol id 'matrix' is already taken/);
  });

  it('adds, shows, verifies, edits and removes a plugin account like a built-in one', async () => {
    const path = await fx.client.addAccount(
      'matrix',
      'alice',
      { password: secret },
      {
        'matrix.host': s('127.0.0.1'),
        'matrix.room': s('#general'),
        verify: b(true),
      },
    );
    assert.equal(await fx.client.get(path, ACCOUNT, 'Status'), 'online');
    assert.deepEqual(await fx.client.getAll(path, 'org.example.Accounts.Matrix'), {
      Host: '127.0.0.1',
      Port: '',
      Room: '#general',
    });
    assert.deepEqual(await fx.client.get(path, ACCOUNT, 'Protocols'), ['matrix']);
    // The secret went through stdin only.
    assert.ok(readFileSync(join(userDir, 'matrix.stdin'), 'utf8').includes(secret));
    assert.ok(!readFileSync(join(userDir, 'matrix.argv'), 'utf8').includes(secret));
    assert.equal(readFileSync(join(userDir, 'matrix.argv'), 'utf8').trim(), 'verify');
    assert.ok(!readFileSync(join(userDir, 'matrix.env'), 'utf8').includes(secret));
    assert.ok(!readTree(join(fx.session.home, '.userdata')).includes(secret), 'no secret in the account files');

    const [ok] = await fx.client.call(path, ACCOUNT, 'Verify');
    assert.equal(((ok as Record<string, V>).matrix!.value as Record<string, V>).code!.value, 'Ok');
    await fx.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', 'wrong-' + secret]);
    const [bad] = await fx.client.call(path, ACCOUNT, 'Verify');
    const r = unwrap((bad as Record<string, V>).matrix!.value as Record<string, V>);
    assert.equal(r.code, 'Unauthorized');
    assert.match(String(r.message), /M_FORBIDDEN: Invalid password/);
    assert.equal(await fx.client.get(path, ACCOUNT, 'AttentionNeeded'), true);

    const mark = fx.client.signals.length;
    await fx.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'matrix.room': s('#random') }]);
    await fx.client.waitSignal(
      (x) => x.member === 'PropertiesChanged' && x.body[0] === 'org.example.Accounts.Matrix',
      3000,
      mark,
    );
    assert.equal(await fx.client.get(path, 'org.example.Accounts.Matrix', 'Room'), '#random');
    const file = readFileSync(join(fx.session.home, '.userdata', 'accounts', `${path.split('/').pop()}.ini`), 'utf8');
    assert.match(file, /\[matrix\]\nhost = 127\.0\.0\.1\nroom = \\#random/);

    await fx.client.call(path, ACCOUNT, 'Remove');
    assert.equal(existsSync(join(fx.session.home, '.userdata', 'accounts', `${path.split('/').pop()}.ini`)), false);
  });

  it('a settings value of the wrong type is InvalidArgument, an unknown setting too, and nothing is written', async () => {
    const wrongType = await errorOf(
      fx.client.addAccount('matrix', 'bob', { password: secret }, { 'matrix.host': b(true) }),
    );
    assert.equal(wrongType.type, 'org.pantherx.Accounts.Error.InvalidArgument');
    assert.match(wrongType.text, /option matrix\.host must be a string/);
    const unknown = await errorOf(
      fx.client.addAccount('matrix', 'bob', { password: secret }, { 'matrix.server': s('x') }),
    );
    assert.match(unknown.text, /not a setting of Matrix \(matrix\.host, matrix\.port, matrix\.room\)/);
    const [objects] = await fx.client.call(ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects');
    assert.ok(!Object.keys(objects as object).some((p) => p.includes('bob')));
  });

  it('passes named secrets to a Python helper', async () => {
    const path = await fx.client.addAccount(
      'feed',
      'carol',
      { password: secret, token: secret + '-token' },
      { 'feed.url': s('http://127.0.0.1:9/feed') },
    );
    const [res] = await fx.client.call(path, ACCOUNT, 'Verify');
    assert.equal(unwrap((res as Record<string, V>).feed!.value as Record<string, V>).code, 'Ok');
    await fx.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['token', 'nope']);
    const [res2] = await fx.client.call(path, ACCOUNT, 'Verify');
    assert.equal(unwrap((res2 as Record<string, V>).feed!.value as Record<string, V>).code, 'Unauthorized');
  });

  it('contains a helper that hangs, crashes, prints garbage or floods: a typed result, the service unharmed', async () => {
    const results: Record<string, Record<string, unknown>> = {};
    const started = Date.now();
    await Promise.all(
      ['hang', 'crash', 'garbage', 'flood'].map(async (id) => {
        const [r] = await fx.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
          id,
          'dave',
          { password: secret },
          { [`${id}.host`]: s('127.0.0.1') },
        ]);
        results[id] = unwrap((r as Record<string, V>)[id]!.value as Record<string, V>);
      }),
    );
    assert.ok(Date.now() - started < 10_000);
    assert.equal(results.hang!.code, 'Timeout');
    assert.equal(results.crash!.code, 'Unknown');
    assert.match(
      String(results.crash!.message),
      /exited with status 3 without a verdict: fatal: could not log in with .*"secret":"\*\*\*"/,
    );
    assert.equal(results.garbage!.code, 'Unknown');
    assert.match(String(results.garbage!.message), /something else than OK or ERROR/);
    assert.equal(results.flood!.code, 'Unknown');
    for (const r of Object.values(results)) assert.ok(!String(r.message).includes(secret));
    // The hung helper and the process it started were killed with its process group.
    const pid = Number(readFileSync(join(userDir, 'hang.pid'), 'utf8'));
    const child = Number(readFileSync(join(userDir, 'hang.child'), 'utf8'));
    await waitFor('hung helper gone', () => !alive(pid) && !alive(child), 3000);
    assert.ok(alive(fx.service.pid));
    assert.ok(!fx.service.log().includes(secret), 'no secret in the log');
  });
});

describe('the example plugin shipped in examples/plugins (Matrix)', function () {
  this.timeout(30_000);
  let homeserver: Server;
  const password = testSecret();
  const calls: string[] = [];

  const fx = useFixture({
    start: async (fx) => {
      // A homeserver of the test's own on loopback: the two endpoints the helper uses.
      homeserver = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          calls.push(req.url!);
          res.setHeader('Content-Type', 'application/json');
          if (req.url === '/_matrix/client/v3/login') {
            const r = JSON.parse(body) as { identifier: { user: string }; password: string };
            if (r.identifier.user === '@alice:example.org' && r.password === password)
              return res.end(JSON.stringify({ access_token: 'session-token' }));
            res.statusCode = 403;
            return res.end(JSON.stringify({ errcode: 'M_FORBIDDEN', error: 'Invalid password' }));
          }
          res.end('{}');
        });
      });
      await new Promise<void>((r) => homeserver.listen(0, '127.0.0.1', r));
      fx.onStop(() => homeserver.close());
    },
    prepare: (fx) => {
      const dir = join(fx.session.env.XDG_DATA_HOME!, 'px-accounts', 'plugins');
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      for (const f of ['matrix.ini', 'matrix-helper']) cpSync(join(REPO, 'examples', 'plugins', f), join(dir, f));
    },
    service: true,
  });

  it('adds a Matrix account checked against the homeserver, and reports a refused password', async () => {
    const url = `http://127.0.0.1:${(homeserver.address() as AddressInfo).port}`;
    const path = await fx.client.addAccount(
      'matrix',
      '@alice:example.org',
      { password },
      { 'matrix.url': s(url), verify: b(true) },
    );
    assert.equal(await fx.client.get(path, ACCOUNT, 'Status'), 'online');
    assert.deepEqual(
      calls,
      ['/_matrix/client/v3/login', '/_matrix/client/v3/logout'],
      'the check logs its session out again',
    );
    await fx.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', 'not-' + password]);
    const [res] = await fx.client.call(path, ACCOUNT, 'Verify');
    const r = (res as Record<string, V>).matrix!.value as Record<string, V>;
    assert.equal(r.code!.value, 'Unauthorized');
    assert.match(String(r.message!.value), /M_FORBIDDEN/);
  });
});
