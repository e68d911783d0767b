/** Account files edited by hand show up live; files that make no sense are skipped, untouched. */
import { strict as assert } from 'node:assert';
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, ROOT, errorOf, s } from '../harness/client.js';
import { waitFor } from '../harness/session.js';
import { testSecret, useFixture } from '../harness/fixture.js';

const P = `${ROOT}/account/`;
const ini = (provider: string, username: string, extra = '') =>
  `[account]\nprovider = ${provider}\nusername = ${username}\nprotocols = imap\n${extra}`;

describe('storage: hand edits are picked up live', () => {
  const f = useFixture({ service: true });
  const write = (name: string, text: string) => {
    // Like an editor: write a temp file, then rename over the target.
    const tmp = join(f.session.accountsDir, `.${name}.swp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(f.session.accountsDir, name));
  };

  it('a file added by hand becomes an object (InterfacesAdded)', async () => {
    const mark = f.client.signals.length;
    write('hand_made.ini', ini('fastmail', 'hand@example.org', 'name = By hand\n'));
    await f.client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === P + 'hand_made', 10_000, mark);
    assert.equal(await f.client.get(P + 'hand_made', ACCOUNT, 'Name'), 'By hand');
    assert.equal(await f.client.get(P + 'hand_made', 'org.pantherx.Accounts.Imap', 'Host'), 'imap.fastmail.com');
  });

  it('a file changed by hand emits PropertiesChanged for exactly what changed', async () => {
    const mark = f.client.signals.length;
    write(
      'hand_made.ini',
      ini('fastmail', 'hand@example.org', 'name = Renamed by hand\n[imap]\nport = 1143\nsecurity = starttls\n'),
    );
    const acc = await f.client.waitSignal(
      (x) => x.member === 'PropertiesChanged' && x.path === P + 'hand_made' && x.body[0] === ACCOUNT,
      10_000,
      mark,
    );
    assert.deepEqual(Object.keys(acc.body[1] as object), ['Name']);
    const imap = await f.client.waitSignal(
      (x) =>
        x.member === 'PropertiesChanged' && x.path === P + 'hand_made' && x.body[0] === 'org.pantherx.Accounts.Imap',
      10_000,
      mark,
    );
    assert.deepEqual(Object.keys(imap.body[1] as object).sort(), ['Port', 'Security']);
  });

  it('a file removed by hand while the service runs removes the object (InterfacesRemoved)', async () => {
    const mark = f.client.signals.length;
    unlinkSync(join(f.session.accountsDir, 'hand_made.ini'));
    await f.client.waitSignal((x) => x.member === 'InterfacesRemoved' && x.body[0] === P + 'hand_made', 10_000, mark);
    assert.ok(!(P + 'hand_made' in (await f.client.managedObjects())));
  });

  it('a garbage file is logged by name and reason, skipped, and never rewritten or deleted', async () => {
    const garbage = 'this is not\u0007 an account [[[\n';
    write('garbage.ini', garbage);
    await waitFor(
      'log line',
      () => f.service.log().includes('garbage.ini skipped: there is no [account] section'),
      10_000,
    );
    assert.ok(!(P + 'garbage' in (await f.client.managedObjects())));
    assert.equal(readFileSync(join(f.session.accountsDir, 'garbage.ini'), 'utf8'), garbage);
    // Its name stays taken: an add never overwrites it.
    write('imap_g_at_example_org.ini', garbage);
    const path = await f.client.addAccount('imap', 'g@example.org', {}, { 'imap.host': s('127.0.0.1') });
    assert.equal(path, P + 'imap_g_at_example_org_2');
    assert.equal(readFileSync(join(f.session.accountsDir, 'imap_g_at_example_org.ini'), 'utf8'), garbage);
  });

  it('a change through D-Bus never overwrites a file broken by hand', async () => {
    write('in_edit.ini', ini('yahoo', 'edit@example.org'));
    await f.client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === P + 'in_edit');
    const broken = ini('yahoo', 'edit@example.org', '[imap]\nport = not a port\n');
    writeFileSync(join(f.session.accountsDir, 'in_edit.ini'), broken);
    const err = await errorOf(f.client.call(P + 'in_edit', ACCOUNT, 'Update', 'a{sv}', [{ name: s('Clobber') }]));
    assert.ok(
      ['org.pantherx.Accounts.Error.Io', 'org.freedesktop.DBus.Error.UnknownObject'].includes(err.type),
      err.type,
    );
    assert.equal(readFileSync(join(f.session.accountsDir, 'in_edit.ini'), 'utf8'), broken);
  });

  it('a file broken by hand removes its object; fixing it brings it back', async () => {
    write('fix_me.ini', ini('yahoo', 'fix@example.org'));
    await f.client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === P + 'fix_me');
    let mark = f.client.signals.length;
    write('fix_me.ini', ini('yahoo', 'fix@example.org', '[imap]\nport = 99999\n'));
    await f.client.waitSignal((x) => x.member === 'InterfacesRemoved' && x.body[0] === P + 'fix_me', 10_000, mark);
    await waitFor(
      'log line',
      () => /fix_me\.ini skipped: \[imap\] port must be a port number/.test(f.service.log()),
      10_000,
    );
    mark = f.client.signals.length;
    write('fix_me.ini', ini('yahoo', 'fix@example.org'));
    await f.client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === P + 'fix_me', 10_000, mark);
  });
});

describe('storage: start-up with hostile and hand-made files', () => {
  const files: Record<string, string | Buffer> = {};
  const f = useFixture({
    service: true,
    // the files are there when the service starts
    prepare: (t) => {
      const dir = t.session.accountsDir;
      mkdirSync(dir, { recursive: true });
      files['good.ini'] = ini('icloud', 'good@example.org', 'colour = green\n');
      files['binary.ini'] = Buffer.from([0, 1, 2, 255, 254, 0, 10]);
      files['no_account.ini'] = '[imap]\nhost = 127.0.0.1\n';
      files['has space.ini'] = ini('icloud', 'space@example.org');
      files['manual_no_host.ini'] = ini('imap', 'nohost@example.org');
      files['dup_sections.ini'] = ini('gandi', 'dup@example.org') + '[account]\nname = Second\n';
      files['notes.txt'] = 'not an account';
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      writeFileSync(join(t.session.dir, 'outside.ini'), ini('google', 'outside@example.org'));
      symlinkSync(join(t.session.dir, 'outside.ini'), join(dir, 'link.ini'));
      mkdirSync(join(dir, 'folder.ini'));
      writeFileSync(join(dir, 'good.ini.2718281828'), 'half-written by a crashed write');
      writeFileSync(join(dir, 'huge.ini'), Buffer.alloc(2 * 1024 * 1024, 0x61));
    },
  });

  it('serves the good files and skips each bad one with a log line naming it', async () => {
    const objects = Object.keys(await f.client.managedObjects()).sort();
    assert.deepEqual(objects, [P + 'dup_sections', P + 'good']);
    const log = f.service.log();
    for (const [name, reason] of <[string, string][]>[
      ['binary.ini', 'binary'],
      ['no_account.ini', 'no [account] section'],
      ['has space.ini', 'not a valid account id'],
      ['manual_no_host.ini', '[imap] host is required'],
      ['link.ini', 'symbolic link'],
      ['folder.ini', 'not a regular file'],
      ['huge.ini', 'larger than'],
    ]) {
      assert.ok(log.includes(`${name} skipped:`) && log.includes(reason), `${name}: ${reason}\n${log}`);
    }
  });

  it('removes temp files left by an interrupted write, with a log line', () => {
    assert.ok(!readdirSync(f.session.accountsDir).includes('good.ini.2718281828'));
    assert.match(f.service.log(), /removed .*good\.ini\.2718281828, left by an interrupted write/);
  });

  it('leaves every file exactly as it was', () => {
    for (const [name, content] of Object.entries(files)) {
      assert.deepEqual(readFileSync(join(f.session.accountsDir, name)), Buffer.from(content), name);
    }
    assert.ok(statSync(join(f.session.accountsDir, 'folder.ini')).isDirectory());
    assert.equal(
      readdirSync(f.session.accountsDir).filter((n) => n.includes('.tmp') || /\.ini\.\d+$/.test(n)).length,
      0,
    );
  });

  it('keeps unknown keys when the service rewrites a hand-made file', async () => {
    await f.client.call(P + 'good', ACCOUNT, 'SetSecret', 'ss', ['password', testSecret()]);
    const text = readFileSync(join(f.session.accountsDir, 'good.ini'), 'utf8');
    assert.match(text, /colour = green/);
    assert.match(text, /credentials = password/);
  });
});
