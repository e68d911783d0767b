/**
 * The accounts directory: one <id>.ini per account, written atomically (temp file, fsync,
 * rename onto the name, never through a link) with mode 0600 in a 0700 directory, and watched
 * so hand edits show up live.
 */
import { existsSync, readdirSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ACCOUNT_ID, type AccountConfig } from '../model/account.js';
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import type { Catalogue } from '../providers/catalogue.js';
import { writeFileNoFollow } from '../util/atomic-write.js';
import { NotRegularFile, readRegularFile } from '../util/regular-file.js';
import { parseAccountFile, serializeAccount, type IniDoc, type ParsedAccountFile } from './account-file.js';

/** Larger files are not account files; refusing them keeps a stray dump from eating memory. */
export const MAX_FILE_SIZE = 1024 * 1024;

export type ReadResult =
  { kind: 'ok'; file: ParsedAccountFile } | { kind: 'missing' } | { kind: 'invalid'; reason: string };

/**
 * Temp files of an interrupted write: ours (util/atomic-write: `.tmp-` and 12 hex digits), and
 * write-file-atomic's (a number), left by earlier versions.
 */
const TEMP_FILE = /^[A-Za-z0-9_]{1,200}\.ini\.(?:tmp-[0-9a-f]{12}|\d+)$/;

/**
 * The text of an account file, or why it is not one (util/regular-file: a link is not followed,
 * a FIFO does not block, at most MAX_FILE_SIZE bytes are read). Throws the errno error of a file
 * that cannot be opened or read.
 */
function readAccountText(path: string): string | { reason: string } {
  try {
    return readRegularFile(path, { maxSize: MAX_FILE_SIZE });
  } catch (err) {
    if (!(err instanceof NotRegularFile)) throw err;
    return { reason: err.why === 'link' ? `${err.message}; account files must be regular files` : err.message };
  }
}

const BAD_NAME: ReadResult = {
  kind: 'invalid',
  reason: 'the file name is not a valid account id (letters, digits and _ only, then .ini)',
};

function failure(err: unknown): ReadResult {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return { kind: 'missing' };
  return { kind: 'invalid', reason: e.code ? `cannot read it (${e.code})` : e.message };
}

