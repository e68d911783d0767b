/** yargs's own messages go through our catalogues (src/cli/yargs-strings.ts): every one of them, in its shape. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { yargsStrings } from '../../src/cli/yargs-strings.js';
import { ROOT } from '../harness/session.js';

describe("yargs's strings", () => {
  it('cover every key of yargs/locales/en.json, plural ones as { one, other }', () => {
    const english = JSON.parse(
      readFileSync(join(ROOT, 'node_modules', 'yargs', 'locales', 'en.json'), 'utf8'),
    ) as Record<string, unknown>;
    const ours = yargsStrings();
    assert.deepEqual(
      Object.keys(ours).sort(),
      Object.keys(english).sort(),
      'a yargs upgrade changed its messages: update src/cli/yargs-strings.ts',
    );
    for (const [key, value] of Object.entries(english)) {
      assert.equal(typeof ours[key], typeof value, key);
    }
    // Under C they are yargs's English itself (the catalogue is not read).
    const implications = ours['Implications failed:'];
    assert.equal(implications, english['Implications failed:']);
    assert.deepEqual(ours['Unknown argument: %s'], english['Unknown argument: %s']);
  });
});
