/** px-accounts and Cozy's fields: add/edit --parent, mute and unmute, and show / --json with Parent, Muted and Data. */
import { strict as assert } from 'node:assert';
import { run } from '../harness/process.js';
import { CODE, errorLine, json, useCliService } from './helpers.js';
import { testSecret, uniqueUser } from '../harness/fixture.js';
import type { AccountJson } from '../../src/client/json.js';

const idOf = (user: string, provider: string) => `${provider}_${user.replace('@', '_at_').replace(/[^a-z0-9]/g, '_')}`;

describe("px-accounts: parent, mute/unmute, apps' data", () => {
  const f = useCliService();
  let proxy: string;

  before(async () => {
    const user = uniqueUser('proxy');
    const r = await f.run(
      [
        'add',
        '-protocol',
        'proxy',
        '-account',
        user,
        '-server',
        '127.0.0.1',
        '-port',
        '1080',
        '--set',
        'proxy.type=socks5',
        '-name',
        'Office proxy',
        '--password-stdin',
      ],
      testSecret(),
    );
    assert.equal(r.code, CODE.OK, r.stderr);
    proxy = idOf(user, 'proxy');
  });

  it('add --parent, show prints it, edit --parent "" clears it; a parent that cannot be one is a usage error naming it', async () => {
    const user = uniqueUser();
    const added = await f.run(
      [
        'add',
        '-protocol',
        'imap',
        '-account',
        user,
        '-server',
        '127.0.0.1',
        '--parent',
        proxy,
        '--password-stdin',
        '--json',
      ],
      testSecret(),
    );
    assert.equal(added.code, CODE.OK, added.stderr);
    const id = idOf(user, 'imap');
    assert.equal(json<AccountJson>(added).parent, proxy);
    assert.match((await f.run(['show', id])).stdout, new RegExp(`^Parent: +${proxy}$`, 'm'));

    const cleared = await f.run(['edit', id, '--parent', '', '--json']);
    assert.equal(cleared.code, CODE.OK, cleared.stderr);
    assert.equal(json<AccountJson>(cleared).parent, '');
    assert.doesNotMatch((await f.run(['show', id])).stdout, /^Parent:/m);

    const edited = await f.run(['edit', id, '-parent', proxy]);
    assert.equal(edited.code, CODE.OK, edited.stderr);
    const bad = await f.run(['edit', id, '--parent', id]);
    assert.equal(bad.code, CODE.INVALID);
    assert.match(errorLine(bad), /own parent/);
    const ftp = await f.run(
      [
        'add',
        '-protocol',
        'ftp',
        '-account',
        uniqueUser('ftp'),
        '-server',
        '127.0.0.1',
        '--parent',
        proxy,
        '--password-stdin',
      ],
      testSecret(),
    );
    assert.equal(ftp.code, CODE.UNSUPPORTED);
    assert.match(errorLine(ftp), /FTP checks cannot go through a proxy/);
    const removing = await f.run(['remove', proxy]);
    assert.equal(removing.code, CODE.INVALID);
    assert.match(errorLine(removing), new RegExp(`parent of ${id}`));
    assert.equal((await f.run(['remove', id])).code, CODE.OK);
  });

  it('mute and unmute: the account says which kinds are muted; a code that is none is refused', async () => {
    const user = uniqueUser();
    assert.equal(
      (
        await f.run(
          ['add', '-protocol', 'imap', '-account', user, '-server', '127.0.0.1', '--password-stdin'],
          testSecret(),
        )
      ).code,
      CODE.OK,
    );
    const id = idOf(user, 'imap');
    const muted = await f.run(['mute', id, 'Unauthorized']);
    assert.equal(muted.code, CODE.OK, muted.stderr);
    assert.equal(muted.stdout.trim(), `Muted Unauthorized for ${id}`);
    assert.deepEqual(json<AccountJson>(await f.run(['mute', id, 'TlsUntrusted', '--json'])).mutedErrors, [
      'Unauthorized',
      'TlsUntrusted',
    ]);
    assert.match((await f.run(['show', id])).stdout, /^Muted: +Unauthorized, TlsUntrusted$/m);
    const unmuted = await f.run(['unmute', id, 'Unauthorized']);
    assert.equal(unmuted.stdout.trim(), `Unmuted Unauthorized for ${id}`);
    const bad = await f.run(['mute', id, 'Wrong']);
    assert.equal(bad.code, CODE.INVALID);
    assert.match(errorLine(bad), /code must be one of Unauthorized, /);
    assert.deepEqual(json<AccountJson>(await f.run(['show', id, '--json'])).mutedErrors, ['TlsUntrusted']);
  });

  it("show prints apps' data, each key with the app that wrote it (gdbus here)", async () => {
    const user = uniqueUser();
    assert.equal(
      (
        await f.run(
          ['add', '-protocol', 'imap', '-account', user, '-server', '127.0.0.1', '--password-stdin'],
          testSecret(),
        )
      ).code,
      CODE.OK,
    );
    const id = idOf(user, 'imap');
    const r = await run(
      '/usr/bin/gdbus',
      [
        'call',
        '--session',
        '--dest',
        'org.pantherx.Accounts',
        '--object-path',
        `/org/pantherx/Accounts/account/${id}`,
        '--method',
        'org.pantherx.Accounts.Account.SetData',
        'last_sync',
        '2026-12-05T12:00:00Z',
      ],
      f.session.env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match((await f.run(['show', id])).stdout, /^Data: +\/usr\/bin\/gdbus:last_sync = 2026-12-05T12:00:00Z$/m);
    assert.deepEqual(json<AccountJson>(await f.run(['show', id, '--json'])).data, {
      '/usr/bin/gdbus:last_sync': '2026-12-05T12:00:00Z',
    });
  });
});
