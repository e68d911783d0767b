/**
 * The accounts directory: one <id>.ini per account, written atomically (temp file, fsync,
 * rename) with mode 0600 in a 0700 directory, and watched so hand edits show up live.
 */
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import writeFileAtomic from 'write-file-atomic';
import { ACCOUNT_ID, type AccountConfig } from '../accounts/account.js';
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import type { Catalogue } from '../providers/catalogue.js';
import { parseAccountFile, serializeAccount, type IniDoc, type ParsedAccountFile } from './account-file.js';

/** Larger files are not account files; refusing them keeps a stray dump from eating memory. */
export const MAX_FILE_SIZE = 1024 * 1024;

export type ReadResult =
  | { kind: 'ok'; file: ParsedAccountFile }
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string };

export class AccountStore {
  private watcher: FSWatcher | undefined;

  constructor(readonly dir: string, private readonly catalogue: Catalogue) {}

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
  }

  /** Every valid account file; the others are logged and left alone. */
  async loadAll(): Promise<ParsedAccountFile[]> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith('.ini')).sort();
    const out: ParsedAccountFile[] = [];
    // Bounded parallelism: fast on big directories without opening thousands of files at once.
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const name = names[next++];
        const r = await this.read(name.slice(0, -4));
        if (r.kind === 'ok') out.push(r.file);
        else if (r.kind === 'invalid') log.warning(`account file ${this.pathOf(name.slice(0, -4))} skipped: ${r.reason}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return out.sort((a, b) => a.config.id.localeCompare(b.config.id));
  }

  async read(id: string): Promise<ReadResult> {
    const path = this.pathOf(id);
    try {
      if (!ACCOUNT_ID.test(id)) return { kind: 'invalid', reason: 'the file name is not a valid account id (letters, digits and _ only, then .ini)' };
      const st = await lstat(path);
      if (st.isSymbolicLink()) return { kind: 'invalid', reason: 'it is a symbolic link; account files must be regular files' };
      if (!st.isFile()) return { kind: 'invalid', reason: 'it is not a regular file' };
      if (st.size > MAX_FILE_SIZE) return { kind: 'invalid', reason: `it is larger than ${MAX_FILE_SIZE} bytes` };
      const file = parseAccountFile(id, await readFile(path, 'utf8'), this.catalogue);
      for (const w of file.warnings) log.warning(`account file ${path}: ${w}`);
      return { kind: 'ok', file };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return { kind: 'missing' };
      return { kind: 'invalid', reason: e.code ? `cannot read it (${e.code})` : e.message };
    }
  }

  /** Writes atomically and returns the document now on disk. */
  async write(config: AccountConfig, previous: IniDoc | undefined): Promise<IniDoc> {
    const text = serializeAccount(config, previous);
    try {
      await writeFileAtomic(this.pathOf(config.id), text, { mode: 0o600, fsync: true });
    } catch (err) {
      throw new AccountsError('Io', `cannot write ${this.pathOf(config.id)}: ${(err as Error).message}`);
    }
    return parseAccountFile(config.id, text, this.catalogue).doc;
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

  /** Calls back with the id of every <id>.ini added, changed or removed by anyone. */
  async watch(onChange: (id: string) => void): Promise<void> {
    const watcher = watch(this.dir, { depth: 0, ignoreInitial: true, persistent: true });
    // chokidar drops a second 'change' within 50 ms of the first, so every event also
    // schedules a trailing re-read; reloading an unchanged file is a no-op.
    const trailing = new Map<string, NodeJS.Timeout>();
    const handle = (path: string) => {
      const name = basename(path);
      if (!name.endsWith('.ini')) return;
      const id = name.slice(0, -4);
      onChange(id);
      clearTimeout(trailing.get(id));
      trailing.set(id, setTimeout(() => {
        trailing.delete(id);
        onChange(id);
      }, 80));
    };
    watcher.on('add', handle).on('change', handle).on('unlink', handle);
    watcher.on('error', (err) => log.error(`watching ${this.dir} failed: ${(err as Error).message}`));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.watcher = watcher;
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
