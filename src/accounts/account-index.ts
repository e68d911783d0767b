/**
 * The accounts as they are on disk: the map of AccountState (with the duplicate keys and the ids
 * of adds in progress), loading at start, the live reload of each INI file (a hand edit, a
 * provisioned account's file) and writing a changed configuration back. Every change, whoever
 * made it, is announced as an event (AccountEvents).
 */
import { EventEmitter } from 'node:events';
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import type { Catalogue } from '../providers/catalogue.js';
import { INITIAL_STATUS, type AccountStatus } from '../status/status.js';
import type { IniDoc } from '../store/account-file.js';
import type { AccountStore } from '../store/account-store.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { duplicateKey, freeId, type AccountConfig } from '../model/account.js';
import { isProvisionedId, type ProvisionedAccounts } from '../admin/provisioned.js';

export interface AccountState {
  config: AccountConfig;
  status: AccountStatus;
  doc: IniDoc;
  /** The administrator's file of a provisioned account (src/admin/provisioned.ts): locked, only its secrets are the person's. */
  provisioned?: string;
}

/** What happens to the accounts, as events (listeners are told in the order they subscribed). */
export interface AccountEvents {
  added: [state: AccountState];
  /** Settings changed; `before` is the previous configuration. */
  changed: [state: AccountState, before: AccountConfig];
  removed: [id: string];
  statusChanged: [state: AccountState, before: AccountStatus];
  /** A secret was set or deleted (what reads it, a wallet's API key, may start again). */
  secretChanged: [state: AccountState, name: string];
  /** A new administrator's policy changed what the account breaks (Account.PolicyViolation). */
  policyChanged: [state: AccountState];
}

/** A listener of every event, as one object (the bus exporter is one). */
export type AccountListener = { [E in keyof AccountEvents]: (...args: AccountEvents[E]) => void };

export interface AccountIndexDeps {
  readonly store: AccountStore;
  readonly catalogue: Catalogue;
  /** The accounts the administrator provisions (docs/policy.md), loaded before the person's. */
  readonly provisioned?: ProvisionedAccounts;
}

/** How long a live account's file may stay unparsable before its object goes away. */
const INVALID_GRACE_MS = 150;

export class AccountIndex {
  /**
   * The events of every change. The bus objects, live sessions and the GOA view read the
   * accounts and are told of their changes: they need each other, so they subscribe here
   * rather than being given to the index.
   */
  readonly events = new EventEmitter<AccountEvents>();
  /** Serialises the operations on one account (and the reloads of its file). */
  readonly lock = new KeyedLock();
  private readonly states = new Map<string, AccountState>();
  private readonly byKey = new Map<string, string>();
  /** Ids and duplicate keys of adds in progress. */
  private readonly reservedIds = new Set<string>();
  private readonly reservedKeys = new Set<string>();
  /**
   * Files of live accounts that failed to parse, each with the timer that ends its grace. The
   * timer itself decides, not a comparison of Date.now() with the start: Node runs a timer
   * by the event loop's cached clock, which can be a few ms behind Date.now(), so such a
   * comparison could find the grace "not over yet" with no timer left to look again, and the
   * broken file's object stayed (seen in CI).
   */
  private readonly inGrace = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private readonly store: AccountStore;
  private readonly catalogue: Catalogue;
  private readonly provisioned: ProvisionedAccounts | undefined;

  constructor(deps: AccountIndexDeps) {
    this.store = deps.store;
    this.catalogue = deps.catalogue;
    this.provisioned = deps.provisioned;
    this.events.setMaxListeners(0); // one per part that follows the accounts, however many
  }

  get(id: string): AccountState | undefined {
    return this.states.get(id);
  }

  all(): IterableIterator<AccountState> {
    return this.states.values();
  }

  get size(): number {
    return this.states.size;
  }

  require(id: string): AccountState {
    const state = this.states.get(id);
    if (!state) throw new AccountsError('NotFound', `account '${id}' does not exist`);
    return state;
  }

  /** Whether accounts of the provider are set up by hand (their duplicate key has the servers). */
  manual(config: Pick<AccountConfig, 'provider'>): boolean {
    return this.catalogue.get(config.provider)?.manual ?? false;
  }

  private keyOf(config: AccountConfig): string {
    return duplicateKey(config, this.manual(config));
  }

  /** The account with the same provider and user name (the duplicate key of `config`), if any. */
  duplicateOf(config: AccountConfig): string | undefined {
    return this.byKey.get(this.keyOf(config));
  }

