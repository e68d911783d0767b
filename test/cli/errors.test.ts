/** Every documented exit code, with its one-line message. */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nameHasOwner, pidOfName, SERVICE_BIN, waitFor } from '../harness/session.js';
import { stopPid } from '../harness/process.js';
import { CODE, LineReader, cli, errorLine, json, useCliService, useFakeService } from './helpers.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';
import { EXIT } from '../../src/cli/exit-codes.js';

describe('px-accounts: exit codes', () => {
  it('the documented codes are the ones in src/cli/exit-codes.ts', () => {
    assert.deepEqual(EXIT, {
      OK: CODE.OK,
      FAILURE: CODE.FAILURE,
      INVALID_ARGUMENT: CODE.INVALID,
      NOT_FOUND: CODE.NOT_FOUND,
      DUPLICATE: CODE.DUPLICATE,
      SECRETS_UNAVAILABLE: CODE.SECRETS,
      VERIFICATION_FAILED: CODE.VERIFICATION,
      SERVICE_UNREACHABLE: CODE.UNREACHABLE,
      UNSUPPORTED: CODE.UNSUPPORTED,
      NOT_AUTHORIZED: CODE.NOT_AUTHORIZED,
      NOT_CONFIGURED: CODE.NOT_CONFIGURED,
      UNREACHABLE: CODE.PROVIDER_UNREACHABLE,
      EXPIRED: CODE.EXPIRED,
      WRONG_PASSPHRASE: CODE.WRONG_PASSPHRASE,
      CANCELLED: CODE.CANCELLED,
    });
  });
});

describe('px-accounts: bad input, not found, duplicate', () => {
  const f = useCliService();

  const usage: Array<[string, string[], RegExp]> = [
    [
      'unknown subcommand',
      ['frobnicate'],
      /^px-accounts: unknown command 'frobnicate' \(commands: add, discover, list, .*\) \(see 'px-accounts --help'\)$/,
    ],
    ['no subcommand', [], /^px-accounts: no command given \(see 'px-accounts --help'\)$/],
    [
      'missing option value',
      ['add', '-provider', 'fastmail', '-account'],
      /^px-accounts: Not enough arguments following: account \(see 'px-accounts add --help'\)$/,
    ],
    ['missing --account', ['add', '-provider', 'fastmail'], /give the identifier with --account/],
    [
      'server settings with an address only',
      ['add', '-account', 'x@example.org', '-server', 'mail.example.org'],
      /server settings need --provider or --protocol/,
    ],
    ['unknown option', ['list', '--colour'], /Unknown argument: colour/],
    [
      'port that is not a number',
      ['add', '-protocol', 'imap', '-account', 'p@example.org', '-server', '127.0.0.1', '-port', 'abc'],
      /--port must be a number from 1 to 65535, got 'abc'/,
    ],
    [
      'port out of range',
      ['add', '-protocol', 'imap', '-account', 'p@example.org', '-server', '127.0.0.1', '-port', '70000'],
      /--port must be a number from 1 to 65535, got '70000'/,
    ],
    ['bad --set', ['edit', 'any_id', '--set', 'port'], /--set takes PROTOCOL\.KEY=VALUE/],
    [
      'bad --security',
      ['add', '-protocol', 'imap', '-account', 'p@example.org', '-security', 'ssl'],
      /Invalid values:.*security/,
    ],
    ['show without an id', ['show'], /Not enough non-option arguments/],
    ['bad --timeout', ['list', '--timeout', 'soon'], /--timeout must be a positive number of seconds/],
    [
      'password twice',
      ['add', '-protocol', 'sftp', '-account', 'x', '-server', '127.0.0.1', '--password-stdin', 'pw'],
      /either on stdin .* or as an argument, not both/,
    ],
  ];
  for (const [what, args, message] of usage) {
    it(`${what}: exit 2 and one line saying what to do`, async () => {
      const r = await f.run(args, 'x');
      assert.equal(r.code, CODE.INVALID, r.stderr);
      assert.match(errorLine(r), message);
      assert.equal(r.stdout, '');
    });
  }

  it('unknown provider: exit 2, pointing at px-accounts providers', async () => {
    const r = await f.run(['add', '-provider', 'nosuch', '-account', 'x@example.org', testSecret()]);
    assert.equal(r.code, CODE.INVALID);
    assert.match(
      errorLine(r),
      /^px-accounts: provider 'nosuch' is not in the catalogue .* — 'px-accounts providers' lists them/,
    );
  });

  it('invalid value refused by the service (a host with a slash): exit 2', async () => {
    const r = await f.run(['add', '-protocol', 'imap', '-account', uniqueUser(), '-server', '../etc', testSecret()]);
    assert.equal(r.code, CODE.INVALID);
    assert.match(errorLine(r), /not a host name/);
  });

  it('unsupported protocol: exit 8', async () => {
    const r = await f.run([
      'add',
      '-provider',
      'fastmail',
      '-protocol',
      'gopher',
      '-account',
      uniqueUser(),
      testSecret(),
    ]);
    assert.equal(r.code, CODE.UNSUPPORTED);
    assert.match(errorLine(r), /'gopher' is not a supported protocol/);
  });

  it('not found: exit 3 for an unknown id (also one that cannot be an id) and an unknown secret', async () => {
    for (const args of [
      ['show', 'nosuch_account'],
      ['show', 'no such/account'],
      ['status', 'nosuch', 'online'],
      ['edit', 'nosuch', '--name', 'x'],
      ['verify', 'nosuch'],
    ]) {
      const r = await f.run(args);
      assert.equal(r.code, CODE.NOT_FOUND, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), /^px-accounts: no account '.*' — 'px-accounts list' shows the accounts$/);
    }
  });

  it('duplicate: exit 4', async () => {
    const user = uniqueUser();
    assert.equal((await f.run(['add', '-provider', 'gandi', '-account', user], '')).code, CODE.OK);
    const r = await f.run(['add', '-provider', 'gandi', '-account', user.toUpperCase(), testSecret()]);
    assert.equal(r.code, CODE.DUPLICATE);
    assert.match(errorLine(r), /already exists .* — 'px-accounts list' shows it; change it with 'px-accounts edit'$/);
  });
});

