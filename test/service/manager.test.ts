import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, MANAGER, ROOT, errorOf, s, q, as, b, Variant, type V } from '../harness/client.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

const E = 'org.pantherx.Accounts.Error.';

describe('Manager.AddAccount', () => {
  const f = useFixture({ service: true });

  it('adds a catalogue account with every protocol of the provider and the seed naming rules', async () => {
    const path = await f.client.addAccount('fastmail', 'info@pantherx.org', { password: testSecret() });
    assert.equal(path, '/org/pantherx/Accounts/account/fastmail_info_at_pantherx_org');
    const props = await f.client.getAll(path, ACCOUNT);
    assert.equal(props.Name, 'info@pantherx.org');
    assert.equal(props.ProviderName, 'FastMail');
    assert.deepEqual(props.Protocols, ['imap', 'smtp', 'caldav', 'carddav']);
    assert.deepEqual(props.Credentials, ['password']);
    assert.equal(props.Status, 'none');
    const imap = await f.client.getAll(path, 'org.pantherx.Accounts.Imap');
    assert.deepEqual(imap, {
      Host: 'imap.fastmail.com',
      Port: 993,
      Security: 'tls',
      Username: 'info@pantherx.org',
      Path: '',
      Ca: '',
    });
    const added = await f.client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === path);
    assert.deepEqual(Object.keys(added.body[1] as object).sort(), [
      ACCOUNT,
      'org.pantherx.Accounts.CalDav',
      'org.pantherx.Accounts.CardDav',
      'org.pantherx.Accounts.Identity',
      'org.pantherx.Accounts.Imap',
      'org.pantherx.Accounts.Smtp',
    ]);
  });

  it('completes a bare login with the provider domain and honours name and protocols', async () => {
    const path = await f.client.addAccount(
      'google',
      'john',
      { password: testSecret() },
      { name: s('Work'), protocols: as(['imap', 'smtp']) },
    );
    assert.equal(path, '/org/pantherx/Accounts/account/google_john_at_gmail_com');
    const props = await f.client.getAll(path, ACCOUNT);
    assert.equal(props.Username, 'john@gmail.com');
    assert.equal(props.Name, 'Work');
    assert.deepEqual(props.Protocols, ['imap', 'smtp']);
    const err = await errorOf(f.client.addAccount('google', 'John@GMAIL.com', {}));
    assert.equal(err.type, E + 'Duplicate');
  });

  it('adds a manual SFTP account from the seed example (loopback address)', async () => {
    const path = await f.client.addAccount(
      'sftp',
      'abc',
      { password: testSecret() },
      { 'sftp.host': s('127.0.0.1'), 'sftp.port': q(22) },
    );
    assert.equal(path, '/org/pantherx/Accounts/account/sftp_abc');
    assert.deepEqual(await f.client.getAll(path, 'org.pantherx.Accounts.Sftp'), {
      Host: '127.0.0.1',
      Port: 22,
      Username: 'abc',
      Path: '',
      HostKey: '',
    });
    // Same login on another server is another account; the id gets a numeric suffix.
    const other = await f.client.addAccount(
      'sftp',
      'abc',
      {},
      { 'sftp.host': s('127.0.0.2'), 'sftp.port': new Variant('u', 2222) },
    );
    assert.equal(other, '/org/pantherx/Accounts/account/sftp_abc_2');
    assert.equal(await f.client.get(other, 'org.pantherx.Accounts.Sftp', 'Port'), 2222);
    assert.equal(
      (await errorOf(f.client.addAccount('sftp', 'abc', {}, { 'sftp.host': s('127.0.0.1') }))).type,
      E + 'Duplicate',
    );
  });

  it('adds a manual IMAP account with a folder and derives DAV settings from a URL', async () => {
    const path = await f.client.addAccount(
      'imap',
      'me@example.org',
      { imap: testSecret() },
      {
        'imap.host': s('127.0.0.1'),
        'imap.port': q(993),
        'imap.path': s('INBOX'),
      },
    );
    assert.deepEqual(await f.client.getAll(path, 'org.pantherx.Accounts.Imap'), {
      Host: '127.0.0.1',
      Port: 993,
      Security: 'tls',
      Username: 'me@example.org',
      Path: 'INBOX',
      Ca: '',
    });
    const dav = await f.client.addAccount(
      'caldav',
      'dav@example.org',
      {},
      { 'caldav.url': s('http://127.0.0.1:5232/dav/') },
    );
    assert.deepEqual(await f.client.getAll(dav, 'org.pantherx.Accounts.CalDav'), {
      Host: '127.0.0.1',
      Port: 5232,
      Security: 'none',
      Username: 'dav@example.org',
      Path: '/dav/',
      Url: 'http://127.0.0.1:5232/dav/',
      Ca: '',
    });
  });

  const bad: Array<[string, () => unknown[], string, RegExp]> = [
    ['unknown provider', () => ['nosuch', 'a@example.org', {}, {}], 'UnknownProvider', /nosuch/],
    ['empty account', () => ['fastmail', '', {}, {}], 'InvalidArgument', /account must not be empty/],
    [
      '10 000-character account',
      () => ['fastmail', 'x'.repeat(10000), {}, {}],
      'InvalidArgument',
      /account is too long/,
    ],
    [
      'control characters in the account',
      () => ['fastmail', 'a\u0001b@example.org', {}, {}],
      'InvalidArgument',
      /control characters/,
    ],
    [
      'unknown option',
      () => ['fastmail', uniqueUser(), {}, { colour: s('red') }],
      'InvalidArgument',
      /unknown option 'colour'/,
    ],
    [
      'wrong option type',
      () => ['fastmail', uniqueUser(), {}, { name: b(true) }],
      'InvalidArgument',
      /option name must be a string/,
    ],
    [
      'a name the INI file cannot keep',
      () => ['fastmail', uniqueUser(), {}, { name: s("'") }],
      'InvalidArgument',
      /name cannot be stored faithfully in its INI file/,
    ],
    [
      'unsupported protocol',
      () => ['fastmail', uniqueUser(), {}, { protocols: as(['imap', 'gopher']) }],
      'UnsupportedProtocol',
      /gopher/,
    ],
    [
      'protocol the provider lacks',
      () => ['gandi', uniqueUser(), {}, { protocols: as(['caldav']) }],
      'UnsupportedProtocol',
      /does not offer CalDAV/,
    ],
    [
      'port out of range',
      () => ['imap', uniqueUser(), {}, { 'imap.host': s('127.0.0.1'), 'imap.port': new Variant('u', 70000) }],
      'InvalidArgument',
      /imap\.port/,
    ],
    [
      'port as a string',
      () => ['imap', uniqueUser(), {}, { 'imap.host': s('127.0.0.1'), 'imap.port': s('993') }],
      'InvalidArgument',
      /imap\.port must be an integer/,
    ],
    [
      'bad security',
      () => ['imap', uniqueUser(), {}, { 'imap.host': s('127.0.0.1'), 'imap.security': s('ssl') }],
      'InvalidArgument',
      /tls, starttls or none/,
    ],
    ['manual account without host', () => ['imap', uniqueUser(), {}, {}], 'InvalidArgument', /imap\.host is required/],
    [
      'host with a slash',
      () => ['imap', uniqueUser(), {}, { 'imap.host': s('../../etc') }],
      'InvalidArgument',
      /not a host name/,
    ],
    [
      'URL with credentials',
      () => ['caldav', uniqueUser(), {}, { 'caldav.url': s('https://u:p@127.0.0.1/') }],
      'InvalidArgument',
      /must not contain a user name or password/,
    ],
    [
      'setting for a disabled protocol',
      () => ['fastmail', uniqueUser(), {}, { protocols: as(['imap']), 'smtp.port': q(25) }],
      'InvalidArgument',
      /smtp is not among/,
    ],
    [
      'setting a protocol does not have',
      () => ['sftp', uniqueUser(), {}, { 'sftp.host': s('127.0.0.1'), 'sftp.security': s('tls') }],
      'InvalidArgument',
      /not a setting of SFTP/,
    ],
    [
      'bad secret name',
      () => ['fastmail', uniqueUser(), { '../x': testSecret() }, {}],
      'InvalidArgument',
      /secret name/,
    ],
    ['empty secret', () => ['fastmail', uniqueUser(), { password: '' }, {}], 'InvalidArgument', /must not be empty/],
    [
      'verify option of the wrong type',
      () => ['fastmail', uniqueUser(), {}, { verify: s('yes') }],
      'InvalidArgument',
      /option verify must be a boolean/,
    ],
  ];
  for (const [what, args, error, message] of bad) {
    it(`refuses ${what} with ${error} and keeps nothing`, async () => {
      const before = readdirSync(f.session.accountsDir).sort();
      const err = await errorOf(f.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', args()));
      assert.equal(err.type, E + error, err.text);
      assert.match(err.text, message);
      assert.deepEqual(readdirSync(f.session.accountsDir).sort(), before);
    });
  }

  it('turns a path-like account into a safe id inside the directory', async () => {
    const path = await f.client.addAccount('sftp', '../../x', {}, { 'sftp.host': s('127.0.0.1') });
    assert.equal(path, '/org/pantherx/Accounts/account/sftp_______x');
    assert.ok(statSync(join(f.session.accountsDir, 'sftp_______x.ini')).isFile());
  });

  it('a string with a NUL never reaches the service, which keeps serving', async () => {
    await assert.rejects(f.client.addAccount('fastmail', 'a\u0000b', {}));
    assert.ok(await f.client.get(ROOT + '/account/fastmail_info_at_pantherx_org', ACCOUNT, 'Id'));
  });

  it('keeps the directory 0700 and files 0600, with no secret in them', async () => {
    const secret = testSecret();
    await f.client.addAccount('yahoo', uniqueUser('perm'), { password: secret });
    assert.equal(statSync(f.session.accountsDir).mode & 0o777, 0o700);
    for (const name of readdirSync(f.session.accountsDir)) {
      assert.equal(statSync(join(f.session.accountsDir, name)).mode & 0o777, 0o600, name);
      assert.ok(!readFileSync(join(f.session.accountsDir, name), 'utf8').includes(secret));
    }
  });
});