  /**
   * Runs `make` with the id a new account gets (`base`, else `base_2`, …) and its duplicate key
   * reserved, so a reload or another add cannot take either meanwhile. Throws Duplicate when
   * an account (or an add in progress) has the key already.
   */
  async withNewId<T>(
    config: Pick<AccountConfig, 'provider' | 'username' | 'settings'>,
    manual: boolean,
    base: string,
    make: (id: string) => Promise<T>,
  ): Promise<T> {
    const key = duplicateKey(config, manual);
    const existing = this.byKey.get(key);
    if (existing || this.reservedKeys.has(key)) {
      throw new AccountsError(
        'Duplicate',
        `an account for ${config.username} with provider ${config.provider} already exists${existing ? ` (${existing})` : ''}`,
      );
    }
    // provisioned_ is the administrator's (a provider of that name is the only way to reach it)
    const id = freeId(
      isProvisionedId(base) ? `p${base}` : base,
      (c) => this.states.has(c) || this.reservedIds.has(c) || this.store.occupied(c),
    );
    this.reservedIds.add(id);
    this.reservedKeys.add(key);
    try {
      return await make(id);
    } finally {
      this.reservedIds.delete(id);
      this.reservedKeys.delete(key);
    }
  }

  insert(state: AccountState): void {
    this.states.set(state.config.id, state);
    this.byKey.set(this.keyOf(state.config), state.config.id);
    this.events.emit('added', state);
  }

  drop(id: string): void {
    const state = this.states.get(id);
    if (!state) return;
    this.states.delete(id);
    const key = this.keyOf(state.config);
    if (this.byKey.get(key) === id) this.byKey.delete(key);
    this.events.emit('removed', id);
  }

  /** Loads every account file; call once before serving. */
  load(): void {
    // The administrator's accounts first: a person's own account of the same user is the duplicate.
    const provisioned = this.provisioned;
    for (const id of provisioned?.ids() ?? []) {
      const r = provisioned!.read(id);
      if (r.kind === 'ok')
        this.insert({
          config: r.file.config,
          status: INITIAL_STATUS,
          doc: r.file.doc,
          provisioned: provisioned!.pathOf(id),
        });
      else if (r.kind === 'invalid') log.warning(`provisioned account ${provisioned!.pathOf(id)} skipped: ${r.reason}`);
    }
    for (const file of this.store.loadAll()) {
      if (isProvisionedId(file.config.id)) {
        log.warning(
          `account file ${this.store.pathOf(file.config.id)} skipped: ids beginning with provisioned_ are kept for accounts the administrator provisions`,
        );
        continue;
      }
      const other = this.duplicateOf(file.config);
      if (other) {
        log.warning(
          `account file ${this.store.pathOf(file.config.id)} skipped: it duplicates account ${other} (same provider and user name)`,
        );
        continue;
      }
      this.insert({ config: file.config, status: INITIAL_STATUS, doc: file.doc });
    }
  }

  /** Writes a new configuration and tells listeners, if anything changed. Call under the account's lock. */
  async commit(state: AccountState, next: AccountConfig): Promise<void> {
    if (JSON.stringify(next) === JSON.stringify(state.config)) return;
    // A provisioned account's file is the administrator's: only the person's side is saved.
    const doc = state.provisioned ? await this.savePersonal(state, next) : await this.store.write(next, state.doc);
    const before = state.config;
    state.config = next;
    state.doc = doc;
    this.events.emit('changed', state, before);
  }

  /**
   * What of a provisioned account is the person's (the names of its secrets, its muted kinds of
   * failure, apps' notes) goes to the accounts directory's .provisioned.json; anything else
   * cannot reach here (changes are refused as Locked).
   */
  private async savePersonal(state: AccountState, next: AccountConfig): Promise<IniDoc> {
    const side = (c: AccountConfig) => JSON.stringify([c.credentials, c.muted ?? [], c.data ?? {}]);
    if (side(next) === side(state.config)) return state.doc;
    try {
      await this.provisioned!.savePersonal(next.id, {
        credentials: next.credentials,
        ...(next.muted ? { muted: next.muted } : {}),
        ...(next.data ? { data: next.data } : {}),
      });
    } catch (err) {
      throw new AccountsError(
        'Io',
        `cannot save the person's side of provisioned account ${next.id}: ${(err as Error).message}`,
      );
    }
    return state.doc;
  }

