/**
 * util/regular-file: the one reader of account files, administrator's files, the access file and
 * wallet state. A link (unless followed), a FIFO, a socket or a directory is refused without
 * blocking and without a descriptor left open; at most the cap + 1 bytes are read, so a file
 * that grew after its fstat is refused rather than read whole.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotRegularFile, readAtMost, readRegularFile } from '../../src/util/regular-file.js';

const openFds = () => readdirSync('/proc/self/fd').length;

/** The reason a read is refused with, or the error's code. */
function refusedWith(read: () => unknown): string {
  try {
    read();
  } catch (err) {
    if (err instanceof NotRegularFile) return err.why;
    return String((err as NodeJS.ErrnoException).code);
  }
  assert.fail('the read was not refused');
}

describe('util/regular-file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pxa-regular-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file up to the cap; one byte more is refused', () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'sé'.repeat(5)); // 15 bytes
    assert.equal(readRegularFile(file, { maxSize: 15 }), 'sé'.repeat(5));
    assert.equal(
      refusedWith(() => readRegularFile(file, { maxSize: 14 })),
      'too-large',
    );
    writeFileSync(file, '');
    assert.equal(readRegularFile(file, { maxSize: 0 }), '');
    assert.equal(
      refusedWith(() => readRegularFile(join(dir, 'none'), { maxSize: 10 })),
      'ENOENT',
    );
  });

  it('refuses a link unless told to follow it, a directory, a FIFO and a socket, without blocking or leaking a descriptor', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'content');
    symlinkSync(target, join(dir, 'link'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    mkdirSync(join(dir, 'directory'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'socket'), resolve));
    try {
      const before = openFds();
      const maxSize = 1024;
      assert.equal(readRegularFile(target, { maxSize }), 'content');
      assert.equal(readRegularFile(join(dir, 'link'), { maxSize, followLinks: true }), 'content');
      const refused = Object.fromEntries(
        ['link', 'dangling', 'directory', 'fifo', 'socket'].map((name) => [
          name,
          refusedWith(() => readRegularFile(join(dir, name), { maxSize })),
        ]),
      );
      assert.deepEqual(refused, {
        link: 'link',
        dangling: 'link',
        directory: 'not-regular',
        fifo: 'not-regular', // opened (O_NONBLOCK: no writer needed), then refused by fstat
        socket: 'not-regular', // its open fails (ENXIO); lstat says what it is
      });
      // Through a link: what the link leads to is looked at.
      symlinkSync(join(dir, 'fifo'), join(dir, 'to-fifo'));
      assert.equal(
        refusedWith(() => readRegularFile(join(dir, 'to-fifo'), { maxSize, followLinks: true })),
        'not-regular',
      );
      assert.equal(openFds(), before, 'a descriptor was left open');
      assert.equal(new NotRegularFile('too-large', 5).message, 'it is larger than 5 bytes');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a file that grew after its fstat: at most the cap + 1 bytes are read, and it is refused', () => {
    const file = join(dir, 'growing');
    const cap = 4096;
    writeFileSync(file, 'a'.repeat(100));
    const fd = openSync(file, 'r');
    try {
      const said = fstatSync(fd).size; // 100: well under the cap
      appendFileSync(file, 'b'.repeat(3 * cap)); // it grows before the read, as another writer could make it
      assert.equal(readAtMost(fd, said, cap), undefined);
      // The read stopped after cap + 1 bytes: the rest is still unread at the descriptor's offset.
      const rest = Buffer.alloc(4 * cap);
      assert.equal(readSync(fd, rest, 0, rest.length, null), 100 + 3 * cap - (cap + 1));
    } finally {
      closeSync(fd);
    }
  });

  it('a file that grew after its fstat but stays within the cap is read whole', () => {
    const file = join(dir, 'growing');
    writeFileSync(file, 'a'.repeat(10));
    const fd = openSync(file, 'r');
    try {
      const said = fstatSync(fd).size;
      appendFileSync(file, 'b'.repeat(990));
      assert.equal(readAtMost(fd, said, 1000)?.toString(), 'a'.repeat(10) + 'b'.repeat(990));
    } finally {
      closeSync(fd);
    }
  });
});
