/**
 * The accounts of this user and every operation on them, independent of D-Bus. Operations
 * on one account are serialised; each either completes or leaves files and secrets as they
 * were. Listeners hear about every change, whoever made it (a call or a hand edit).
 */
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import type { Catalogue } from '../providers/catalogue.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { checkStatus, INITIAL_STATUS, nextStatus, type AccountStatus } from '../status/status.js';
import type { IniDoc } from '../store/account-file.js';
import type { AccountStore } from '../store/account-store.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { baseId, duplicateKey, freeId, type AccountConfig } from './account.js';
import { parseOptions } from './options.js';
import { findProvider, planNewAccount, planUpdate } from './plan.js';
import { checkSecretName, checkSecretValue } from './validate.js';

export interface AccountState {
  config: AccountConfig;
  status: AccountStatus;
  doc: IniDoc;
}

export interface AccountListener {
  added(state: AccountState): void;
  /** Settings changed; `before` is the previous configuration. */
  changed(state: AccountState, before: AccountConfig): void;
  removed(id: string): void;
  statusChanged(state: AccountState, before: AccountStatus): void;
}

type Variants = Record<string, { signature: string; value: unknown }>;

export class Accounts {
  private readonly states = new Map<string, AccountState>();
  private readonly byKey = new Map<string, string>();
  /** Ids and duplicate keys of adds in progress. */
  private readonly reservedIds = new Set<string>();
  private readonly reservedKeys = new Set<string>();
  private readonly lock = new KeyedLock();
  private listener: AccountListener | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly secrets: SecretStore,
    readonly catalogue: Catalogue,
  ) {}

  setListener(listener: AccountListener): void {
    this.listener = listener;
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

  private require(id: string): AccountState {
    const state = this.states.get(id);
    if (!state) throw new AccountsError('NotFound', `account '${id}' does not exist`);
    return state;
  }

  private keyOf(config: AccountConfig): string {
    return duplicateKey(config, this.catalogue.get(config.provider)?.manual ?? false);
  }

  private insert(state: AccountState): void {
    this.states.set(state.config.id, state);
    this.byKey.set(this.keyOf(state.config), state.config.id);
    this.listener?.added(state);
  }

  private drop(id: string): void {
    const state = this.states.get(id);
    if (!state) return;
    this.states.delete(id);
    const key = this.keyOf(state.config);
    if (this.byKey.get(key) === id) this.byKey.delete(key);
    this.listener?.removed(id);
  }

  /** Loads every account file; call once before serving. */
  async load(): Promise<void> {
    for (const file of await this.store.loadAll()) {
      const key = this.keyOf(file.config);
      const other = this.byKey.get(key);
      if (other) {
        log.warning(`account file ${this.store.pathOf(file.config.id)} skipped: it duplicates account ${other} (same provider and user name)`);
        continue;
      }
      this.insert({ config: file.config, status: INITIAL_STATUS, doc: file.doc });
    }
  }

  async add(providerId: string, identifier: string, secrets: Record<string, string>, options: Variants): Promise<AccountState> {
    const provider = findProvider(this.catalogue, providerId);
    const parsed = parseOptions(options, 'add');
    const plan = planNewAccount(provider, identifier, parsed);
    const names = Object.keys(secrets).sort();
    for (const name of names) checkSecretValue(secrets[name], checkSecretName(name));
    if (parsed.verify) {
      throw new AccountsError('UnsupportedProtocol', 'option verify: credential verification is not available in this version');
    }
    const key = duplicateKey(plan, provider.manual);
    if (this.byKey.has(key) || this.reservedKeys.has(key)) {
      throw new AccountsError('Duplicate', `an account for ${plan.username} with provider ${provider.id} already exists${this.byKey.has(key) ? ` (${this.byKey.get(key)})` : ''}`);
    }
    const id = freeId(baseId(provider.id, plan.username), (c) => this.states.has(c) || this.reservedIds.has(c) || this.store.occupied(c));
    this.reservedIds.add(id);
    this.reservedKeys.add(key);
    try {
      const config: AccountConfig = { ...plan, id, credentials: names };
      // Secrets first, file last: a file never names a secret that is not stored.
      const stored: string[] = [];
      try {
        for (const name of names) {
          await this.secrets.set(id, name, secrets[name]);
          stored.push(name);
        }
        const doc = await this.store.write(config, undefined);
        const state: AccountState = { config, status: INITIAL_STATUS, doc };
        this.insert(state);
        log.info(`account ${id} added (${provider.id}, ${config.protocols.join(', ')})`);
        return state;
      } catch (err) {
        await this.forgetSecrets(id, stored);
        throw err;
      }
    } finally {
      this.reservedIds.delete(id);
      this.reservedKeys.delete(key);
    }
  }

  /** Best-effort rollback; a secret that cannot be deleted is logged by name, never by value. */
  private async forgetSecrets(id: string, names: string[]): Promise<void> {
    for (const name of names) {
      try {
        await this.secrets.delete(id, name);
      } catch (err) {
        log.error(`secret '${name}' of account ${id} could not be deleted and is orphaned: ${(err as Error).message}`);
      }
    }
  }

  update(id: string, changes: Variants): Promise<void> {
    return this.lock.run(id, async () => {
      const state = this.require(id);
      const provider = findProvider(this.catalogue, state.config.provider);
      const next = planUpdate(state.config, provider, parseOptions(changes, 'update'));
      await this.commit(state, next);
    });
  }

  /** Writes a new configuration and tells listeners, if anything changed. */
  private async commit(state: AccountState, next: AccountConfig): Promise<void> {
    if (JSON.stringify(next) === JSON.stringify(state.config)) return;
    const doc = await this.store.write(next, state.doc);
    const before = state.config;
    state.config = next;
    state.doc = doc;
    this.listener?.changed(state, before);
  }

  rename(id: string, name: string): Promise<void> {
    return this.update(id, { name: { signature: 's', value: name } });
  }

  setSecret(id: string, name: string, value: string): Promise<void> {
    return this.lock.run(id, async () => {
      const state = this.require(id);
      checkSecretValue(value, checkSecretName(name));
      const isNew = !state.config.credentials.includes(name);
      await this.secrets.set(id, name, value);
      if (isNew) {
        try {
          await this.commit(state, { ...state.config, credentials: [...state.config.credentials, name].sort() });
        } catch (err) {
          await this.forgetSecrets(id, [name]);
          throw err;
        }
      }
      // New credentials deserve a new chance.
      this.setStatus(state, { attentionNeeded: false });
    });
  }

  async getSecret(id: string, name: string): Promise<string> {
    const state = this.require(id);
    checkSecretName(name);
    // Credentials is the list of what is stored: an unlisted name needs no keyring round trip.
    if (!state.config.credentials.includes(name)) throw new AccountsError('NotFound', `account ${id} has no secret named '${name}'`);
    const value = await this.secrets.get(state.config.id, name);
    if (value === null) throw new AccountsError('NotFound', `the secret '${name}' of account ${id} is missing from the Secret Service`);
    return value;
  }

  deleteSecret(id: string, name: string): Promise<void> {
    return this.lock.run(id, async () => {
      const state = this.require(id);
      checkSecretName(name);
      const deleted = await this.secrets.delete(id, name);
      const listed = state.config.credentials.includes(name);
      if (!deleted && !listed) throw new AccountsError('NotFound', `account ${id} has no secret named '${name}'`);
      if (listed) await this.commit(state, { ...state.config, credentials: state.config.credentials.filter((c) => c !== name) });
    });
  }

  remove(id: string): Promise<void> {
    return this.lock.run(id, async () => {
      const state = this.require(id);
      const names = state.config.credentials;
      // Fail before touching anything if the secrets could not be deleted afterwards.
      if (names.length) await this.secrets.get(id, names[0]);
      await this.store.remove(id);
      this.drop(id);
      await this.forgetSecrets(id, names);
      log.info(`account ${id} removed`);
    });
  }

  reportStatus(id: string, status: string, message: string): void {
    const state = this.require(id);
    this.setStatus(state, { status: checkStatus(status, message), message });
  }

  private setStatus(state: AccountState, change: Parameters<typeof nextStatus>[1]): void {
    const before = state.status;
    state.status = nextStatus(before, change);
    if (state.status !== before) this.listener?.statusChanged(state, before);
  }

  /** Re-reads one file after someone changed the directory. */
  reload(id: string): Promise<void> {
    return this.lock.run(id, async () => {
      const result = await this.store.read(id);
      const state = this.states.get(id);
      if (result.kind === 'missing') {
        if (state) log.info(`account ${id} removed: its file was deleted`);
        this.drop(id);
      } else if (result.kind === 'invalid') {
        log.warning(`account file ${this.store.pathOf(id)} skipped: ${result.reason}`);
        this.drop(id);
      } else if (!state) {
        if (this.reservedIds.has(id)) return; // our own add, still in progress
        const other = this.byKey.get(this.keyOf(result.file.config));
        if (other) {
          log.warning(`account file ${this.store.pathOf(id)} skipped: it duplicates account ${other}`);
          return;
        }
        this.insert({ config: result.file.config, status: INITIAL_STATUS, doc: result.file.doc });
        log.info(`account ${id} added from its file`);
      } else {
        state.doc = result.file.doc;
        const next = result.file.config;
        if (JSON.stringify(next) === JSON.stringify(state.config)) return;
        const before = state.config;
        this.byKey.delete(this.keyOf(before));
        this.byKey.set(this.keyOf(next), id);
        state.config = next;
        this.listener?.changed(state, before);
      }
    });
  }
}
