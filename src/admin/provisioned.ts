/**
 * Accounts an administrator provisions: /etc/px-accounts/accounts/<name>.ini in the account
 * file format, `%u` standing for the login name (docs/policy.md). They appear as
 * `provisioned_<name>`, a prefix no account of the person's own is given, locked: only the
 * person's side of them changes — which secrets are stored, kept in the accounts directory's
 * .provisioned.json (names only, never values), since the administrator's file is not theirs
 * to write.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { log } from '../log.js';
import type { Catalogue } from '../providers/catalogue.js';
import { parseAccountFile, type ParsedAccountFile } from '../store/account-file.js';
import type { ReadResult } from '../store/account-store.js';
import { writeFileNoFollow } from '../util/atomic-write.js';
import { checkSecretName } from '../util/validate.js';
import { readAdminFile } from './admin-file.js';
import { PROVISIONED_DIR } from './paths.js';

export const PROVISIONED_PREFIX = 'provisioned_';
/** A file's name without .ini: letters, digits and _, so that the id is a valid object-path element. */
const NAME = /^[A-Za-z0-9_]{1,180}$/;

export const isProvisionedId = (id: string): boolean => id.startsWith(PROVISIONED_PREFIX);

/** The person's login name, which `%u` stands for. */
export const loginName = (): string => userInfo().username;

export class ProvisionedAccounts {
  /** id → names of the secrets the person stored for it. */
  private credentials = new Map<string, string[]>();
  private readonly stateFile: string;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly catalogue: Catalogue, accountsDir: string, readonly dir = PROVISIONED_DIR, private readonly login = loginName()) {
    this.stateFile = join(accountsDir, '.provisioned.json');
    this.readState();
  }

  pathOf(id: string): string {
    return join(this.dir, `${id.slice(PROVISIONED_PREFIX.length)}.ini`);
  }

  /** The id of a file name in the directory, if it may be a provisioned account's. */
  idOfName(name: string): string | undefined {
    if (!name.endsWith('.ini')) return undefined;
    const stem = name.slice(0, -4);
    return NAME.test(stem) ? PROVISIONED_PREFIX + stem : undefined;
  }

  /** Every id with a file now (valid or not). */
  ids(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.ini')).sort();
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of names) {
      const id = this.idOfName(n);
      if (id) out.push(id);
      else log.warning(`provisioned account ${join(this.dir, n)} skipped: its name must be letters, digits and _ only, then .ini`);
    }
    return out;
  }

  read(id: string): ReadResult {
    if (!isProvisionedId(id)) return { kind: 'missing' };
    const read = readAdminFile(this.pathOf(id));
    if (read.kind !== 'ok') return read;
    // %u is the login name; %% a percent sign
    const text = read.text.replace(/%([u%])/g, (_m, c: string) => (c === 'u' ? this.login : '%'));
    let file: ParsedAccountFile;
    try {
      file = parseAccountFile(id, text, this.catalogue);
    } catch (err) {
      return { kind: 'invalid', reason: (err as Error).message };
    }
    for (const w of file.warnings) log.warning(`provisioned account ${this.pathOf(id)}: ${w}`);
    // Secrets are the person's: the administrator's file does not list them.
    file.config.credentials = [...(this.credentials.get(id) ?? [])];
    return { kind: 'ok', file };
  }

  /** Records which secrets the person stored for a provisioned account. */
  saveCredentials(id: string, names: readonly string[]): Promise<void> {
    // one write at a time, each from the map the previous one left
    const run = this.saving.then(async () => {
      const next = new Map(this.credentials);
      if (names.length) next.set(id, [...names]);
      else next.delete(id);
      await writeFileNoFollow(this.stateFile, `${JSON.stringify(Object.fromEntries(next), null, 1)}\n`, { mode: 0o600, durable: true });
      this.credentials = next;
    });
    this.saving = run.catch(() => undefined);
    return run;
  }

  private readState(): void {
    let text: string;
    try {
      text = readFileSync(this.stateFile, 'utf8');
    } catch {
      return;
    }
    try {
      const raw = JSON.parse(text) as Record<string, unknown>;
      for (const [id, names] of Object.entries(raw)) {
        if (isProvisionedId(id) && Array.isArray(names)) this.credentials.set(id, names.filter((n): n is string => typeof n === 'string').map(checkSecretName));
      }
    } catch (err) {
      log.warning(`${this.stateFile} skipped: ${(err as Error).message}`);
    }
  }
}
