/** px-accounts watch: one line per event as it happens, for status widgets and scripts. */
import { strict as assert } from 'node:assert';
import { run } from '../harness/process.js';
import { CODE, LineReader, json, useCliService } from './helpers.js';
import { testSecret, uniqueUser } from '../harness/fixture.js';
import type { AccountJson } from '../../src/cli/format.js';

/** One line of `watch --json` (docs/cli.md); what a test reads of it. */
interface WatchEvent {
  event: string;
  id: string;
  initial?: boolean;
  status?: string;
  message?: string;
  time: number;
  fields: string[];
  account: AccountJson;
}
const parseEvent = (line: string) => JSON.parse(line) as WatchEvent;

/** A --json line's event, or '' for another line. */
const eventOf = (line: string): string => {
  try {
    return parseEvent(line).event ?? '';
  } catch {
    return '';
  }
};

const busctlReport = (env: NodeJS.ProcessEnv, id: string, status: string, message: string) =>
  run(
    'busctl',
    [
      '--user',
      'call',
      'org.pantherx.Accounts',
      `/org/pantherx/Accounts/account/${id}`,
      'org.pantherx.Accounts.Account',
      'ReportStatus',
      'ss',
      status,
      message,
    ],
    env,
  );

describe('px-accounts watch', () => {
  const f = useCliService();
  const watchers: LineReader[] = [];
  const watch = async (args: string[]) => {
    const w = LineReader.start(f.session.env, ['watch', ...args]);
    watchers.push(w);
    await w.waitLine((l) => l.startsWith('px-accounts: watching'), 10000, 0, 'stderr');
    return w;
  };
  afterEach(async () => {
    for (const w of watchers.splice(0)) await w.stop();
  });

  it('prints a status report made with busctl (human form)', async () => {
    const user = uniqueUser('watch');
    assert.equal(
      (
        await f.run(
          ['add', '-protocol', 'sftp', '-account', user, '-server', '127.0.0.1', '--password-stdin'],
          testSecret(),
        )
      ).code,
      CODE.OK,
    );
    const id = `sftp_${user.replace('@', '_at_').replace(/[^a-z0-9]/g, '_')}`;
    const w = await watch([]);
    const r = await busctlReport(f.session.env, id, 'online', 'synced 3 folders');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await w.waitLine((l) => l.startsWith('status ')), `status ${id} online "synced 3 folders"`);
    await busctlReport(f.session.env, id, 'offline', '');
    assert.equal(await w.waitLine((l) => l.startsWith(`status ${id} offline`)), `status ${id} offline`);
    assert.ok(
      w.lines.some((l) => l === `changed ${id} status,statusMessage,statusTime`),
      w.lines.join('\n'),
    );
  });

  it('--json: one JSON object per line for added, changed, status and removed', async () => {
    const w = await watch(['--json']);
    const user = uniqueUser('json');
    const added = await f.run(['add', '-protocol', 'imap', '-account', user, '-server', '127.0.0.1', '--json'], '');
    const id = json<AccountJson>(added).id;
    const addedLine = parseEvent(await w.waitLine((l) => eventOf(l) === 'added'));
    assert.equal(addedLine.event, 'added');
    assert.equal(addedLine.id, id);
    assert.equal(addedLine.account.username, user);
    assert.equal(addedLine.initial, undefined);
    await busctlReport(f.session.env, id, 'error', 'sync failed');
    const status = parseEvent(await w.waitLine((l) => eventOf(l) === 'status' && l.includes(id)));
    assert.deepEqual(Object.keys(status), ['event', 'id', 'status', 'message', 'time', 'attentionNeeded']);
    assert.equal(status.status, 'error');
    assert.equal(status.message, 'sync failed');
    assert.ok(status.time > 0);
    const mark = w.lines.length;
    await f.run(['edit', id, '--name', 'Watched', '--enable', 'smtp', '--server', '127.0.0.1']);
    await w.waitLine((l) => eventOf(l) === 'changed' && parseEvent(l).fields.includes('protocols'), 5000, mark);
    await w.waitLine((l) => eventOf(l) === 'changed' && parseEvent(l).fields.includes('name'), 5000, mark);
    const changes = w.lines
      .slice(mark)
      .map((l) => parseEvent(l))
      .filter((e) => e.event === 'changed');
    const fields = new Set(changes.flatMap((c) => c.fields));
    for (const field of ['name', 'protocols', 'settings.smtp']) assert.ok(fields.has(field), [...fields].join());
    assert.equal(changes.at(-1)?.account.name, 'Watched');
    await f.run(['remove', id]);
    const removed = parseEvent(await w.waitLine((l) => eventOf(l) === 'removed'));
    assert.deepEqual([removed.event, removed.id, removed.account.name], ['removed', id, 'Watched']);
    for (const line of w.lines) parseEvent(line); // every line is one JSON object
  });

  it('watch ID --initial: only that account, starting with its current state', async () => {
    const users = [uniqueUser('one'), uniqueUser('two')];
    const ids: string[] = [];
    for (const u of users)
      ids.push(
        json<AccountJson>(
          await f.run(['add', '-protocol', 'sftp', '-account', u, '-server', '127.0.0.1', '--json'], ''),
        ).id,
      );
    const w = await watch([ids[0]!, '--initial', '--json']);
    const first = parseEvent(await w.waitLine(() => true));
    assert.deepEqual([first.event, first.id, first.initial], ['added', ids[0], true]);
    await busctlReport(f.session.env, ids[1]!, 'online', 'other');
    await busctlReport(f.session.env, ids[0]!, 'online', 'mine');
    const s = parseEvent(await w.waitLine((l) => eventOf(l) === 'status'));
    assert.equal(s.id, ids[0]);
    assert.ok(!w.lines.some((l) => l.includes(ids[1]!)), 'events of other accounts are filtered out');
  });

  it('reports the service stopping and a new instance starting, and keeps going', async () => {
    const id = json<AccountJson>(
      await f.run(
        ['add', '-protocol', 'sftp', '-account', uniqueUser('restart'), '-server', '127.0.0.1', '--json'],
        '',
      ),
    ).id;
    const w = await watch([]);
    await f.stopService();
    await w.waitLine((l) => l === 'service stopped');
    await f.startService();
    await w.waitLine((l) => l === 'service started');
    await busctlReport(f.session.env, id, 'online', 'after restart');
    assert.equal(await w.waitLine((l) => l.startsWith(`status ${id}`)), `status ${id} online "after restart"`);
  });

  it('ends with exit 0 on SIGTERM', async () => {
    const w = await watch([]);
    watchers.pop();
    assert.equal(await w.stop(), 0);
  });
});

describe('px-accounts watch: the bus goes away', () => {
  const f = useCliService();

  it('exits 7 with one line saying so', async () => {
    const w = LineReader.start(f.session.env, ['watch', '--json']);
    await w.waitLine((l) => l.startsWith('px-accounts: watching'), 10000, 0, 'stderr');
    process.kill(f.session.busPid, 'SIGTERM');
    assert.equal(await w.exited, CODE.UNREACHABLE);
    assert.match(w.errLines.at(-1)!, /^px-accounts: lost the session bus: .* — is px-accounts-service installed/);
  });
});
