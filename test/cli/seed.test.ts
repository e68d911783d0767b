/** The seed's command lines, exactly as written (server addresses on loopback), and their GNU long forms. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../harness/process.js';
import { CODE, json, useCliService } from './helpers.js';
import { testSecret } from '../harness/fixture.js';
import type { AccountJson } from '../../src/cli/format.js';

describe('px-accounts: the seed examples', () => {
  const f = useCliService();

  it('add -provider fastmail -account "info@pantherx.org" PASSWORD: every protocol of the provider', async () => {
    const pw = testSecret();
    const r = await f.run(['add', '-provider', 'fastmail', '-account', 'info@pantherx.org', pw]);
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.equal(
      r.stdout,
      'Added fastmail_info_at_pantherx_org: info@pantherx.org (FastMail: imap, smtp, caldav, carddav)\n',
    );
    const a = json<AccountJson>(await f.run(['show', 'fastmail_info_at_pantherx_org', '--json']));
    assert.equal(a.name, 'info@pantherx.org');
    assert.deepEqual(a.protocols, ['imap', 'smtp', 'caldav', 'carddav']);
    assert.deepEqual(a.credentials, ['password']);
    assert.equal(a.status, 'none');
    assert.deepEqual(a.settings.imap, {
      host: 'imap.fastmail.com',
      port: 993,
      security: 'tls',
      username: 'info@pantherx.org',
      path: '',
      ca: '',
    });
    // The password went to the keyring, never to the file.
    const got = await f.run(['secret', 'get', 'fastmail_info_at_pantherx_org', 'password']);
    assert.equal(got.stdout, pw + '\n');
    assert.ok(!readFileSync(join(f.session.accountsDir, 'fastmail_info_at_pantherx_org.ini'), 'utf8').includes(pw));
  });

  it('add -provider google -protocol imap smtp -name "Work" -account john PASSWORD: an array option and a name', async () => {
    const r = await f.run([
      'add',
      '-provider',
      'google',
      '-protocol',
      'imap',
      'smtp',
      '-name',
      'Work',
      '-account',
      'john',
      testSecret(),
    ]);
    assert.equal(r.code, CODE.OK, r.stderr);
    const a = json<AccountJson>(await f.run(['show', 'google_john_at_gmail_com', '--json']));
    assert.equal(a.name, 'Work');
    assert.equal(a.username, 'john@gmail.com');
    assert.equal(a.providerName, 'Google');
    assert.deepEqual(a.protocols, ['imap', 'smtp']);
  });

  it('add -protocol sftp -account "abc" PASSWORD -server "127.0.0.1" -port "22": manual set-up of one protocol', async () => {
    const r = await f.run([
      'add',
      '-protocol',
      'sftp',
      '-account',
      'abc',
      testSecret(),
      '-server',
      '127.0.0.1',
      '-port',
      '22',
    ]);
    assert.equal(r.code, CODE.OK, r.stderr);
    assert.equal(r.stdout, 'Added sftp_abc: abc (SFTP: sftp)\n');
    const a = json<AccountJson>(await f.run(['show', 'sftp_abc', '--json']));
    assert.equal(a.provider, 'sftp');
    assert.deepEqual(Object.keys(a.settings), ['sftp']);
    const { host, port, username, path } = a.settings.sftp!;
    assert.deepEqual({ host, port, username, path }, { host: '127.0.0.1', port: 22, username: 'abc', path: '' });
  });

  it('add -protocol imap -account me@example.org PASSWORD -server ... -port 993 -path INBOX', async () => {
    // mail.example.org is fine here: the service never connects when adding.
    const r = await f.run([
      'add',
      '-protocol',
      'imap',
      '-account',
      'me@example.org',
      testSecret(),
      '-server',
      'mail.example.org',
      '-port',
      '993',
      '-path',
      'INBOX',
    ]);
    assert.equal(r.code, CODE.OK, r.stderr);
    const a = json<AccountJson>(await f.run(['show', 'imap_me_at_example_org', '--json']));
    assert.deepEqual(a.settings.imap, {
      host: 'mail.example.org',
      port: 993,
      security: 'tls',
      username: 'me@example.org',
      path: 'INBOX',
      ca: '',
    });
    assert.equal(a.name, 'me@example.org');
  });

  it('several -protocol values without -provider: the first is the provider, -server and -port apply to each', async () => {
    const r = await f.run([
      'add',
      '-protocol',
      'imap',
      'smtp',
      '-account',
      'both@example.org',
      '-server',
      '127.0.0.1',
      '-port',
      '2525',
      '--json',
      testSecret(),
    ]);
    assert.equal(r.code, CODE.OK, r.stderr);
    const a = json<AccountJson>(r);
    assert.equal(a.id, 'imap_both_at_example_org');
    assert.equal(a.provider, 'imap');
    assert.deepEqual(a.protocols, ['imap', 'smtp']);
    assert.equal(a.settings.imap!.host, '127.0.0.1');
    assert.equal(a.settings.smtp!.host, '127.0.0.1');
    assert.equal(a.settings.smtp!.port, 2525);
  });

  it('GNU long options, --opt=value, comma lists and --password-stdin do the same', async () => {
    const pw = testSecret();
    const r = await f.run(
      [
        'add',
        '--protocol=imap,smtp',
        '--account=gnu@example.org',
        '--server',
        '127.0.0.1',
        '--name=GNU style',
        '--password-stdin',
      ],
      pw + '\n',
    );
    assert.equal(r.code, CODE.OK, r.stderr);
    const a = json<AccountJson>(await f.run(['show', 'imap_gnu_at_example_org', '--json']));
    assert.equal(a.name, 'GNU style');
    assert.deepEqual(a.protocols, ['imap', 'smtp']);
    const got = await f.run(['secret', 'get', a.id, 'password']);
    assert.equal(got.stdout, pw + '\n', 'stdin minus its trailing newline');
  });

  it("a password starting with '-' goes after --", async () => {
    const pw = `-${testSecret()}`;
    assert.equal(
      (await f.run(['add', '-protocol', 'sftp', '-account', 'dash', '-server', '127.0.0.1', '--', pw])).code,
      CODE.OK,
    );
    assert.equal((await f.run(['secret', 'get', 'sftp_dash', 'password'])).stdout, pw + '\n');
    const r = await f.run(['add', '-protocol', 'sftp', '-account', 'dash2', '-server', '127.0.0.1', '--', pw, 'extra']);
    assert.equal(r.code, CODE.INVALID);
  });

  it('a password that looks like a number stays a string', async () => {
    const digits = String(Math.floor(Math.random() * 1e9)).padStart(10, '0');
    assert.equal(
      (await f.run(['add', '-protocol', 'sftp', '-account', 'numeric', '-server', '127.0.0.1', digits])).code,
      CODE.OK,
    );
    assert.equal((await f.run(['secret', 'get', 'sftp_numeric', 'password'])).stdout, digits + '\n');
  });

  it('the accounts are what busctl sees on the bus', async () => {
    const r = await run(
      'busctl',
      [
        '--user',
        'get-property',
        'org.pantherx.Accounts',
        '/org/pantherx/Accounts/account/sftp_abc',
        'org.pantherx.Accounts.Sftp',
        'Port',
      ],
      f.session.env,
    );
    assert.equal(r.stdout.trim(), 'q 22');
  });
});
