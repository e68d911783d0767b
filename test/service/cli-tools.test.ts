/** The README's busctl and gdbus examples, run for real. */
import { strict as assert } from 'node:assert';
import { run, waitFor } from '../harness/process.js';
import { testSecret, useFixture } from '../harness/fixture.js';

describe('busctl and gdbus', () => {
  const f = useFixture({ service: true });
  const busctl = (...args: string[]) => run('busctl', ['--user', ...args], f.session.env);
  const gdbus = (...args: string[]) => run('gdbus', args, f.session.env);
  const path = '/org/pantherx/Accounts/account/fastmail_info_at_pantherx_org';

  it('busctl: add, list, get and set a property, report status, remove', async () => {
    const secret = testSecret();
    let r = await busctl(
      'call',
      'org.pantherx.Accounts',
      '/org/pantherx/Accounts',
      'org.pantherx.Accounts.Manager',
      'AddAccount',
      'ssa{ss}a{sv}',
      'fastmail',
      'info@pantherx.org',
      '1',
      'password',
      secret,
      '1',
      'name',
      's',
      'Work',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `o "${path}"`);
    r = await busctl(
      'call',
      'org.pantherx.Accounts',
      '/org/pantherx/Accounts',
      'org.freedesktop.DBus.ObjectManager',
      'GetManagedObjects',
      '--json=short',
    );
    type Objects = Record<string, Record<string, Record<string, { data: unknown }>>>;
    const objects = (JSON.parse(r.stdout) as { data: Objects[] }).data[0];
    assert.equal(objects?.[path]?.['org.pantherx.Accounts.Account']?.Name?.data, 'Work');
    r = await busctl('get-property', 'org.pantherx.Accounts', path, 'org.pantherx.Accounts.Imap', 'Port');
    assert.equal(r.stdout.trim(), 'q 993');
    r = await busctl(
      'set-property',
      'org.pantherx.Accounts',
      path,
      'org.pantherx.Accounts.Account',
      'Name',
      's',
      'Personal',
    );
    assert.equal(r.code, 0, r.stderr);
    r = await busctl(
      'set-property',
      'org.pantherx.Accounts',
      path,
      'org.pantherx.Accounts.Account',
      'Username',
      's',
      'x',
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /read-only/);
    r = await busctl(
      'call',
      'org.pantherx.Accounts',
      path,
      'org.pantherx.Accounts.Account',
      'ReportStatus',
      'ss',
      'online',
      'synced',
    );
    assert.equal(r.code, 0, r.stderr);
    r = await busctl(
      'get-property',
      'org.pantherx.Accounts',
      path,
      'org.pantherx.Accounts.Account',
      'Status',
      'StatusMessage',
    );
    assert.equal(r.stdout.trim(), 's "online"\ns "synced"');
    r = await busctl(
      'call',
      'org.pantherx.Accounts',
      '/org/pantherx/Accounts',
      'org.pantherx.Accounts.Manager',
      'AddAccount',
      'ssa{ss}a{sv}',
      'nosuch',
      'x',
      '0',
      '0',
    );
    assert.match(r.stderr, /not in the catalogue/);
    r = await busctl('call', 'org.pantherx.Accounts', path, 'org.pantherx.Accounts.Account', 'Remove');
    assert.equal(r.code, 0, r.stderr);
  });

  it('gdbus: add, introspect, read properties, watch StatusChanged, remove', async () => {
    let r = await gdbus(
      'call',
      '--session',
      '--dest',
      'org.pantherx.Accounts',
      '--object-path',
      '/org/pantherx/Accounts',
      '--method',
      'org.pantherx.Accounts.Manager.AddAccount',
      'google',
      'john',
      `{'password': '${testSecret()}'}`,
      "{'protocols': <['imap', 'smtp']>, 'name': <'Work'>}",
    );
    assert.equal(r.code, 0, r.stderr);
    const gpath = '/org/pantherx/Accounts/account/google_john_at_gmail_com';
    assert.equal(r.stdout.trim(), `(objectpath '${gpath}',)`);
    r = await gdbus(
      'introspect',
      '--session',
      '--dest',
      'org.pantherx.Accounts',
      '--object-path',
      gpath,
      '--only-properties',
    );
    assert.match(r.stdout, /readonly s Username = 'john@gmail.com';/);
    assert.match(r.stdout, /interface org.pantherx.Accounts.Smtp/);
    const { spawn } = await import('node:child_process');
    const monitor = spawn(
      'gdbus',
      ['monitor', '--session', '--dest', 'org.pantherx.Accounts', '--object-path', gpath],
      { env: f.session.env },
    );
    let seen = '';
    monitor.stdout.on('data', (d) => (seen += d));
    try {
      // gdbus prints the owner once its match rule is in place (AddMatch goes first on its connection).
      await waitFor('the monitor to subscribe', () => /owned by/.test(seen), 5000);
      r = await gdbus(
        'call',
        '--session',
        '--dest',
        'org.pantherx.Accounts',
        '--object-path',
        gpath,
        '--method',
        'org.pantherx.Accounts.Account.ReportStatus',
        'offline',
        'no network',
      );
      assert.equal(r.code, 0, r.stderr);
      await waitFor('StatusChanged on the monitor', () => seen.includes('StatusChanged'), 3000).catch(() => undefined);
      assert.match(seen, /org\.pantherx\.Accounts\.Account\.StatusChanged \('offline', 'no network'\)/);
    } finally {
      monitor.kill();
    }
    r = await gdbus(
      'call',
      '--session',
      '--dest',
      'org.pantherx.Accounts',
      '--object-path',
      gpath,
      '--method',
      'org.pantherx.Accounts.Account.Remove',
    );
    assert.equal(r.code, 0, r.stderr);
  });
});