export class AccountStore {
  private watcher: FSWatcher | undefined;
  /** Who hears about changed files; until watch() names one, changed ids are kept here. */
  private onChange: ((id: string) => void) | undefined;
  private readonly early = new Set<string>();
  private known: () => Iterable<string> = () => [];
  private readonly trailing = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly dir: string,
    private readonly catalogue: Catalogue,
  ) {}

  pathOf(id: string): string {
    return join(this.dir, `${id}.ini`);
  }

  /** True if anything occupies <id>.ini, valid or not: such a name is never reused. */
  occupied(id: string): boolean {
    return existsSync(this.pathOf(id));
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    // A crash between the temp file's write and its rename leaves <id>.ini.tmp-<hex>.
    for (const name of readdirSync(this.dir)) {
      if (!TEMP_FILE.test(name)) continue;
      try {
        unlinkSync(join(this.dir, name));
        log.notice(`removed ${join(this.dir, name)}, left by an interrupted write`);
      } catch (err) {
        log.warning(`cannot remove ${join(this.dir, name)}: ${(err as Error).message}`);
      }
    }
    this.startWatching();
  }

  /**
   * One inotify watch on the directory (fs.watch), started before the first read so that no
   * edit made while the files are being read is missed. Chokidar was used first: it adds a
   * watch and a stat per file and re-lists the whole directory on every event, which made
   * start-up and hand-edit latency grow with the number of accounts (560 ms per edit at
   * 10 000) and can exhaust fs.inotify.max_user_watches (8 192 on many systems). Linux
   * reports every create, write, delete and rename inside the directory with its name, which
   * is all the service needs.
   */
  private startWatching(): void {
    const watcher = watch(this.dir, { persistent: true, encoding: 'utf8' }, (_event, name) => {
      if (name === null)
        this.rescan(); // the kernel's event queue overflowed
      else if (name.endsWith('.ini')) this.changed(name.slice(0, -4));
    });
    watcher.on('error', (err) =>
      log.error(`watching ${this.dir} failed; hand edits are no longer seen until restart: ${err.message}`),
    );
    this.watcher = watcher;
  }

  private changed(id: string): void {
    if (!this.onChange) {
      this.early.add(id);
      return;
    }
    this.onChange(id);
    // An editor writing in place sends several events while the file is incomplete; the
    // re-read after the last one sees the finished file. Reloading an unchanged file is a no-op.
    clearTimeout(this.trailing.get(id));
    this.trailing.set(
      id,
      setTimeout(() => {
        this.trailing.delete(id);
        this.onChange?.(id);
      }, 80),
    );
  }

  /** Events were lost: every file present and every account known is looked at again. */
  private rescan(): void {
    log.notice(`too many changes in ${this.dir} at once; reading every account file again`);
    let names: string[] = [];
    try {
      names = readdirSync(this.dir)
        .filter((n) => n.endsWith('.ini'))
        .map((n) => n.slice(0, -4));
    } catch (err) {
      log.error(`cannot list ${this.dir}: ${(err as Error).message}`);
    }
    for (const id of new Set([...names, ...this.known()])) this.changed(id);
  }

  /**
   * Every valid account file; the others are logged and left alone. Synchronous on purpose:
   * nothing is served yet, and reading small files in a row beats thousands of promise round
   * trips (start-up with 1 000 files).
   */
  loadAll(): ParsedAccountFile[] {
    const out: ParsedAccountFile[] = [];
    for (const name of readdirSync(this.dir)
      .filter((n) => n.endsWith('.ini'))
      .sort()) {
      const id = name.slice(0, -4);
      let r: ReadResult;
      try {
        r = ACCOUNT_ID.test(id) ? this.parse(id, readAccountText(this.pathOf(id))) : BAD_NAME;
      } catch (err) {
        r = failure(err);
      }
      if (r.kind === 'ok') out.push(r.file);
      else if (r.kind === 'invalid') log.warning(`account file ${this.pathOf(id)} skipped: ${r.reason}`);
      // Listed but not found: it vanished, or its name is not valid UTF-8 (readdir mangled it).
      else log.warning(`account file ${this.pathOf(id)} skipped: it cannot be opened by its name (not valid UTF-8?)`);
    }
    return out;
  }

  /** Re-reads one file (after a change in the directory). */
  read(id: string): Promise<ReadResult> {
    if (!ACCOUNT_ID.test(id)) return Promise.resolve(BAD_NAME);
    try {
      return Promise.resolve(this.parse(id, readAccountText(this.pathOf(id))));
    } catch (err) {
      return Promise.resolve(failure(err));
    }
  }

  private parse(id: string, content: string | { reason: string }): ReadResult {
    if (typeof content !== 'string') return { kind: 'invalid', reason: content.reason };
    const file = parseAccountFile(id, content, this.catalogue);
    for (const w of file.warnings) log.warning(`account file ${this.pathOf(id)}: ${w}`);
    return { kind: 'ok', file };
  }

  /** Writes atomically and returns the document now on disk. */
  async write(config: AccountConfig, previous: IniDoc | undefined): Promise<IniDoc> {
    const text = serializeAccount(config, previous);
    // The INI library does not round-trip every string ("null", a lone quote, "\\;"): read the
    // text back before writing it, so a value that would change is refused and nothing is written.
    let back: ParsedAccountFile;
    try {
      back = parseAccountFile(config.id, text, this.catalogue);
    } catch (err) {
      throw new AccountsError(
        'InvalidArgument',
        `the account cannot be stored faithfully in its INI file: ${(err as Error).message}`,
      );
    }
    if (!isDeepStrictEqual(back.config, config)) {
      const field = (Object.keys(config) as Array<keyof AccountConfig>).find(
        (k) => !isDeepStrictEqual(back.config[k], config[k]),
      );
      throw new AccountsError(
        'InvalidArgument',
        `the account's ${field ?? 'settings'} cannot be stored faithfully in its INI file (quotes, backslashes or a value such as null or true); change it`,
      );
    }
    try {
      await writeFileNoFollow(this.pathOf(config.id), text, { mode: 0o600, durable: true });
    } catch (err) {
      throw new AccountsError('Io', `cannot write ${this.pathOf(config.id)}: ${(err as Error).message}`);
    }
    return back.doc;
  }

  async remove(id: string): Promise<void> {
    try {
      await unlink(this.pathOf(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new AccountsError('Io', `cannot delete ${this.pathOf(id)}: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Calls back with the id of every <id>.ini added, changed or removed by anyone (including
   * the changes seen since init(), once). `known` lists the ids loaded, for a full rescan.
   */
  watch(onChange: (id: string) => void, known: () => Iterable<string>): void {
    this.onChange = onChange;
    this.known = known;
    for (const id of this.early) this.changed(id);
    this.early.clear();
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.onChange = undefined;
    for (const timer of this.trailing.values()) clearTimeout(timer);
    this.trailing.clear();
  }
}
