/**
 * util/atomic-write: a file is replaced, never written through a link that stands in its place,
 * and a failed write leaves neither a temporary file nor a changed file behind.
 */
import { strict as assert } from 'node:assert';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempPathOf, writeFileNoFollow } from '../../src/util/atomic-write.js';

describe('util/atomic-write', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pxa-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a new file, mode 0600 whatever the umask, and leaves no temporary file', async () => {
    const file = join(dir, 'state.json');
    await writeFileNoFollow(file, '{"a":1}');
    assert.equal(readFileSync(file, 'utf8'), '{"a":1}');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await writeFileNoFollow(file, 'second', { mode: 0o640, durable: true });
    assert.equal(readFileSync(file, 'utf8'), 'second');
    assert.equal(statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir), ['state.json']);
  });

  it("replaces a link that stands where the file is; the link's target keeps its content and mode", async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'precious', { mode: 0o644 });
    const file = join(dir, 'access.json');
    symlinkSync(target, file);
    await writeFileNoFollow(file, 'new');
    assert.equal(readFileSync(target, 'utf8'), 'precious');
    assert.equal(statSync(target).mode & 0o777, 0o644);
    assert.ok(lstatSync(file).isFile());
    assert.equal(readFileSync(file, 'utf8'), 'new');
    // A dangling link: its target is not created.
    const dangling = join(dir, 'wallet.json');
    symlinkSync(join(dir, 'nowhere'), dangling);
    await writeFileNoFollow(dangling, 'x');
    assert.ok(!existsSync(join(dir, 'nowhere')));
    assert.ok(lstatSync(dangling).isFile());
  });

  it('on failure removes its temporary file and leaves what was there', async () => {
    const occupied = join(dir, 'a-directory');
    mkdirSync(occupied);
    await assert.rejects(writeFileNoFollow(occupied, 'x'));
    assert.ok(statSync(occupied).isDirectory());
    assert.deepEqual(readdirSync(dir), ['a-directory']);
  });

  it('runs writes to one file in call order: the last one wins', async () => {
    const file = join(dir, 'order');
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileNoFollow(file, String(i))));
    assert.equal(readFileSync(file, 'utf8'), '19');
    assert.deepEqual(readdirSync(dir), ['order']);
  });

  it("temporary names are the file's name, .tmp- and 12 hex digits (what the accounts directory sweeps)", () => {
    assert.match(tempPathOf('/a/b_c.ini'), /^\/a\/b_c\.ini\.tmp-[0-9a-f]{12}$/);
  });
});
