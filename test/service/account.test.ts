import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, PROPS, errorOf, s, q, as, Variant } from '../harness/client.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

const E = 'org.pantherx.Accounts.Error.';

describe('Account objects', () => {
  const f = useFixture({ service: true });
  const add = (opts = {}) => f.client.addAccount('fastmail', uniqueUser(), { password: testSecret() }, opts);
  const idOf = (path: string) => path.split('/').pop()!;
  const file = (path: string) => readFileSync(join(f.session.accountsDir, `${idOf(path)}.ini`), 'utf8');

  it('Name is writable through Properties.Set and announced', async () => {
    const path = await add();
    const mark = f.client.signals.length;
    await f.client.call(path, PROPS, 'Set', 'ssv', [ACCOUNT, 'Name', new Variant('s', 'Home mail')]);
    assert.equal(await f.client.get(path, ACCOUNT, 'Name'), 'Home mail');
    const sig = await f.client.waitSignal((x) => x.member === 'PropertiesChanged' && x.path === path, 3000, mark);
    assert.deepEqual(Object.keys(sig.body[1] as object), ['Name']);
    assert.match(file(path), /^name = Home mail$/m);
  });

  it('read-only properties stay unchanged on Set (the dbus-next bug is guarded)', async () => {
    const path = await add();
    const err = await errorOf(
      f.client.call(path, PROPS, 'Set', 'ssv', [ACCOUNT, 'Status', new Variant('s', 'online')]),
    );
    assert.equal(err.type, 'org.freedesktop.DBus.Error.PropertyReadOnly');
    assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'none');
    const wrongType = await errorOf(f.client.call(path, PROPS, 'Set', 'ssv', [ACCOUNT, 'Name', new Variant('u', 5)]));
    assert.equal(wrongType.type, E + 'InvalidArgument');
    const empty = await errorOf(f.client.call(path, PROPS, 'Set', 'ssv', [ACCOUNT, 'Name', new Variant('s', '')]));
    assert.equal(empty.type, E + 'InvalidArgument');
  });

  it('Update changes settings atomically, toggles protocol interfaces and keeps hand-added keys', async () => {
    const path = await add();
    const id = idOf(path);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(f.session.accountsDir, `${id}.ini`),
      file(path).replace('[imap]\n', '[imap]\nnote = keep me\n') + '\n[extra]\ncolour = blue\n',
    );
    const mark = f.client.signals.length;
    await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [
      { 'imap.port': q(1993), protocols: as(['imap', 'pop3']), 'pop3.security': s('starttls') },
    ]);
    assert.deepEqual(await f.client.get(path, ACCOUNT, 'Protocols'), ['imap', 'pop3']);
    assert.equal(await f.client.get(path, 'org.pantherx.Accounts.Imap', 'Port'), 1993);
    assert.deepEqual(await f.client.getAll(path, 'org.pantherx.Accounts.Pop3'), {
      Host: 'pop.fastmail.com',
      Port: 110,
      Security: 'starttls',
      Username: await f.client.get(path, ACCOUNT, 'Username'),
      Ca: '',
    });
    const removed = await f.client.waitSignal(
      (x) => x.member === 'InterfacesRemoved' && x.body[0] === path,
      3000,
      mark,
    );
    assert.deepEqual((removed.body[1] as string[]).sort(), [
      'org.pantherx.Accounts.CalDav',
      'org.pantherx.Accounts.CardDav',
      'org.pantherx.Accounts.Smtp',
    ]);
    await f.client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === path, 3000, mark);
    const changed = await f.client.waitSignal(
      (x) => x.member === 'PropertiesChanged' && x.path === path && x.body[0] === 'org.pantherx.Accounts.Imap',
      3000,
      mark,
    );
    assert.deepEqual(Object.keys(changed.body[1] as object), ['Port']);
    const text = file(path);
    assert.match(text, /note = keep me/);
    assert.match(text, /\[extra\]\ncolour = blue/);
    // A bad change changes nothing.
    const err = await errorOf(
      f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ name: s('Fine'), 'imap.port': q(0) }]),
    );
    assert.equal(err.type, E + 'InvalidArgument');
    assert.notEqual(await f.client.get(path, ACCOUNT, 'Name'), 'Fine');
    assert.equal(file(path), text);
    assert.equal(
      (await errorOf(f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ protocols: as([]) }]))).type,
      E + 'InvalidArgument',
    );
  });

  it('stores, reads, lists and deletes secrets without exposing values', async () => {
    const path = await add();
    const secret = testSecret();
    await f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['smtp', secret]);
    assert.deepEqual(await f.client.get(path, ACCOUNT, 'Credentials'), ['password', 'smtp']);
    assert.deepEqual(await f.client.call(path, ACCOUNT, 'GetSecret', 's', ['smtp']), [secret]);
    assert.ok(!file(path).includes(secret));
    assert.ok(
      !JSON.stringify(f.client.signals, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes(secret),
    );
    await f.client.call(path, ACCOUNT, 'DeleteSecret', 's', ['smtp']);
    assert.deepEqual(await f.client.get(path, ACCOUNT, 'Credentials'), ['password']);
    assert.equal((await errorOf(f.client.call(path, ACCOUNT, 'GetSecret', 's', ['smtp']))).type, E + 'NotFound');
    assert.equal((await errorOf(f.client.call(path, ACCOUNT, 'DeleteSecret', 's', ['smtp']))).type, E + 'NotFound');
    assert.equal(
      (await errorOf(f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['a b', secret]))).type,
      E + 'InvalidArgument',
    );
    assert.ok(!f.service.log().includes(secret));
  });

  it('stores secrets where secret-tool finds them', async () => {
    const path = await add();
    const secret = testSecret();
    await f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['imap', secret]);
    const { run } = await import('../harness/process.js');
    const r = await run(
      'secret-tool',
      ['lookup', 'service', 'org.pantherx.Accounts', 'username', `${idOf(path)}/imap`],
      f.session.env,
    );
    assert.equal(r.stdout, secret);
  });

  it('ReportStatus emits StatusChanged only on a change and stamps StatusTime', async () => {
    const path = await add();
    const mark = f.client.signals.length;
    const before = Date.now() * 1000;
    await f.client.call(path, ACCOUNT, 'ReportStatus', 'ss', ['online', 'synced']);
    await f.client.call(path, ACCOUNT, 'ReportStatus', 'ss', ['online', 'synced']);
    await f.client.call(path, ACCOUNT, 'ReportStatus', 'ss', ['error', 'sync failed']);
    await f.client.waitSignal(
      (x) => x.member === 'StatusChanged' && x.path === path && x.body[0] === 'error',
      3000,
      mark,
    );
    const changes = f.client.signals
      .slice(mark)
      .filter((x) => x.member === 'StatusChanged' && x.path === path)
      .map((x) => x.body);
    assert.deepEqual(changes, [
      ['online', 'synced'],
      ['error', 'sync failed'],
    ]);
    // PropertiesChanged names what moved, and nothing else
    const announced = f.client.signals
      .slice(mark)
      .filter((x) => x.member === 'PropertiesChanged' && x.path === path && x.body[0] === ACCOUNT)
      .map((x) => Object.keys(x.body[1] as object).sort());
    assert.deepEqual(announced, [
      ['Status', 'StatusMessage', 'StatusTime'],
      ['Status', 'StatusMessage', 'StatusTime'],
    ]);
    const props = await f.client.getAll(path, ACCOUNT);
    assert.equal(props.Status, 'error');
    assert.equal(props.StatusMessage, 'sync failed');
    assert.ok(Number(props.StatusTime) >= before && Number(props.StatusTime) <= Date.now() * 1000 + 1000);
    assert.equal(props.AttentionNeeded, false);
    assert.equal(
      (await errorOf(f.client.call(path, ACCOUNT, 'ReportStatus', 'ss', ['great', '']))).type,
      E + 'InvalidArgument',
    );
    assert.equal(
      (await errorOf(f.client.call(path, ACCOUNT, 'ReportStatus', 'ss', ['online', 'x'.repeat(2000)]))).type,
      E + 'InvalidArgument',
    );
    assert.ok(!file(path).includes('sync failed'), 'status is never written to the file');
  });

  it('Remove deletes the file and every secret, and the object disappears', async () => {
    const path = await add();
    await f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['carddav', testSecret()]);
    const mark = f.client.signals.length;
    await f.client.call(path, ACCOUNT, 'Remove');
    await f.client.waitSignal((x) => x.member === 'InterfacesRemoved' && x.body[0] === path, 3000, mark);
    assert.ok(!(path in (await f.client.managedObjects())));
    const { existsSync } = await import('node:fs');
    assert.ok(!existsSync(join(f.session.accountsDir, `${idOf(path)}.ini`)));
    const { run } = await import('../harness/process.js');
    for (const name of ['password', 'carddav']) {
      const r = await run(
        'secret-tool',
        ['lookup', 'service', 'org.pantherx.Accounts', 'username', `${idOf(path)}/${name}`],
        f.session.env,
      );
      assert.equal(r.stdout, '', `${name} was not deleted`);
    }
    assert.equal(
      (await errorOf(f.client.call(path, ACCOUNT, 'Remove'))).type,
      'org.freedesktop.DBus.Error.UnknownObject',
    );
  });

  it('GetManagedObjects lists every account with all its interfaces', async () => {
    const path = await add({ protocols: as(['carddav']) });
    const objects = await f.client.managedObjects();
    assert.deepEqual(Object.keys(objects[path] ?? {}).sort(), [ACCOUNT, 'org.pantherx.Accounts.CardDav']);
    assert.equal(objects[path]?.[ACCOUNT]?.Id?.value, idOf(path));
  });
});