describe('Manager.ListProviders and ValidateCredentials', () => {
  const f = useFixture({ service: true });

  it('lists the catalogue with servers', async () => {
    const [list] = await f.client.call(ROOT, MANAGER, 'ListProviders');
    const providers = (list as Array<Record<string, V>>).map((p) =>
      Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.value])),
    );
    assert.deepEqual(
      providers.map((p) => p.id),
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
    const fastmail = providers.find((p) => p.id === 'fastmail')!;
    assert.equal(fastmail.name, 'FastMail');
    assert.equal(fastmail['imap.host'], 'imap.fastmail.com');
    assert.equal(fastmail['imap.port'], 993);
    assert.deepEqual(fastmail.protocols, ['imap', 'smtp', 'caldav', 'carddav']);
  });

  it('ValidateCredentials refuses bad arguments, reports per protocol and saves nothing', async () => {
    const bad = await errorOf(
      f.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', ['nosuch', 'x', {}, {}]),
    );
    assert.equal(bad.type, E + 'UnknownProvider');
    const { createServer } = await import('node:net');
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const closed = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const [results] = await f.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
      'imap',
      'a@example.org',
      { password: testSecret() },
      { 'imap.host': s('127.0.0.1'), 'imap.port': q(closed), 'imap.security': s('none') },
    ]);
    const imap = (results as Record<string, V>).imap?.value as Record<string, V>;
    assert.equal(imap.ok?.value, false);
    assert.equal(imap.code?.value, 'ConnectionRefused');
    assert.match(imap.message?.value as string, new RegExp(`127\\.0\\.0\\.1:${closed}`));
    assert.deepEqual(readdirSync(f.session.accountsDir), []);
  });
});