describe('px-accounts: secrets unavailable (locked keyring)', () => {
  const f = useCliService('locked');

  it('exit 5 with advice to unlock the keyring; nothing is added', async () => {
    const r = await f.run(['add', '-provider', 'fastmail', '-account', uniqueUser(), '--password-stdin'], testSecret());
    assert.equal(r.code, CODE.SECRETS, r.stderr);
    assert.match(errorLine(r), /unlock your keyring/);
    assert.deepEqual(json(await f.run(['list', '--json'])), []);
  });
});

describe('px-accounts: verification results, other errors and timeouts (a stand-in service)', () => {
  const fake = useFakeService();
  const run = (args: string[], input?: string) => fake.run(args, input);

  it('verify prints one line per protocol and exits 0 when every protocol passed', async () => {
    const r = await run(['verify', 'fake_ok']);
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.match(r.stdout, /^PROTOCOL +RESULT +CODE +MESSAGE\nimap +ok +Ok +logged in\nsmtp +ok +Ok +authenticated\n$/);
    assert.deepEqual(json(await run(['verify', 'fake_ok', '--json'])), {
      id: 'fake_ok',
      ok: true,
      results: {
        imap: { ok: true, code: 'Ok', message: 'logged in' },
        smtp: { ok: true, code: 'Ok', message: 'authenticated' },
      },
    });
  });

  it('verify exits 6 when a protocol failed, with its code and message', async () => {
    const r = await run(['verify', 'fake_bad']);
    assert.equal(r.code, CODE.VERIFICATION, r.stderr);
    assert.match(r.stdout, /^smtp +FAILED +Unauthorized +535 authentication failed$/m);
    const j = await run(['verify', 'fake_bad', '--json']);
    assert.equal(j.code, CODE.VERIFICATION);
    assert.deepEqual(json<{ ok: boolean; results: Record<string, unknown> }>(j).results.smtp, {
      ok: false,
      code: 'Unauthorized',
      message: '535 authentication failed',
    });
  });

  it('a service without verification: exit 8 and a clear message, for verify and add --verify', async () => {
    for (const args of [
      ['verify', 'fake_unsupported'],
      ['verify', 'fake_unsupported', '--json'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, CODE.UNSUPPORTED, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(
        errorLine(r),
        'px-accounts: cannot verify fake_unsupported: credential verification is not available in this version',
      );
    }
  });

  it('add --verify that fails verification: exit 6', async () => {
    const r = await run(
      ['add', '-provider', 'fastmail', '-account', uniqueUser(), '--verify', '--password-stdin'],
      testSecret(),
    );
    assert.equal(r.code, CODE.VERIFICATION, r.stderr);
    assert.match(errorLine(r), /535 authentication failed/);
  });

  it('other service errors (Io, AccessDenied) and unexpected D-Bus errors: exit 1', async () => {
    for (const [args, message] of [
      [['verify', 'fake_io'], /disk full/],
      [['verify', 'fake_denied'], /not allowed/],
      [['providers'], /fake service has no/],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, CODE.FAILURE, r.stderr);
      assert.match(errorLine(r), message);
    }
  });

  it('a call the service never answers: exit 7 after --timeout', async () => {
    const t0 = Date.now();
    const r = await run(['verify', 'fake_silent', '--timeout', '0.5']);
    assert.equal(r.code, CODE.UNREACHABLE, r.stderr);
    assert.match(
      errorLine(r),
      /got no answer from org\.pantherx\.Accounts within 500 ms — the service did not answer in time; try again, or give a longer --timeout$/,
    );
    assert.ok(Date.now() - t0 < 5000);
  });
});

describe('px-accounts: service unreachable', () => {
  const f = useFixture({
    keyring: 'none',
    // the service the bus activated for a test is stopped, by PID, before the bus
    prepare: (t) =>
      t.onStop(async () => {
        if (await nameHasOwner(t.session.env, 'org.pantherx.Accounts').catch(() => false))
          await stopPid(await pidOfName(t.session.env, 'org.pantherx.Accounts'));
      }),
  });
  const hint = / — is px-accounts-service installed \(D-Bus activation\) or running\?$/;

  it('no session bus at all: exit 7', async () => {
    const env = { ...f.session.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const r = await cli(env, ['list']);
    assert.equal(r.code, CODE.UNREACHABLE, r.stderr);
    assert.match(errorLine(r), /^px-accounts: no session bus: DBUS_SESSION_BUS_ADDRESS is not set/);
    assert.match(errorLine(r), hint);
  });

  it('a bus address with nothing listening: exit 7', async () => {
    const r = await cli(
      { ...f.session.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(f.session.dir, 'no-such-socket')}` },
      ['list', '--json'],
    );
    assert.equal(r.code, CODE.UNREACHABLE, r.stderr);
    assert.match(errorLine(r), /cannot connect to the session bus .*ENOENT/);
    assert.equal(r.stdout, '');
  });

  it('the service is not running and cannot be activated: exit 7', async () => {
    const r = await cli(f.session.env, ['list']);
    assert.equal(r.code, CODE.UNREACHABLE, r.stderr);
    assert.match(errorLine(r), /^px-accounts: org\.pantherx\.Accounts is not available: .*org\.pantherx\.Accounts/);
    assert.match(errorLine(r), hint);
  });

  it('activation that fails (the program exits at once): exit 7', async () => {
    const file = join(f.session.servicesDir, 'org.pantherx.Accounts.service');
    writeFileSync(file, '[D-BUS Service]\nName=org.pantherx.Accounts\nExec=/bin/false\n');
    try {
      const r = await cli(f.session.env, ['providers']);
      assert.equal(r.code, CODE.UNREACHABLE, r.stderr);
      assert.match(errorLine(r), /not available/);
    } finally {
      writeFileSync(file, '');
    }
  });

  it('the service is D-Bus-activated when it is not running', async () => {
    const launcher = join(f.session.dir, 'px-accounts-service');
    writeFileSync(launcher, `#!/bin/sh\nexec "${process.execPath}" "${SERVICE_BIN}" --no-background-check "$@"\n`);
    chmodSync(launcher, 0o755);
    writeFileSync(
      join(f.session.servicesDir, 'org.pantherx.Accounts.service'),
      `[D-BUS Service]\nName=org.pantherx.Accounts\nExec=${launcher}\n`,
    );
    assert.equal(await nameHasOwner(f.session.env, 'org.pantherx.Accounts'), false);
    const r = await cli(f.session.env, ['list', '--json']);
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
    await waitFor('activated service', () => nameHasOwner(f.session.env, 'org.pantherx.Accounts'));
  });

  it('the service stopped while the command waits: exit 7 at once, not a timeout', async () => {
    const pid = await pidOfName(f.session.env, 'org.pantherx.Accounts');
    // No re-activation: the call must fail, however the race below turns out.
    writeFileSync(join(f.session.servicesDir, 'org.pantherx.Accounts.service'), '');
    process.kill(pid, 'SIGSTOP');
    // A monitor on the bus shows the command's call reaching the stopped service.
    const monitor = spawn('dbus-monitor', [
      '--address',
      f.session.address,
      "type='method_call',destination='org.pantherx.Accounts'",
    ]);
    let seen = '';
    monitor.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await waitFor('the monitor to watch', () => seen.includes('NameLost'), 5000);
      const t0 = Date.now();
      const child = LineReader.start(f.session.env, ['providers', '--timeout', '20']);
      // Kill the service once the command's call is on its way to it.
      await waitFor(
        'the call to the stopped service',
        () => /method call .*destination=org\.pantherx\.Accounts/.test(seen),
        10000,
      );
      process.kill(pid, 'SIGKILL');
      assert.equal(await child.exited, CODE.UNREACHABLE, child.errLines.join('\n'));
      assert.ok(Date.now() - t0 < 10000);
      assert.equal(child.errLines.length, 1);
      assert.match(child.errLines[0]!, /^px-accounts: org\.pantherx\.Accounts is not available: .*disconnected/i);
    } finally {
      monitor.kill();
    }
  });
});
