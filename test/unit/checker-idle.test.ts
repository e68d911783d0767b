/** When the queue of checks (src/verify/checker.ts) says it is idle: attention notices wait for it. */
import { strict as assert } from 'node:assert';
import { Checker } from '../../src/verify/checker.js';

const settle = () => new Promise((r) => setImmediate(r));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the check queue tells when it is idle', () => {
  it("after a sweep's last check, also when an app's check took the slot that would have ended it", async () => {
    const checks = new Map<string, ReturnType<typeof deferred>>();
    const checker = new Checker(
      async (id) => {
        const d = deferred();
        checks.set(id, d);
        await d.promise;
        return { results: {}, ok: true };
      },
      { concurrency: 1, retry: false, firstRetryMs: 1000, maxRetryMs: 1000 },
    );
    let idle = 0;
    checker.onIdle(() => idle++);
    checker.sweep(['a'], () => true);
    assert.equal(checker.busy, true);
    const app = deferred();
    const ran = checker.run('app', () => app.promise); // queued ahead of the sweep's next account
    checks.get('a')!.resolve();
    await settle();
    assert.deepEqual([checker.busy, idle], [true, 0], "the app's check runs; the sweep has not seen its end yet");
    app.resolve();
    await ran;
    await settle();
    assert.deepEqual([checker.busy, idle], [false, 1]);
  });
});
