/**
 * Reading a file that must be a regular file of bounded size, without ever blocking or reading
 * without bound: what was opened is looked at (fstat), not the name (a FIFO, a socket or a
 * device swapped in after an lstat is still refused); O_NONBLOCK keeps the open of a FIFO from
 * waiting for a writer; by default a link is not followed (O_NOFOLLOW); and at most
 * `maxSize` + 1 bytes are read, so a file that grew after the fstat is refused, not read whole.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Why a file was refused; the message is the reason as the callers log it ("it is …"). */
export class NotRegularFile extends Error {
  constructor(
    readonly why: 'link' | 'not-regular' | 'too-large',
    maxSize: number,
  ) {
    super(
      why === 'link'
        ? 'it is a symbolic link'
        : why === 'not-regular'
          ? 'it is not a regular file'
          : `it is larger than ${maxSize} bytes`,
    );
    this.name = 'NotRegularFile';
  }
}

function refusal(st: Stats, maxSize: number): NotRegularFile['why'] | undefined {
  if (st.isSymbolicLink()) return 'link';
  if (!st.isFile()) return 'not-regular';
  return st.size > maxSize ? 'too-large' : undefined;
}

/**
 * Reads from `fd` until the end of the file or `maxSize` + 1 bytes, starting with room for
 * `expected` (what fstat said) and growing: the whole content, or undefined if there is more than
 * `maxSize` bytes (the file may have grown since the fstat).
 */
export function readAtMost(fd: number, expected: number, maxSize: number): Buffer | undefined {
  let buf = Buffer.allocUnsafe(Math.min(Math.max(expected, 0), maxSize) + 1);
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (length > maxSize) return undefined;
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxSize + 1));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    const n = readSync(fd, buf, length, buf.length - length, null);
    if (n === 0) return buf.subarray(0, length);
    length += n;
  }
}

/**
 * The text (UTF-8) of the regular file at `path`. Throws NotRegularFile for a link (unless
 * `followLinks`), anything but a regular file, or more than `maxSize` bytes; the errno error of a
 * file that cannot be opened or read (ENOENT when there is none). No descriptor stays open.
 */
export function readRegularFile(path: string, options: { maxSize: number; followLinks?: boolean }): string {
  const { maxSize, followLinks = false } = options;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (followLinks ? 0 : constants.O_NOFOLLOW));
  } catch (err) {
    // A link (ELOOP under O_NOFOLLOW), a socket (ENXIO)…: said as lstat sees it, else the error itself.
    const code = (err as NodeJS.ErrnoException).code;
    if (followLinks || code === 'ENOENT' || code === 'ENOTDIR') throw err;
    let why: NotRegularFile['why'] | undefined;
    try {
      why = refusal(lstatSync(path), maxSize);
    } catch {
      throw err;
    }
    if (why) throw new NotRegularFile(why, maxSize);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    const why = refusal(st, maxSize);
    if (why) throw new NotRegularFile(why, maxSize);
    const data = readAtMost(fd, st.size, maxSize);
    if (!data) throw new NotRegularFile('too-large', maxSize);
    return data.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
