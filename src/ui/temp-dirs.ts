/**
 * The window's private temporary folders (launch pages, files picked with a profile): made
 * 0700 by mkdtemp under $XDG_RUNTIME_DIR (the user's own tmpfs) or the system's temp folder,
 * all with one prefix, so that what a killed program left behind can be found and removed.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the folders go, and how their names start (the argument of mkdtemp). */
export const tempPrefix = (env: NodeJS.ProcessEnv = process.env) =>
  join(env.XDG_RUNTIME_DIR || tmpdir(), 'px-accounts-ui-');

/** Removes our folders older than an hour (a program killed before it removed them): never one in use. */
export async function sweepStale(now = Date.now()): Promise<void> {
  const prefix = tempPrefix();
  const base = join(prefix, '..');
  const names = await readdir(base).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => join(base, n).startsWith(prefix))
      .map(async (n) => {
        const info = await stat(join(base, n)).catch(() => undefined);
        if (info?.isDirectory() && info.uid === process.getuid?.() && now - info.mtimeMs > 3_600_000)
          await rm(join(base, n), { recursive: true, force: true });
      }),
  );
}
