/**
 * A live account whose file turns unparsable keeps its object for a short grace (an editor
 * writing in place), then loses it. The grace is ended by its timer, on a mock clock here:
 * Date.now() does not move, as it may lag the timer's own clock in a real run (CI once kept
 * a broken file's object for good that way).
 */
import { strict as assert } from 'node:assert';
import { mock } from 'node:test';
import { AccountIndex } from '../../src/accounts/account-index.js';
import { BUILTIN_PROVIDER_DIR, Catalogue } from '../../src/providers/catalogue.js';
import { parseAccountFile } from '../../src/store/account-file.js';
import type { AccountStore, ReadResult } from '../../src/store/account-store.js';

const catalogue = Catalogue.load([BUILTIN_PROVIDER_DIR]);
const GOOD = '[account]\nprovider = yahoo\nusername = fix@example.org\nprotocols = imap\n';
const settle = () => new Promise((r) => setImmediate(r));

function world() {
  let onDisk: ReadResult = { kind: 'ok', file: parseAccountFile('fix_me', GOOD, catalogue) };
  const store = {
    read: () => Promise.resolve(onDisk),
    pathOf: (id: string) => `/accounts/${id}.ini`,
    occupied: () => true,
  } as unknown as AccountStore;
  const index = new AccountIndex({ store, catalogue });
  const removed: string[] = [];
  index.events.on('removed', (id) => removed.push(id));
  return {
    index,
    removed,
    good: () => (onDisk = { kind: 'ok', file: parseAccountFile('fix_me', GOOD, catalogue) }),
    broken: () => (onDisk = { kind: 'invalid', reason: '[imap] port must be a port number' }),
  };
}

describe('a broken account file and its grace', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('drops the object when the grace ends, whatever Date.now() says', async () => {
    const w = world();
    await w.index.reload('fix_me');
    assert.ok(w.index.get('fix_me'));
    w.broken();
    await w.index.reload('fix_me');
    await w.index.reload('fix_me'); // the watcher's trailing re-read, inside the grace
    assert.ok(w.index.get('fix_me'), 'kept during the grace');
    mock.timers.tick(150);
    await settle();
    await w.index.lock.run('fix_me', () => Promise.resolve());
    assert.deepEqual(w.removed, ['fix_me']);
    assert.equal(w.index.get('fix_me'), undefined);
  });

  it('keeps the object when the file is fixed within the grace, and a new break gets a whole grace', async () => {
    const w = world();
    await w.index.reload('fix_me');
    w.broken();
    await w.index.reload('fix_me');
    mock.timers.tick(100);
    w.good();
    await w.index.reload('fix_me');
    w.broken();
    await w.index.reload('fix_me');
    mock.timers.tick(100); // the first grace would be over now
    await settle();
    await w.index.lock.run('fix_me', () => Promise.resolve());
    assert.deepEqual(w.removed, [], 'the second break is still in its grace');
    mock.timers.tick(50);
    await settle();
    await w.index.lock.run('fix_me', () => Promise.resolve());
    assert.deepEqual(w.removed, ['fix_me']);
  });

  it('ends with the service: a grace pending at stop drops nothing, and no new one starts', async () => {
    const w = world();
    await w.index.reload('fix_me');
    w.broken();
    await w.index.reload('fix_me');
    w.index.stopReloading();
    mock.timers.tick(150);
    await settle();
    await w.index.reload('fix_me');
    mock.timers.tick(150);
    await settle();
    await w.index.lock.run('fix_me', () => Promise.resolve());
    assert.deepEqual(w.removed, []);
    assert.ok(w.index.get('fix_me'));
  });
});
