/**
 * The sender identity of mail accounts (docs/identity.md): identity.* options in AddAccount and
 * Update, the [identity] section of the file (hand edits too), org.pantherx.Accounts.Identity,
 * and the CLI's --full-name/--email/--alias, --set identity.* and show.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../cli/helpers.js';
import { ACCOUNT, as, b, errorOf, s, type V } from '../harness/client.js';
import { waitFor } from '../harness/session.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

const IDENTITY = 'org.pantherx.Accounts.Identity';
const INVALID = 'org.pantherx.Accounts.Error.InvalidArgument';
const mail = { protocols: as(['imap', 'smtp']), 'imap.host': s('127.0.0.1'), 'smtp.host': s('127.0.0.1') };
const idOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

describe('sender identity of mail accounts', function () {
  this.timeout(30_000);
  const f = useFixture({ service: true });

  it('AddAccount takes identity.name/address/aliases; Identity shows them and the file keeps them in [identity]', async () => {
    const user = uniqueUser('ident');
    const path = await f.client.addAccount(
      'imap',
      user,
      { password: testSecret() },
      {
        ...mail,
        'identity.name': s('Ada Lovelace'),
        'identity.address': s('ada@example.org'),
        'identity.aliases': as(['countess@example.org', 'ada@analytical.example']),
      },
    );
    assert.deepEqual(await f.client.getAll(path, IDENTITY), {
      FullName: 'Ada Lovelace',
      EmailAddress: 'ada@example.org',
      Aliases: ['countess@example.org', 'ada@analytical.example'],
    });
    const text = readFileSync(join(f.session.accountsDir, `${idOf(path)}.ini`), 'utf8');
    assert.match(
      text,
      /\[identity\]\nname = Ada Lovelace\naddress = ada@example\.org\naliases = countess@example\.org, ada@analytical\.example\n/,
    );
    assert.doesNotMatch(text, /protocols = .*identity/, 'not a protocol');
  });

  it('the address defaults to the user name when it is an address; empty otherwise; POP3 + SMTP is a mail account too', async () => {
    const user = uniqueUser('plain');
    const path = await f.client.addAccount('imap', user, { password: testSecret() }, mail);
    assert.deepEqual(await f.client.getAll(path, IDENTITY), { FullName: '', EmailAddress: user, Aliases: [] });
    assert.doesNotMatch(
      readFileSync(join(f.session.accountsDir, `${idOf(path)}.ini`), 'utf8'),
      /\[identity\]/,
      'nothing set, nothing stored',
    );
    const login = await f.client.addAccount(
      'pop3',
      `login${Date.now()}`,
      { password: testSecret() },
      { protocols: as(['pop3', 'smtp']), 'pop3.host': s('127.0.0.1'), 'smtp.host': s('127.0.0.1') },
    );
    assert.deepEqual(await f.client.getAll(login, IDENTITY), { FullName: '', EmailAddress: '', Aliases: [] });
  });

  it('Update changes and clears fields (PropertiesChanged); a comma-separated string is a list of aliases', async () => {
    const path = await f.client.addAccount(
      'imap',
      uniqueUser('upd'),
      { password: testSecret() },
      { ...mail, 'identity.name': s('Old Name') },
    );
    const from = f.client.signals.length;
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [
      { 'identity.name': s('New Name'), 'identity.aliases': s('a@example.org, b@example.org') },
    ]);
    const sig = await f.client.waitSignal(
      (x) => x.path === path && x.member === 'PropertiesChanged' && x.body[0] === IDENTITY,
      3000,
      from,
    );
    assert.deepEqual(Object.keys(sig.body[1] as object).sort(), ['Aliases', 'FullName']);
    assert.deepEqual(await f.client.getAll(path, IDENTITY), {
      FullName: 'New Name',
      EmailAddress: await f.client.get(path, ACCOUNT, 'Username'),
      Aliases: ['a@example.org', 'b@example.org'],
    });
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'identity.name': s(''), 'identity.aliases': as([]) }]);
    assert.equal(await f.client.get(path, IDENTITY, 'FullName'), '');
    assert.doesNotMatch(readFileSync(join(f.session.accountsDir, `${idOf(path)}.ini`), 'utf8'), /\[identity\]/);
  });

  it('refuses bad values, wrong types and identity options on accounts that are not mail', async () => {
    const cases: Array<[string, Record<string, V>, RegExp]> = [
      ['imap', { ...mail, 'identity.address': s('not an address') }, /identity\.address .* is not an e-mail address/],
      ['imap', { ...mail, 'identity.name': b(true) }, /identity\.name must be a string/],
      [
        'imap',
        { ...mail, 'identity.aliases': s('ok@example.org, nope') },
        /identity\.aliases 'nope' is not an e-mail address/,
      ],
      ['imap', { ...mail, 'identity.colour': s('blue') }, /not a setting of the sender identity/],
      ['imap', { ...mail, 'identity.name': s('Bad\u0007Name') }, /control characters/],
      ['sftp', { 'sftp.host': s('127.0.0.1'), 'identity.name': s('X') }, /identity\.\* are for mail accounts/],
    ];
    for (const [provider, options, message] of cases) {
      const err = await errorOf(f.client.addAccount(provider, uniqueUser('bad'), { password: testSecret() }, options));
      assert.equal(err.type, INVALID, err.text);
      assert.match(err.text, message);
    }
  });

  it('a hand-edited [identity] is picked up live (keys a person added there are kept); disabling the mail protocols takes the interface away', async () => {
    const path = await f.client.addAccount('imap', uniqueUser('hand'), { password: testSecret() }, mail);
    const file = join(f.session.accountsDir, `${idOf(path)}.ini`);
    writeFileSync(file, readFileSync(file, 'utf8') + '\n[identity]\nname = By Hand\nsignature = my own key\n');
    await waitFor('the hand edit', async () => (await f.client.get(path, IDENTITY, 'FullName')) === 'By Hand');
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'identity.address': s('hand@example.org') }]);
    assert.match(
      readFileSync(file, 'utf8'),
      /\[identity\]\nsignature = my own key\nname = By Hand\naddress = hand@example\.org/,
    );
    const from = f.client.signals.length;
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [
      { protocols: as(['caldav']), 'caldav.url': s('https://dav.example.org/') },
    ]);
    const removed = await f.client.waitSignal(
      (x) => x.member === 'InterfacesRemoved' && x.body[0] === path,
      3000,
      from,
    );
    assert.ok((removed.body[1] as string[]).includes(IDENTITY));
  });

  it('the CLI: add --full-name --email --alias, edit --set identity.name=..., show and show --json', async () => {
    const user = uniqueUser('cli');
    const added = await cli(f.session.env, [
      'add',
      '-protocol',
      'imap',
      '-protocol',
      'smtp',
      '-account',
      user,
      '-server',
      '127.0.0.1',
      '--full-name',
      'Grace Hopper',
      '--email',
      'grace@example.org',
      '--alias',
      'amazing@example.org',
      '--alias',
      'cobol@example.org',
      '--json',
      testSecret(),
    ]);
    assert.equal(added.code, 0, added.stderr);
    const { id } = JSON.parse(added.stdout) as { id: string };
    const shown = await cli(f.session.env, ['show', id]);
    assert.match(shown.stdout, /^Sender: +Grace Hopper <grace@example\.org>$/m);
    assert.match(shown.stdout, /^Aliases: +amazing@example\.org, cobol@example\.org$/m);
    const edited = await cli(f.session.env, ['edit', id, '--set', 'identity.name=Rear Admiral Hopper', '--alias', '']);
    assert.equal(edited.code, 0, edited.stderr);
    const json = JSON.parse((await cli(f.session.env, ['show', id, '--json'])).stdout) as { identity: unknown };
    assert.deepEqual(json.identity, {
      fullName: 'Rear Admiral Hopper',
      emailAddress: 'grace@example.org',
      aliases: [],
    });
    const bad = await cli(f.session.env, ['edit', id, '--email', 'nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /not an e-mail address/);
  });
});
