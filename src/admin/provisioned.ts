/**
 * Accounts an administrator provisions: /etc/px-accounts/accounts/<name>.ini in the account
 * file format, `%u` standing for the login name (docs/policy.md). They appear as
 * `provisioned_<name>`, a prefix no account of the person's own is given, locked: only the
 * person's side of them changes — which secrets are stored (names only, never values), the
 * kinds of failure the person muted and apps' notes — kept in the accounts directory's
 * .provisioned.json, since the administrator's file is not theirs to write.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { log } from '../log.js';
import { parseMuted } from '../model/muted.js';
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

/** What of a provisioned account is the person's (and their apps'), not the administrator's. */
export interface PersonalSide {
  credentials: string[];
  muted?: string[];
  data?: Record<string, string>;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export class ProvisionedAccounts {
  /** id → the person's side of it. */
  private personal = new Map<string, PersonalSide>();
  private readonly stateFile: string;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly catalogue: Catalogue,
    accountsDir: string,
    readonly dir = PROVISIONED_DIR,
    private readonly login = loginName(),
  ) {
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
      names = readdirSync(this.dir)
        .filter((n) => n.endsWith('.ini'))
        .sort();
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of names) {
      const id = this.idOfName(n);
      if (id) out.push(id);
      else
        log.warning(
          `provisioned account ${join(this.dir, n)} skipped: its name must be letters, digits and _ only, then .ini`,
        );
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
    // Secrets, mutes and apps' notes are the person's: the administrator's file does not list them.
    const mine = this.personal.get(id);
    file.config.credentials = [...(mine?.credentials ?? [])];
    delete file.config.muted;
    delete file.config.data;
    if (mine?.muted?.length) file.config.muted = [...mine.muted];
    if (mine?.data && Object.keys(mine.data).length) file.config.data = { ...mine.data };
    return { kind: 'ok', file };
  }

  /** Records the person's side of a provisioned account: its secrets' names, its mutes, apps' notes. */
  savePersonal(id: string, side: PersonalSide): Promise<void> {
    // one write at a time, each from the map the previous one left
    const run = this.saving.then(async () => {
      const next = new Map(this.personal);
      const kept: PersonalSide = { credentials: [...side.credentials] };
      if (side.muted?.length) kept.muted = [...side.muted];
      if (side.data && Object.keys(side.data).length) kept.data = { ...side.data };
      if (kept.credentials.length || kept.muted || kept.data) next.set(id, kept);
      else next.delete(id);
      // an account with only secrets keeps the first form (the list of their names)
      const out = Object.fromEntries([...next].map(([k, v]) => [k, v.muted || v.data ? v : v.credentials]));
      await writeFileNoFollow(this.stateFile, `${JSON.stringify(out, null, 1)}\n`, { mode: 0o600, durable: true });
      this.personal = next;
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
      for (const [id, entry] of Object.entries(raw)) {
        if (!isProvisionedId(id)) continue;
        // before mutes and notes were kept here, an entry was the list of secrets' names
        if (Array.isArray(entry)) {
          this.personal.set(id, { credentials: strings(entry).map(checkSecretName) });
          continue;
        }
        if (!entry || typeof entry !== 'object') continue;
        const e = entry as Record<string, unknown>;
        const side: PersonalSide = { credentials: strings(e.credentials).map(checkSecretName) };
        const muted = parseMuted(strings(e.muted).join(','));
        if (muted.length) side.muted = muted;
        if (e.data && typeof e.data === 'object' && !Array.isArray(e.data)) {
          const data = Object.fromEntries(
            Object.entries(e.data as Record<string, unknown>).filter(
              (kv): kv is [string, string] => typeof kv[1] === 'string',
            ),
          );
          if (Object.keys(data).length) side.data = data;
        }
        this.personal.set(id, side);
      }
    } catch (err) {
      log.warning(`${this.stateFile} skipped: ${(err as Error).message}`);
    }
  }
}
