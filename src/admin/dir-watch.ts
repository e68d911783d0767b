/**
 * Watches a directory that may not exist yet, or may go away: while it is missing, its
 * nearest existing ancestor is watched for it to appear. One inotify watch (fs.watch) per
 * directory, as the accounts directory is watched (src/store/account-store.ts); `onChange`
 * gets the name of an entry that changed, or null when everything must be read again (the
 * directory appeared or went away, or events were lost).
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { log } from '../log.js';

export class DirWatch {
  private watcher: FSWatcher | undefined;
  private parent: DirWatch | undefined;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly onChange: (name: string | null) => void,
  ) {}

  start(): void {
    if (this.closed || this.watcher) return;
    try {
      const w = watch(this.dir, { persistent: false, encoding: 'utf8' }, (_event, name) => {
        // the directory itself was removed or renamed: wait for it again
        if (!existsSync(this.dir)) this.lost();
        else this.onChange(name);
      });
      w.on('error', (err) => {
        log.debug(`watching ${this.dir} stopped: ${err.message}`);
        this.lost();
      });
      this.watcher = w;
      this.parent?.close();
      this.parent = undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') log.warning(`cannot watch ${this.dir}: ${(err as Error).message}`);
      this.waitForIt();
    }
  }

  private lost(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.closed) return;
    this.onChange(null);
    this.waitForIt();
  }

  /** Watches the parent for this directory's name; it may also have appeared meanwhile. */
  private waitForIt(): void {
    if (this.closed || this.parent) return;
    const up = dirname(this.dir);
    if (up === this.dir) return;
    const name = basename(this.dir);
    this.parent = new DirWatch(up, (changed) => {
      if ((changed === null || changed === name) && existsSync(this.dir)) this.appeared();
    });
    this.parent.start();
    if (existsSync(this.dir)) this.appeared();
  }

  private appeared(): void {
    if (this.watcher || this.closed) return;
    this.parent?.close();
    this.parent = undefined;
    this.start();
    if (this.watcher) this.onChange(null);
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.parent?.close();
    this.parent = undefined;
  }
}
