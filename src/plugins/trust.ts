/**
 * Whether anyone but this user or root could change a plugin's files. Checking a file's owner
 * and mode is not enough: whoever can write to a directory on its path can rename another file
 * in its place (the finding of issue 25: a helper under /tmp swapped by `nobody`). So every
 * directory from / down is checked too, through symlinks, as the kernel resolves the path.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';

const MAX_LINKS = 40;

const trusted = (uid: number) => uid === 0 || uid === (process.getuid?.() ?? 0);

/** Owned by this user or root, not writable by group or others: nobody else could have put it there. */
export function checkOwner(st: Stats, what: string): void {
  if (!trusted(st.uid)) throw new Error(`${what} is owned by uid ${st.uid}, not by this user or root`);
  if (st.mode & 0o022)
    throw new Error(`${what} is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`);
}

/** Owned by a trusted user and, when group or others can write to it, sticky (as /tmp). */
function checkDir(dir: string, st: Stats): void {
  if (!trusted(st.uid)) throw new Error(`directory ${dir} is owned by uid ${st.uid}, not by this user or root`);
  if (st.mode & 0o022 && !(st.mode & 0o1000))
    throw new Error(
      `directory ${dir} is writable by group or others and not sticky (mode ${(st.mode & 0o7777).toString(8)})`,
    );
}

/** Only trusted users may replace `entry` in `dir`: in a sticky shared directory, only its owner. */
function checkEntry(dir: string, dirSt: Stats, entry: Stats, name: string): void {
  checkDir(dir, dirSt);
  if (dirSt.mode & 0o022 && !trusted(entry.uid))
    throw new Error(`${name} in the shared directory ${dir} is owned by uid ${entry.uid}, not by this user or root`);
}

/**
 * Walks an absolute directory path from /, following symlinks, and throws naming the first
 * place someone else could change what it resolves to. Returns the resolved path.
 */
export function checkDirChain(path: string): string {
  let cur = '/';
  let curSt = lstatSync('/');
  const todo = path.split('/').filter(Boolean);
  let links = 0;
  while (todo.length) {
    const name = todo.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      // cur has no symlink in it, so its parent is a plain dirname (and was checked on the way down).
      cur = cur.slice(0, cur.lastIndexOf('/')) || '/';
      curSt = lstatSync(cur);
      continue;
    }
    const next = cur === '/' ? `/${name}` : `${cur}/${name}`;
    const st = lstatSync(next);
    checkEntry(cur, curSt, st, next);
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new Error(`${path}: too many symbolic links`);
      const target = readlinkSync(next);
      if (target.startsWith('/')) {
        cur = '/';
        curSt = lstatSync('/');
      }
      todo.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    if (!st.isDirectory()) throw new Error(`${next} is not a directory`);
    cur = next;
    curSt = st;
  }
  checkDir(cur, curSt); // its entries: checkFile
  return cur;
}

/**
 * What a file was when it was checked; compared again before each run of a helper. ctime too:
 * a freed inode number is soon reused, and any write, chmod or chown changes it.
 */
export interface FileIdentity {
  dev: number;
  ino: number;
  uid: number;
  mode: number;
  ctime: number;
}

const identityOf = (st: Stats): FileIdentity => ({
  dev: st.dev,
  ino: st.ino,
  uid: st.uid,
  mode: st.mode,
  ctime: st.ctimeMs,
});

/**
 * Checks a regular file at a path without symlinks (a realpath): its directories as above, the
 * file's owner and mode, and the file in its directory. Returns its identity.
 */
export function checkFile(real: string, what: string): FileIdentity {
  const dir = real.slice(0, real.lastIndexOf('/')) || '/';
  checkDirChain(dir);
  const st = lstatSync(real);
  if (!st.isFile()) throw new Error(`${what} is not a regular file`);
  checkEntry(dir, lstatSync(dir), st, real);
  checkOwner(st, what);
  return identityOf(st);
}

/** Throws unless the file is still, and still safely reachable as, what was checked at load. */
export function checkUnchanged(real: string, was: FileIdentity, what: string): void {
  const now = checkFile(real, what);
  const changed = (['dev', 'ino', 'uid', 'mode', 'ctime'] as const).filter((k) => now[k] !== was[k]);
  if (changed.length)
    throw new Error(`${what} was replaced or changed since the service loaded it (${changed.join(', ')})`);
}
