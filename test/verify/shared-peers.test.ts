/**
 * The run's real servers are shared by every suite (harness/fixture.ts): a suite that stopped
 * them once took 164 tests of later suites down with it. Their stop refuses, and they stay up.
 */
import { strict as assert } from 'node:assert';
import { alive } from '../harness/process.js';
import { peers } from './fixture.js';

describe('the shared peers', function () {
  this.timeout(90_000);

  it('cannot be stopped by a suite, and keep running', async () => {
    const p = await peers();
    assert.throws(() => void p.stop(), /shared peers are the run’s/);
    const pids = Object.entries(p.pids);
    assert.ok(pids.length > 0, 'the shared peers run processes');
    for (const [name, pid] of pids) assert.ok(alive(pid), `${name} (pid ${pid}) still runs`);
    assert.equal(await peers(), p, 'one set per run');
  });
});
