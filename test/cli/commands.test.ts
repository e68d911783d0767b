/** Every subcommand, in its human and --json forms. */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../harness/process.js';
import { CODE, errorLine, json, useCliService } from './helpers.js';
import { testSecret, uniqueUser } from '../harness/fixture.js';
import type { AccountJson } from '../../src/cli/format.js';

const idOf = (user: string, provider: string) => `${provider}_${user.replace('@', '_at_').replace(/[^a-z0-9]/g, '_')}`;

describe('px-accounts: subcommands', () => {
  const f = useCliService();
  /** Adds a manual IMAP+SMTP account on loopback; returns its id. */
  const addManual = async (extra: string[] = []) => {
    const user = uniqueUser();
    const r = await f.run(
      ['add', '-protocol', 'imap', 'smtp', '-account', user, '-server', '127.0.0.1', '--password-stdin', ...extra],
      testSecret(),
    );
    assert.equal(r.code, CODE.OK, r.stderr);
    return idOf(user, 'imap');
  };

  it('list: "No accounts" and [] when there are none', async () => {
    const human = await f.run(['list']);
    assert.equal(human.code, CODE.OK, human.stderr);
    assert.match(human.stdout, /^No accounts\./);
    assert.deepEqual(json(await f.run(['list', '--json'])), []);
  });

  it('list: a table of id, name, provider, protocols, status, and the same as JSON', async () => {
    const a = await addManual(['-name', 'Table test']);
    const b = await addManual();
    await f.run(['status', b, 'error', 'sync failed']);
    const human = await f.run(['list']);
    assert.equal(human.code, CODE.OK, human.stderr);
    const lines = human.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID +NAME +PROVIDER +PROTOCOLS +STATUS$/);
    const row = lines.find((l) => l.startsWith(a + ' '))!;
    assert.match(row, /Table test +imap +imap,smtp +none$/);
    assert.match(
      lines.find((l) => l.startsWith(b + ' '))!,
      / error$/,
    );
    const list = json<AccountJson[]>(await f.run(['ls', '--json']));
    assert.deepEqual(
      list.map((x) => x.id),
      [a, b].sort(),
    );
    const entry = list.find((x) => x.id === a)!;
    assert.deepEqual(Object.keys(entry), [
      'id',
      'path',
      'name',
      'provider',
      'providerName',
      'username',
      'protocols',
      'status',
      'statusMessage',
      'statusTime',
      'attentionNeeded',
      'credentials',
      'locked',
      'policyViolation',
      'auth',
      'settings',
      'identity',
      'parent',
      'mutedErrors',
      'data',
    ]);
    assert.equal(entry.path, `/org/pantherx/Accounts/account/${a}`);
    assert.equal(typeof entry.statusTime, 'number');
    assert.deepEqual(Object.keys(entry.settings), ['imap', 'smtp']);
    // --protocol filters: every account here has imap; none has sftp.
    assert.equal(json<AccountJson[]>(await f.run(['list', '--protocol', 'sftp', '--json'])).length, 0);
    assert.ok(json<AccountJson[]>(await f.run(['list', '--protocol', 'imap', '--json'])).length >= 2);
  });

  it('show: every field in human form and JSON', async () => {
    const id = await addManual(['-name', 'Shown', '-path', 'INBOX']);
    const human = await f.run(['show', id]);
    assert.equal(human.code, CODE.OK, human.stderr);
    assert.match(human.stdout, new RegExp(`^ID: +${id}$`, 'm'));
    assert.match(human.stdout, /^Name: +Shown$/m);
    assert.match(human.stdout, /^Provider: +IMAP \(imap\)$/m);
    assert.match(human.stdout, /^Protocols: +imap, smtp$/m);
    assert.match(human.stdout, /^Status: +none$/m);
    assert.match(human.stdout, /^Secrets: +password$/m);
    assert.match(human.stdout, /^\[imap\]\n {2}host: +127\.0\.0\.1\n {2}port: +993\n {2}security: +tls\n/m);
    assert.match(human.stdout, /^ {2}path: +INBOX$/m);
    const a = json<AccountJson>(await f.run(['show', id, '--json']));
    assert.equal(a.id, id);
    assert.equal(a.settings.smtp!.port, 465);
    assert.equal(a.settings.imap!.path, 'INBOX');
  });

  it('edit: rename, change a setting, enable and disable protocols, all in one atomic update', async () => {
    const id = await addManual();
    let r = await f.run([
      'edit',
      id,
      '--name',
      'Renamed',
      '--set',
      'imap.port=1993',
      '--set',
      'imap.security=starttls',
    ]);
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.equal(r.stdout, `Updated ${id}: Renamed (IMAP: imap, smtp)\n`);
    let a = json<AccountJson>(await f.run(['show', id, '--json']));
    assert.equal(a.name, 'Renamed');
    assert.deepEqual(a.settings.imap, {
      host: '127.0.0.1',
      port: 1993,
      security: 'starttls',
      username: a.username,
      path: '',
      ca: '',
    });
    r = await f.run([
      'edit',
      id,
      '--disable',
      'smtp',
      '--enable',
      'pop3',
      '--server',
      '127.0.0.1',
      '--port',
      '1110',
      '--json',
    ]);
    assert.equal(r.code, CODE.OK, r.stderr);
    a = json<AccountJson>(r);
    assert.deepEqual(a.protocols, ['imap', 'pop3']);
    assert.equal(a.settings.pop3!.port, 1110);
    assert.equal(a.settings.imap!.port, 1993, 'settings apply to the enabled protocols only');
    r = await f.run(['edit', id, '-protocol', 'imap', '-server', '127.0.0.2', '-path', 'Archive']);
    assert.equal(r.code, CODE.OK, r.stderr);
    a = json<AccountJson>(await f.run(['show', id, '--json']));
    assert.deepEqual(a.protocols, ['imap']);
    assert.equal(a.settings.imap!.host, '127.0.0.2');
    assert.equal(a.settings.imap!.path, 'Archive');
    // Nothing to change, and a refused change that changes nothing.
    r = await f.run(['edit', id]);
    assert.equal(r.code, CODE.INVALID);
    assert.match(errorLine(r), /nothing to change/);
    r = await f.run(['edit', id, '--name', 'Not saved', '--set', 'imap.security=ssl']);
    assert.equal(r.code, CODE.INVALID, r.stderr);
    assert.equal(json<AccountJson>(await f.run(['show', id, '--json'])).name, 'Renamed');
    r = await f.run(['edit', id, '--disable', 'imap']);
    assert.equal(r.code, CODE.INVALID);
    assert.match(errorLine(r), /at least one protocol/);
  });

  it('add and edit: --set takes any setting by its ListProtocols key, underscores too (btc.gap_limit)', async () => {
    // `protocols --json` names each setting three ways: the key --set takes, the property, the field of the JSON below.
    const protocols = json<Array<{ id: string; settings: Array<{ key: string; property: string; field: string }> }>>(
      await f.run(['protocols', '--json']),
    );
    const gap = protocols.find((p) => p.id === 'btc')!.settings.find((s) => s.key === 'gap_limit')!;
    assert.deepEqual([gap.property, gap.field], ['GapLimit', 'gapLimit']);
    // A watch-only address (BIP-173's); its backend is a closed port on loopback, so nothing leaves the machine.
    let r = await f.run([
      'add',
      '-protocol',
      'btc',
      '-account',
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      '-url',
      'http://127.0.0.1:9/',
      '--set',
      'btc.gap_limit=30',
      '--set',
      'btc.script_type=p2tr',
      '--json',
    ]);
    assert.equal(r.code, CODE.OK, r.stderr);
    let a = json<AccountJson>(r);
    assert.equal(a.settings.btc!.gapLimit, 30);
    assert.equal(a.settings.btc!.scriptType, 'p2tr');
    r = await f.run(['edit', a.id, '--set', 'btc.gap_limit=45', '--json']);
    assert.equal(r.code, CODE.OK, r.stderr);
    a = json<AccountJson>(r);
    assert.equal(a.settings.btc!.gapLimit, 45);
    assert.equal(a.settings.btc!.scriptType, 'p2tr', 'the other setting is kept');
    assert.match(
      readFileSync(join(f.session.accountsDir, `${a.id}.ini`), 'utf8'),
      /^gap_limit = 45$/m,
      'the file keeps the key',
    );
    // `show` names settings by key too, as the file and --set do.
    const shown = (await f.run(['show', a.id])).stdout;
    assert.match(shown, /^\[btc\]$/m);
    assert.match(shown, /^ {2}gap_limit: +45$/m);
    assert.match(shown, /^ {2}script_type: +p2tr$/m);
    // The client's field is not a key: the CLI names the key instead of sending it.
    r = await f.run(['edit', a.id, '--set', 'btc.gapLimit=50']);
    assert.equal(r.code, CODE.INVALID);
    assert.match(errorLine(r), /--set btc\.gapLimit: not a setting key \(did you mean btc\.gap_limit\?\)/);
    // A key the protocol does not have, and a bad value: the service says which, and nothing changes.
    r = await f.run(['edit', a.id, '--set', 'btc.gap=50']);
    assert.equal(r.code, CODE.INVALID);
    assert.match(errorLine(r), /option btc\.gap is not a setting of Bitcoin \(.*btc\.gap_limit/);
    r = await f.run(['edit', a.id, '--set', 'btc.gap_limit=5000']);
    assert.equal(r.code, CODE.INVALID);
    assert.match(errorLine(r), /gap_limit must be at most 1000/);
    assert.equal(json<AccountJson>(await f.run(['show', a.id, '--json'])).settings.btc!.gapLimit, 45);
    // One value per --set: the password after it stays the password.
    const user = uniqueUser();
    const password = testSecret();
    r = await f.run([
      'add',
      '-protocol',
      'imap',
      '-account',
      user,
      '-server',
      '127.0.0.1',
      '--set',
      'imap.port=1993',
      password,
      '--json',
    ]);
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.equal(json<AccountJson>(r).settings.imap!.port, 1993);
    assert.equal((await f.run(['secret', 'get', idOf(user, 'imap'), 'password'])).stdout, `${password}\n`);
  });

  it('remove: deletes the account (file and secrets), human and JSON', async () => {
    const id = await addManual();
    let r = await f.run(['remove', id]);
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.equal(r.stdout, `Removed ${id}\n`);
    assert.ok(!existsSync(join(f.session.accountsDir, `${id}.ini`)));
    const lookup = await run(
      'secret-tool',
      ['lookup', 'service', 'org.pantherx.Accounts', 'username', `${id}/password`],
      f.session.env,
    );
    assert.equal(lookup.stdout, '');
    const other = await addManual();
    r = await f.run(['rm', other, '--json']);
    assert.deepEqual(json(r), { id: other, removed: true });
    r = await f.run(['remove', other]);
    assert.equal(r.code, CODE.NOT_FOUND);
    assert.equal(errorLine(r), `px-accounts: no account '${other}' — 'px-accounts list' shows the accounts`);
  });

  it('secret set|get|delete: the value comes from stdin, never from argv', async () => {
    const id = await addManual();
    const value = testSecret();
    let r = await f.run(['secret', 'set', id, 'smtp'], value + '\n');
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.equal(r.stdout, `Stored secret 'smtp' of ${id}\n`);
    assert.deepEqual(json<AccountJson>(await f.run(['show', id, '--json'])).credentials, ['password', 'smtp']);
    r = await f.run(['secret', 'get', id, 'smtp']);
    assert.equal(r.stdout, value + '\n');
    assert.deepEqual(json(await f.run(['secret', 'get', id, 'smtp', '--json'])), { id, name: 'smtp', value });
    const lookup = await run(
      'secret-tool',
      ['lookup', 'service', 'org.pantherx.Accounts', 'username', `${id}/smtp`],
      f.session.env,
    );
    assert.equal(lookup.stdout, value, 'stored exactly, without the newline');
    r = await f.run(['secret', 'delete', id, 'smtp', '--json']);
    assert.deepEqual(json(r), { id, name: 'smtp', deleted: true });
    r = await f.run(['secret', 'get', id, 'smtp']);
    assert.equal(r.code, CODE.NOT_FOUND);
    assert.match(errorLine(r), /no secret named 'smtp'/);
    r = await f.run(['secret', 'set', id, 'smtp'], '');
    assert.equal(r.code, CODE.INVALID);
    assert.match(errorLine(r), /no secret given: pipe it on stdin/);
    r = await f.run(['secret', 'set', id, 'bad name'], value);
    assert.equal(r.code, CODE.INVALID);
    r = await f.run(['secret', 'frob', id, 'smtp']);
    assert.equal(r.code, CODE.INVALID);
  });

  it('secret set on a terminal asks without echoing the value', async function () {
    // script(1) (bsdutils, essential on Debian) makes the terminal; without it this test fails.
    assert.equal(
      (await run('sh', ['-c', 'command -v script'], f.session.env)).code,
      0,
      'script(1) is missing (bsdutils)',
    );
    const id = await addManual();
    const value = testSecret();
    // script(1) gives the CLI a pseudo-terminal; the value is typed on it.
    const cmd = `${process.execPath} dist/bin/px-accounts.js secret set ${id} imap`;
    const { spawn } = await import('node:child_process');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      env: f.session.env,
      cwd: join(import.meta.dirname, '../../..'),
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    const deadline = Date.now() + 10000;
    while (!output.includes(`Secret 'imap' for ${id}:`) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    child.stdin.write(value + '\r');
    const code = await new Promise((r) => child.once('close', r));
    assert.equal(code, 0, output);
    assert.ok(!output.includes(value), 'the secret was echoed');
    assert.equal((await f.run(['secret', 'get', id, 'imap'])).stdout, value + '\n');
  });

  it('status: shows without a state, reports with one (human and JSON)', async () => {
    const id = await addManual();
    let r = await f.run(['status', id]);
    assert.equal(r.stdout, `${id}: none\n`);
    assert.deepEqual(json(await f.run(['status', id, '--json'])), {
      id,
      status: 'none',
      message: '',
      time: 0,
      attentionNeeded: false,
    });
    const before = Date.now() * 1000;
    r = await f.run(['status', id, 'online', 'synced', '12', 'folders']);
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.match(r.stdout, new RegExp(`^${id}: online \\(synced 12 folders\\) since \\d{4}-\\d\\d-\\d\\dT`));
    const s = json<{ status: string; message: string; time: number }>(await f.run(['status', id, '--json']));
    assert.equal(s.status, 'online');
    assert.equal(s.message, 'synced 12 folders');
    assert.ok(s.time >= before && s.time <= Date.now() * 1000);
    r = await f.run(['status', id, 'none', '--json']);
    assert.equal(json<{ status: string }>(r).status, 'none');
    r = await f.run(['status', id, 'great']);
    assert.equal(r.code, CODE.INVALID);
    assert.match(errorLine(r), /Choices: "none", "online", "offline", "error"/);
  });

  it('verify: per-protocol results, or a clear exit 8 from a service without verification', async function () {
    this.timeout(30000);
    // Port 1 on loopback: nothing listens, so a check fails at once and no traffic leaves the machine.
    const id = await addManual(['-port', '1']);
    const human = await f.run(['verify', id]);
    const machine = await f.run(['verify', id, '--json']);
    if (human.code === CODE.UNSUPPORTED) {
      for (const r of [human, machine]) {
        assert.equal(r.code, CODE.UNSUPPORTED, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(errorLine(r), new RegExp(`^px-accounts: cannot verify ${id}: .*not available`));
      }
    } else {
      assert.equal(human.code, CODE.VERIFICATION, human.stderr);
      assert.match(human.stdout, /^PROTOCOL +RESULT +CODE +MESSAGE$/m);
      assert.match(human.stdout, /^imap +FAILED +ConnectionRefused\b/m);
      assert.match(human.stdout, /^smtp +FAILED +ConnectionRefused\b/m);
      assert.equal(machine.code, CODE.VERIFICATION);
      const j = json<{ id: string; ok: boolean; results: Record<string, { ok: boolean; code: string }> }>(machine);
      assert.equal(j.id, id);
      assert.equal(j.ok, false);
      assert.deepEqual(Object.keys(j.results).sort(), ['imap', 'smtp']);
      assert.equal(j.results.imap!.code, 'ConnectionRefused');
    }
    const r = await f.run(
      [
        'add',
        '-protocol',
        'sftp',
        '-account',
        uniqueUser(),
        '-server',
        '127.0.0.1',
        '-port',
        '1',
        '--verify',
        '--password-stdin',
      ],
      testSecret(),
    );
    assert.ok(r.code === CODE.UNSUPPORTED || r.code === CODE.VERIFICATION, r.stderr);
    assert.match(
      errorLine(r),
      r.code === CODE.UNSUPPORTED ? /nothing was saved — add the account without --verify/ : /ConnectionRefused/,
    );
    assert.equal(json<unknown[]>(await f.run(['list', '--json', '--protocol', 'sftp'])).length, 0, 'nothing was saved');
  });

  it('providers: the catalogue as a table and as JSON', async () => {
    const human = await f.run(['providers']);
    assert.equal(human.code, CODE.OK, human.stderr);
    assert.match(human.stdout, /^ID +NAME +PROTOCOLS +DOMAIN +SIGN-IN\n/);
    assert.match(human.stdout, /^office365 +Office 365 +imap,smtp,pop3 +oauth2 \(no client id\)$/m);
    assert.match(human.stdout, /^fastmail +FastMail +imap,smtp,caldav,carddav +fastmail\.com +password$/m);
    const list = json<
      Array<{
        id: string;
        name: string;
        domain: string;
        protocols: string[];
        supported: string[];
        servers: Record<string, Record<string, unknown>>;
      }>
    >(await f.run(['providers', '--json']));
    assert.deepEqual(
      list.map((p) => p.id),
      [
        'airvpn',
        'azirevpn',
        'fastmail',
        'gandi',
        'google',
        'icloud',
        'nextcloud',
        'office365',
        'outlook',
        'torguard',
        'yahoo',
      ],
    );
    const fastmail = list.find((p) => p.id === 'fastmail')!;
    assert.deepEqual(Object.keys(fastmail), [
      'id',
      'name',
      'domain',
      'protocols',
      'supported',
      'servers',
      'notice',
      'auth',
      'oauth2_configured',
      'denied',
    ]);
    assert.equal((fastmail as { denied?: string }).denied, '', 'no policy here: nothing denied');
    assert.equal(fastmail.servers.imap!.host, 'imap.fastmail.com');
    assert.equal(fastmail.servers.imap!.port, 993);
  });

  it('--help for every subcommand, and --version', async () => {
    const commands = [
      'add',
      'discover',
      'list',
      'show',
      'edit',
      'remove',
      'secret',
      'secret set',
      'secret get',
      'secret delete',
      'status',
      'verify',
      'providers',
      'watch',
      'export',
      'import',
      'completion',
    ];
    const results = await Promise.all(commands.map((c) => f.run([...c.split(' '), '--help'])));
    results.forEach((r, i) => {
      assert.equal(r.code, CODE.OK, `${commands[i]}: ${r.stderr}`);
      if (commands[i] !== 'completion') assert.match(r.stdout, /--json/, commands[i]);
      assert.match(r.stdout, /^Usage: |px-accounts /m, commands[i]);
    });
    assert.match(results[0]!.stdout, /--password-stdin +read the password from stdin/);
    assert.match(results[0]!.stdout, /Prefer --password-stdin/);
    const top = await f.run(['--help']);
    for (const c of [
      'add',
      'list',
      'show',
      'edit',
      'remove',
      'secret',
      'status',
      'verify',
      'providers',
      'watch',
      'export',
      'import',
      'completion',
    ]) {
      assert.match(top.stdout, new RegExp(`px-accounts ${c}\\b`));
    }
    assert.match(top.stdout, /Exit codes: 0 ok/);
    assert.match(
      (await f.run(['-help'])).stdout,
      /Usage: px-accounts <command>/,
      'single-dash long options, seed style',
    );
    assert.match((await f.run(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('completion prints a bash completion script that completes commands', async () => {
    const r = await f.run(['completion'], '');
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.match(r.stdout, /complete -o bashdefault -o default -F _px-accounts_yargs_completions px-accounts/);
    const check = await run('bash', ['-n', '-c', r.stdout], f.session.env);
    assert.equal(check.code, 0, check.stderr);
    const words = await f.run(['--get-yargs-completions', 'px-accounts', '']);
    assert.deepEqual(words.stdout.trim().split('\n').sort(), [
      'access',
      'add',
      'completion',
      'discover',
      'edit',
      'export',
      'import',
      'list',
      'mute',
      'protocols',
      'providers',
      'remove',
      'secret',
      'show',
      'signin',
      'status',
      'token',
      'transactions',
      'unmute',
      'verify',
      'watch',
    ]);
    const secretWords = await f.run(['--get-yargs-completions', 'px-accounts', 'secret', '']);
    assert.deepEqual(secretWords.stdout.trim().split('\n').sort(), ['delete', 'get', 'set']);
  });
});
