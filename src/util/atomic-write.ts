/**
 * State files replaced without ever going through a symbolic link (util/regular-file reads them).
 * write-file-atomic resolved the real path first, so a link put where a state file was made the next save write
 * (and chmod) the link's target. Here the data goes to a new file in the same directory,
 * created exclusively and without following links, and is renamed onto the name itself:
 * rename replaces a link, never its target.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Temporary names are `<name>.tmp-` and 12 hex digits (the accounts directory's start-up sweep knows them). */
export const tempPathOf = (path: string): string => `${path}.tmp-${randomBytes(6).toString('hex')}`;

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

async function replace(path: string, data: string | Uint8Array, mode: number, durable: boolean): Promise<void> {
  const temp = tempPathOf(path);
  const file = await open(temp, CREATE, mode);
  try {
    try {
      await file.writeFile(data);
      await file.chmod(mode); // the umask may have taken bits away; the mode is what was asked
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  if (durable) {
    // The rename itself survives a power cut only once the directory is on disk.
    const dir = await open(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

const queues = new Map<string, Promise<void>>();

/**
 * Replaces `path` with `data` (mode `mode`, default 0600), fsynced; `durable` fsyncs the
 * directory too. Writes to one path run in call order, so the last one wins, as with
 * write-file-atomic. On failure the temporary file is removed and `path` is as it was.
 */
export function writeFileNoFollow(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number; durable?: boolean } = {},
): Promise<void> {
  const next = (queues.get(path) ?? Promise.resolve())
    .catch(() => undefined)
    .then(() => replace(path, data, options.mode ?? 0o600, options.durable ?? false));
  queues.set(path, next);
  const forget = () => {
    if (queues.get(path) === next) queues.delete(path);
  };
  next.then(forget, forget);
  return next;
}
