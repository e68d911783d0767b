/** The client library on its own: typed calls and errors, events, service restarts, timeouts. */
import { strict as assert } from 'node:assert';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AccountsClient,
  AccountsClientError,
  isAccountsClientError,
  type Account,
  type AccountsClientEvents,
} from '../../src/client/index.js';
import { run } from '../harness/process.js';
import { useCliService, useFakeService } from './helpers.js';
import { testSecret, uniqueUser } from '../harness/fixture.js';

type Event = {
  [K in keyof AccountsClientEvents]: { type: K; args: AccountsClientEvents[K] };
}[keyof AccountsClientEvents];

/** Records every event of a client, and waits for one. */
function recorder(client: AccountsClient) {
  const events: Event[] = [];
  let wake: (() => void) | undefined;
  const types = ['added', 'removed', 'changed', 'status', 'serviceStopped', 'serviceStarted', 'disconnected'] as const;
  for (const type of types) {
    (client.on as (t: string, l: (...a: unknown[]) => void) => void)(type, (...args: unknown[]) => {
      events.push({ type, args } as Event);
      wake?.();
    });
  }
  return {
    events,
    async wait(pred: (e: Event) => boolean, timeoutMs = 5000, from = 0): Promise<Event> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.slice(from).find(pred);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`event not seen; got ${events.map((e) => e.type).join(', ')}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, 50);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    },
  };
}

const errorOf = async (p: Promise<unknown>): Promise<AccountsClientError> => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AccountsClientError, String(err));
    return err;
  }
  throw new Error('expected a failure');
};

describe('client library: calls and typed errors', () => {
  const f = useCliService();

  it('adds, gets, lists, updates and removes accounts with typed results', async () => {
    const user = uniqueUser('lib');
    const a = await f.accounts.addAccount({
      provider: 'fastmail',
      account: user,
      password: testSecret(),
      name: 'Library',
      protocols: ['imap', 'smtp'],
      settings: { imap: { port: 1993 } },
    });
    assert.equal(a.id, `fastmail_${user.replace('@', '_at_').replace(/[^a-z0-9]/g, '_')}`);
    assert.equal(a.path, `/org/pantherx/Accounts/account/${a.id}`);
    assert.equal(a.name, 'Library');
    assert.equal(a.providerName, 'FastMail');
    assert.deepEqual(a.protocols, ['imap', 'smtp']);
    assert.equal(a.status, 'none');
    assert.equal(a.statusTime, 0n);
    assert.equal(a.attentionNeeded, false);
    assert.deepEqual(a.credentials, ['password']);
    assert.deepEqual(a.settings.imap, {
      host: 'imap.fastmail.com',
      port: 1993,
      security: 'tls',
      username: user,
      path: '',
      ca: '',
    });
    assert.deepEqual(a.settings.smtp, {
      host: 'smtp.fastmail.com',
      port: 465,
      security: 'tls',
      username: user,
      ca: '',
    });
    assert.deepEqual(await f.accounts.getAccount(a.path), a, 'by path');
    assert.deepEqual(
      (await f.accounts.listAccounts()).find((x) => x.id === a.id),
      a,
    );
    const updated = await f.accounts.updateAccount(a.id, {
      protocols: ['imap', 'caldav'],
      settings: { imap: { security: 'starttls', port: 143 } },
    });
    assert.deepEqual(updated.protocols, ['imap', 'caldav']);
    assert.equal(updated.settings.imap!.port, 143);
    assert.equal(updated.settings.caldav!.url, 'https://caldav.fastmail.com/');
    assert.equal((await f.accounts.renameAccount(a.id, 'Renamed')).name, 'Renamed');
    await f.accounts.reportStatus(a.id, 'online', 'synced');
    const online = await f.accounts.getAccount(a.id);
    assert.equal(online.status, 'online');
    assert.equal(typeof online.statusTime, 'bigint');
    assert.ok(online.statusTime > 0n);
    await f.accounts.removeAccount(a.id);
    assert.equal((await errorOf(f.accounts.getAccount(a.id))).kind, 'NotFound');
  });

  it('reads a setting with an underscore key (btc gap_limit) and writes it back by its field or its key', async () => {
    const [btc] = (await f.accounts.listProtocols()).filter((p) => p.id === 'btc');
    const gap = btc!.settings.find((s) => s.key === 'gap_limit')!;
    assert.deepEqual([gap.property, gap.field], ['GapLimit', 'gapLimit']);
    // BIP-173's address, its backend a closed port on loopback: nothing leaves the machine.
    const a = await f.accounts.addAccount({
      provider: 'btc',
      account: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      settings: { btc: { url: 'http://127.0.0.1:9/', gapLimit: 25, scriptType: 'p2tr' } },
    });
    const read = a.settings.btc!;
    assert.equal(read.gapLimit, 25);
    assert.equal(read.scriptType, 'p2tr');
    // What was read goes back under the same names (the client sends btc.gap_limit, not btc.gaplimit).
    let b = await f.accounts.updateAccount(a.id, {
      settings: { btc: { gapLimit: Number(read.gapLimit) + 5, scriptType: read.scriptType } },
    });
    assert.equal(b.settings.btc!.gapLimit, 30);
    assert.equal(b.settings.btc!.scriptType, 'p2tr');
    // By the field ListProtocols gives, and by the key itself.
    b = await f.accounts.updateAccount(a.id, { settings: { btc: { [gap.field]: 31 } } });
    assert.equal(b.settings.btc!.gapLimit, 31);
    b = await f.accounts.updateAccount(a.id, { settings: { btc: { gap_limit: 32 } } });
    assert.equal(b.settings.btc!.gapLimit, 32);
    assert.match(readFileSync(join(f.session.accountsDir, `${a.id}.ini`), 'utf8'), /^gap_limit = 32$/m);
    // Both names at once is one setting given twice: refused before anything is sent.
    const twice = await errorOf(f.accounts.updateAccount(a.id, { settings: { btc: { gapLimit: 33, gap_limit: 34 } } }));
    assert.equal(twice.kind, 'InvalidArgument');
    assert.match(twice.message, /btc\.gap_limit is given twice/);
    assert.equal((await f.accounts.getAccount(a.id)).settings.btc!.gapLimit, 32);
    await f.accounts.removeAccount(a.id);
  });

  it('sets, gets and deletes secrets', async () => {
    const a = await f.accounts.addAccount({
      provider: 'sftp',
      account: uniqueUser('sec'),
      settings: { sftp: { host: '127.0.0.1', port: 2222 } },
    });
    assert.deepEqual(a.credentials, []);
    const value = testSecret();
    await f.accounts.setSecret(a.id, 'password', value);
    assert.equal(await f.accounts.getSecret(a.id, 'password'), value);
    await f.accounts.deleteSecret(a.id, 'password');
    const err = await errorOf(f.accounts.getSecret(a.id, 'password'));
    assert.equal(err.kind, 'NotFound');
    assert.equal(err.dbusName, 'org.pantherx.Accounts.Error.NotFound');
  });

  it('lists providers with their servers', async () => {
    const providers = await f.accounts.listProviders();
    const google = providers.find((p) => p.id === 'google')!;
    assert.equal(google.name, 'Google');
    assert.equal(google.domain, 'gmail.com');
    assert.equal(google.servers.imap!.host, 'imap.gmail.com');
    assert.equal(google.servers.imap!.port, 993);
  });

  it('maps every service error to a kind', async () => {
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => f.accounts.addAccount({ provider: 'nosuch', account: 'x@example.org' }), 'UnknownProvider'],
      [() => f.accounts.addAccount({ provider: 'imap', account: 'x@example.org' }), 'InvalidArgument'],
      [
        () => f.accounts.addAccount({ provider: 'fastmail', account: uniqueUser(), protocols: ['gopher'] }),
        'UnsupportedProtocol',
      ],
      [() => f.accounts.getAccount('nosuch'), 'NotFound'],
      [() => f.accounts.getAccount('not an id'), 'NotFound'],
      [() => f.accounts.reportStatus('nosuch', 'online'), 'NotFound'],
      [
        () =>
          f.accounts.addAccount({
            provider: 'imap',
            account: uniqueUser(),
            settings: { imap: { host: '127.0.0.1', port: 70000 } },
          }),
        'InvalidArgument',
      ],
    ];
    for (const [p, kind] of cases) {
      const err = await errorOf(p());
      assert.equal(err.kind, kind, err.message);
      assert.ok(isAccountsClientError(err, err.kind));
    }
    const user = uniqueUser();
    await f.accounts.addAccount({ provider: 'gandi', account: user });
    assert.equal((await errorOf(f.accounts.addAccount({ provider: 'gandi', account: user }))).kind, 'Duplicate');
  });

  it('every call has a timeout, overridable per call and per client', async () => {
    const pid = f.service.pid;
    process.kill(pid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      const err = await errorOf(f.accounts.listAccounts({ timeoutMs: 300 }));
      assert.equal(err.kind, 'Timeout');
      assert.ok(Date.now() - t0 < 2000);
      const quick = await AccountsClient.connect({ busAddress: f.session.address, timeoutMs: 200 });
      assert.equal((await errorOf(quick.listProviders())).kind, 'Timeout');
      quick.close();
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // The answers that come late are dropped; the client keeps working.
    assert.ok(Array.isArray(await f.accounts.listAccounts()));
  });
});

describe('client library: connecting', () => {
  const fake = useFakeService();

  it('ServiceUnreachable without a bus, Timeout-free and synchronous-throw-free', async () => {
    const err = await errorOf(AccountsClient.connect({ busAddress: 'unix:path=/nonexistent/px-accounts-test-socket' }));
    assert.equal(err.kind, 'ServiceUnreachable');
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    const savedRuntime = process.env.XDG_RUNTIME_DIR;
    delete process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.XDG_RUNTIME_DIR = '/nonexistent';
    try {
      const none = await errorOf(AccountsClient.connect());
      assert.equal(none.kind, 'ServiceUnreachable');
      assert.match(none.message, /DBUS_SESSION_BUS_ADDRESS is not set/);
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
      if (savedRuntime === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = savedRuntime;
    }
  });

  it('maps verification results from the a{sv} of variants', async () => {
    const client = await AccountsClient.connect({ busAddress: fake.session.address });
    try {
      assert.deepEqual(await client.verify('fake_bad'), {
        imap: { ok: true, code: 'Ok', message: 'logged in' },
        smtp: { ok: false, code: 'Unauthorized', message: '535 authentication failed' },
      });
      assert.equal((await errorOf(client.verify('fake_io'))).kind, 'Io');
      assert.equal((await errorOf(client.verify('fake_unsupported'))).kind, 'UnsupportedProtocol');
      assert.equal((await errorOf(client.verify('fake_denied'))).kind, 'AccessDenied');
      assert.equal(
        (await errorOf(client.addAccount({ provider: 'fastmail', account: 'v@example.org', verify: true }))).kind,
        'VerificationFailed',
      );
    } finally {
      client.close();
    }
  });
});

describe('client library: events', () => {
  const f = useCliService();
  let client: AccountsClient;
  let writer: AccountsClient;
  let rec: ReturnType<typeof recorder>;
  let initial: Account[];
  let first: Account;
  before(async () => {
    writer = await AccountsClient.connect({ busAddress: f.session.address });
    first = await writer.addAccount({ provider: 'yahoo', account: uniqueUser('pre'), password: testSecret() });
    client = await AccountsClient.connect({ busAddress: f.session.address });
    rec = recorder(client);
    initial = await client.watch();
  });
  after(() => {
    client?.close();
    writer?.close();
  });

  it('loads the initial state once', async () => {
    assert.deepEqual(
      initial.map((a) => a.id),
      [first.id],
    );
    assert.deepEqual(client.accounts, initial);
    assert.deepEqual(client.account(first.id), first);
    assert.equal(await client.watch(), initial, 'watch() twice is the same watch');
  });

  it('emits added, changed (with the fields), status and removed as they happen', async () => {
    const mark = rec.events.length;
    const a = await writer.addAccount({
      provider: 'imap',
      account: uniqueUser('ev'),
      settings: { imap: { host: '127.0.0.1' } },
    });
    const added = await rec.wait((e) => e.type === 'added' && e.args[0].id === a.id, 5000, mark);
    assert.deepEqual(added.args[0], a);
    await writer.updateAccount(a.id, {
      name: 'Evented',
      protocols: ['imap', 'smtp'],
      settings: { smtp: { host: '127.0.0.1' }, imap: { port: 1143 } },
    });
    await rec.wait(
      (e) => e.type === 'changed' && e.args[0].name === 'Evented' && e.args[0].settings.imap?.port === 1143,
      5000,
      mark,
    );
    const fields = new Set(
      rec.events
        .slice(mark)
        .filter((e) => e.type === 'changed')
        .flatMap((e) => e.args[1] as string[]),
    );
    for (const field of ['name', 'protocols', 'settings.smtp', 'settings.imap.port'])
      assert.ok(fields.has(field), [...fields].join());
    assert.deepEqual(client.account(a.id)!.protocols, ['imap', 'smtp']);
    // A status report from someone else (busctl), seen as a status event.
    const r = await run(
      'busctl',
      [
        '--user',
        'call',
        'org.pantherx.Accounts',
        a.path,
        'org.pantherx.Accounts.Account',
        'ReportStatus',
        'ss',
        'error',
        'sync failed',
      ],
      f.session.env,
    );
    assert.equal(r.code, 0, r.stderr);
    const status = await rec.wait((e) => e.type === 'status', 5000, mark);
    assert.deepEqual(status.args.slice(1), ['error', 'sync failed']);
    assert.equal((status.args[0] as Account).status, 'error');
    assert.ok((status.args[0] as Account).statusTime > 0n);
    await writer.removeAccount(a.id);
    const removed = await rec.wait((e) => e.type === 'removed', 5000, mark);
    assert.equal((removed.args[0] as Account).name, 'Evented');
    assert.equal(client.account(a.id), undefined);
  });

  it('a hand-edited file shows up as a change', async () => {
    const mark = rec.events.length;
    const file = join(f.session.accountsDir, `${first.id}.ini`);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^name = .*$/m, 'name = Edited by hand'));
    const e = await rec.wait((x) => x.type === 'changed', 5000, mark);
    assert.deepEqual(e.args[1], ['name']);
    assert.equal(client.account(first.id)!.name, 'Edited by hand');
  });
});

describe('client library: service restart', () => {
  const f = useCliService();
  let client: AccountsClient;
  let rec: ReturnType<typeof recorder>;

  it('re-syncs when a new instance starts: emits removed, added and status differences, then keeps emitting', async function () {
    this.timeout(30000);
    const writer = await AccountsClient.connect({ busAddress: f.session.address });
    const kept = await writer.addAccount({
      provider: 'imap',
      account: 'kept@example.org',
      settings: { imap: { host: '127.0.0.1' } },
    });
    const gone = await writer.addAccount({
      provider: 'imap',
      account: 'gone@example.org',
      settings: { imap: { host: '127.0.0.1' } },
    });
    await writer.reportStatus(kept.id, 'online', 'synced');
    writer.close();

    client = await AccountsClient.connect({ busAddress: f.session.address });
    f.onStop(() => client.close());
    rec = recorder(client);
    assert.deepEqual(
      (await client.watch()).map((a) => a.id),
      [gone.id, kept.id],
    );

    await f.stopService();
    await rec.wait((e) => e.type === 'serviceStopped');
    assert.equal(client.accounts.length, 2, 'the last known accounts stay while the service is away');
    // While it is down, the files change by hand: one account goes, one comes.
    unlinkSync(join(f.session.accountsDir, `${gone.id}.ini`));
    writeFileSync(
      join(f.session.accountsDir, 'imap_new_at_example_org.ini'),
      '[account]\nname = New by hand\nprovider = imap\nusername = new@example.org\nprotocols = imap\n\n[imap]\nhost = 127.0.0.1\nport = 993\nsecurity = tls\n',
    );
    const mark = rec.events.length;

    await f.startService();
    await rec.wait((e) => e.type === 'serviceStarted', 10000, mark);
    const after = rec.events.slice(mark);
    const removed = after.filter((e) => e.type === 'removed').map((e) => e.args[0].id);
    const added = after.filter((e) => e.type === 'added').map((e) => e.args[0].id);
    assert.deepEqual(removed, [gone.id]);
    assert.deepEqual(added, ['imap_new_at_example_org']);
    // Status is runtime state: the new instance starts at none, and the client says so.
    const status = after.find((e) => e.type === 'status');
    assert.ok(status, after.map((e) => e.type).join());
    assert.equal(status.args[0].id, kept.id);
    assert.deepEqual(status.args.slice(1), ['none', '']);
    assert.deepEqual(
      client.accounts.map((a) => a.id),
      ['imap_kept_at_example_org', 'imap_new_at_example_org'],
    );

    // And events keep flowing from the new instance.
    const later = rec.events.length;
    const r = await run(
      'busctl',
      [
        '--user',
        'call',
        'org.pantherx.Accounts',
        '/org/pantherx/Accounts/account/imap_new_at_example_org',
        'org.pantherx.Accounts.Account',
        'ReportStatus',
        'ss',
        'online',
        'hello',
      ],
      f.session.env,
    );
    assert.equal(r.code, 0, r.stderr);
    const s = await rec.wait((e) => e.type === 'status', 5000, later);
    assert.equal((s.args[0] as Account).id, 'imap_new_at_example_org');
  });

  it('emits disconnected when the bus goes away, and later calls fail with ServiceUnreachable', async () => {
    const mark = rec.events.length;
    process.kill(f.session.busPid, 'SIGTERM');
    await rec.wait((e) => e.type === 'disconnected', 5000, mark);
    assert.equal(client.disconnected, true);
    assert.equal((await errorOf(client.listAccounts())).kind, 'ServiceUnreachable');
  });
});