  /**
   * Deletes secrets that belong to no account (or to a name the account does not list).
   * Each is decided under its account's lock, so an add or SetSecret in progress keeps its own.
   */
  async removeOrphanSecrets(
    stored: Array<{ id: string; name: string; item: string }>,
    remove: (item: string) => Promise<boolean>,
  ): Promise<number> {
    let removed = 0;
    for (const s of stored) {
      await this.lock.run(s.id, async () => {
        if (this.reservedIds.has(s.id) || this.states.get(s.id)?.config.credentials.includes(s.name)) return;
        if (!this.states.has(s.id) && this.store.occupied(s.id)) return; // a file we could not parse may still own it
        if (!this.states.has(s.id) && isProvisionedId(s.id) && this.provisioned?.read(s.id).kind === 'invalid') return; // the same for the administrator's
        if (await remove(s.item)) {
          removed++;
          log.notice(
            `removed orphaned secret '${s.name}' of ${this.states.has(s.id) ? 'account' : 'missing account'} ${s.id}`,
          );
        }
      });
    }
    return removed;
  }

  /** Re-reads one file after someone changed the directory. */
  reload(id: string): Promise<void> {
    return this.lock.run(id, () => this.syncFromDisk(id, false));
  }

  /**
   * The service stops: pending graces end without a look. A timer firing later would drop the
   * account and tell the rest of the service, which forgets its grants, after they were saved.
   */
  stopReloading(): void {
    for (const timer of this.inGrace.values()) clearTimeout(timer);
    this.inGrace.clear();
    this.stopped = true;
  }

  /** The grace of a broken file is over: drop the account if the file is still broken. */
  private endGrace(id: string, timer: NodeJS.Timeout): Promise<void> {
    return this.lock.run(id, async () => {
      if (this.inGrace.get(id) !== timer) return; // fixed meanwhile (and maybe broken again: a new grace)
      this.inGrace.delete(id);
      await this.syncFromDisk(id, false, true);
    });
  }

  /**
   * Brings one account in line with its file. Also run before every change, under the
   * account's lock: a hand edit the watcher has not reported yet is merged, not overwritten.
   */
  async syncFromDisk(id: string, forChange = true, graceOver = false): Promise<void> {
    // provisioned_ ids are the administrator's files (a person's file of that name is never read)
    const admin = isProvisionedId(id) ? this.provisioned : undefined;
    const result = isProvisionedId(id) ? (admin?.read(id) ?? { kind: 'missing' as const }) : await this.store.read(id);
    const path = admin ? admin.pathOf(id) : this.store.pathOf(id);
    const state = this.states.get(id);
    if (result.kind !== 'invalid') {
      clearTimeout(this.inGrace.get(id));
      this.inGrace.delete(id);
    }
    if (result.kind === 'missing') {
      if (state) log.info(`account ${id} removed: its file was deleted`);
      this.drop(id);
    } else if (result.kind === 'invalid') {
      if (forChange && state) {
        // Never overwrite a file a person is in the middle of editing.
        throw new AccountsError('Io', `account file ${path} cannot be used (${result.reason}); fix or remove it first`);
      }
      // An editor writing in place shows a half-written file for a moment: drop the account
      // only if the file is still broken when its grace is over.
      if (this.inGrace.has(id)) return;
      if (state && !graceOver) {
        if (this.stopped) return;
        const timer: NodeJS.Timeout = setTimeout(
          () => void this.endGrace(id, timer).catch(() => undefined),
          INVALID_GRACE_MS,
        ).unref();
        this.inGrace.set(id, timer);
        return;
      }
      log.warning(`account file ${path} skipped: ${result.reason}`);
      this.drop(id);
    } else if (!state) {
      if (this.reservedIds.has(id)) return; // our own add, still in progress
      const other = this.duplicateOf(result.file.config);
      if (other) {
        log.warning(`account file ${path} skipped: it duplicates account ${other}`);
        return;
      }
      this.insert({
        config: result.file.config,
        status: INITIAL_STATUS,
        doc: result.file.doc,
        ...(admin ? { provisioned: path } : {}),
      });
      log.info(`account ${id} added from its file${admin ? ` (provisioned: ${path})` : ''}`);
    } else {
      state.doc = result.file.doc;
      const next = result.file.config;
      if (JSON.stringify(next) === JSON.stringify(state.config)) return;
      const before = state.config;
      this.byKey.delete(this.keyOf(before));
      this.byKey.set(this.keyOf(next), id);
      state.config = next;
      this.events.emit('changed', state, before);
    }
  }
}
