/**
 * The accounts of this user and every operation on them, independent of D-Bus. Operations
 * on one account are serialised; each either completes or leaves files and secrets as they
 * were. Listeners hear about every change, whoever made it (a call or a hand edit).
 */
import { AccountsError, invalidArgument } from '../errors.js';
import { log } from '../log.js';
import type { Catalogue, Provider } from '../providers/catalogue.js';
import type { SecretStore } from '../secrets/secret-service.js';
import { checkStatus, INITIAL_STATUS, MAX_STATUS_MESSAGE, nextStatus, type AccountStatus } from '../status/status.js';
import type { IniDoc } from '../store/account-file.js';
import type { AccountStore } from '../store/account-store.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { baseId, duplicateKey, freeId, type AccountConfig } from '../model/account.js';
import { parseOptions } from './options.js';
import { findProvider, planNewAccount, planUpdate, type NewAccount } from './plan.js';
import { checkPlainDict, checkSecretName, checkSecretValue, MAX_SECRETS_PER_CALL } from '../util/validate.js';
import { findProtocol, requireProtocol } from '../protocols/registry.js';
import { parseRecord, TOKEN_SECRET, type TokenKeeper, type TokenRecord } from '../oauth2/tokens.js';
import { checkProtocols, verdict, type CheckResults, type SecretSource } from '../verify/check.js';
import { Checker, type CheckerOptions } from '../verify/checker.js';
import type { Discovered, Discovery } from '../discovery/discovery.js';
import { parseAddress } from '../discovery/address.js';
import { asOptions, checkUsable, providerOf, splitOptions } from './discovered.js';
import { revokeOnRemoval } from '../nextcloud/sign-in.js';

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
  /** A secret was set or deleted (what reads it, a wallet's API key, may start again). */
  secretChanged(state: AccountState, name: string): void;
}

type Variants = Record<string, { signature: string; value: unknown }>;

/** Who asks for an add or a check: whether the service may read files they name, and their app (its share of checks). */
export interface Origin { readonly files: boolean; readonly app: string }
/** The service itself, or a test calling in-process. */
const SELF: Origin = { files: true, app: 'px-accounts-service' };

/** How long a live account's file may stay unparsable before its object goes away. */
const INVALID_GRACE_MS = 150;

/**
 * The secrets of an add or a check: those an import produced (a profile's keys) under those
 * given by name, each checked by name and value, and by every protocol that reads it.
 */
function checkGivenSecrets(protocols: readonly string[], imported: Record<string, string>, given: Record<string, string>): Record<string, string> {
  checkPlainDict(given, 'secrets');
  const n = Object.keys(given).length;
  if (n > MAX_SECRETS_PER_CALL) throw new AccountsError('InvalidArgument', `secrets: ${n} given, at most ${MAX_SECRETS_PER_CALL} per call`);
  const secrets = { ...imported, ...given };
  for (const [name, value] of Object.entries(secrets)) secrets[name] = checkSecret(protocols, checkSecretName(name), value);
  return secrets;
}

/** A secret's value, checked as text and by each protocol that reads it (an OpenVPN key block). */
function checkSecret(protocols: readonly string[], name: string, value: string): string {
  let out = checkSecretValue(value, name);
  for (const p of protocols) {
    const plugin = requireProtocol(p, 'protocols');
    if (plugin.checkSecret && (plugin.secrets.includes(name) || name === 'password' || name === p)) out = plugin.checkSecret(name, out);
  }
  return out;
}

/** The `oauth2` secret is the service's: SetSecret and DeleteSecret may not touch it. */
function reserved(name: string): void {
  if (name === TOKEN_SECRET) throw invalidArgument(`the secret name ${TOKEN_SECRET} is reserved for OAuth2 tokens (sign in again with Account.SignInAgain)`);
}

/** OAuth2 accounts enable only protocols that sign in with tokens. */
function checkTokenProtocols(protocols: readonly string[]): void {
  for (const p of protocols) {
    const plugin = requireProtocol(p, 'protocols');
    if (!plugin.tokens) throw new AccountsError('UnsupportedProtocol', `${plugin.title} cannot sign in with OAuth2 tokens`);
  }
}

const checkStatusMessage = (m: string) => m.slice(0, MAX_STATUS_MESSAGE);

/** Secrets given in a call. */
const givenSecrets = (secrets: Record<string, string>): SecretSource => ({
  names: Object.keys(secrets),
  get: async (name) => secrets[name] ?? null,
});

/**
 * Applies what successful checks taught (each protocol's `learn`, e.g. SFTP's host key) to
 * `config`'s settings of the protocols in `only` (all when undefined). Returns what it learned.
 */
function learn(config: { settings: AccountConfig['settings'] }, results: CheckResults, only?: (p: string) => boolean): string[] {
  const learned: string[] = [];
  for (const [p, result] of Object.entries(results)) {
    const settings = config.settings[p];
    const next = settings && (only?.(p) ?? true) ? findProtocol(p)?.learn?.(result, settings) : undefined;
    if (!next) continue;
    config.settings[p] = next;
    learned.push(...Object.keys(next).filter((k) => next[k] !== settings![k]).map((k) => `${p}.${k} ${next[k]}`));
  }
  return learned;
}

export class Accounts {
  private readonly states = new Map<string, AccountState>();
  private readonly byKey = new Map<string, string>();
  /** Ids and duplicate keys of adds in progress. */
  private readonly reservedIds = new Set<string>();
  private readonly reservedKeys = new Set<string>();
  private readonly lock = new KeyedLock();
  /** Files of live accounts that failed to parse, and since when. */
  private readonly invalidSince = new Map<string, number>();
  private listener: AccountListener | undefined;
  readonly checker: Checker;
  /** Access tokens of OAuth2 accounts (set by the service). */
  tokens: TokenKeeper | undefined;
  private discovery: Promise<Discovery> | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly secrets: SecretStore,
    readonly catalogue: Catalogue,
    checkerOptions: CheckerOptions = { concurrency: 8, retry: false, firstRetryMs: 60_000, maxRetryMs: 3_600_000 },
  ) {
    this.checker = new Checker((id) => this.runCheck(id), checkerOptions);
  }

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
    this.tokens?.forget(id);
    const key = this.keyOf(state.config);
    if (this.byKey.get(key) === id) this.byKey.delete(key);
    this.listener?.removed(id);
  }

  /** Loads every account file; call once before serving. */
  async load(): Promise<void> {
    for (const file of this.store.loadAll()) {
      const key = this.keyOf(file.config);
      const other = this.byKey.get(key);
      if (other) {
        log.warning(`account file ${this.store.pathOf(file.config.id)} skipped: it duplicates account ${other} (same provider and user name)`);
        continue;
      }
      this.insert({ config: file.config, status: INITIAL_STATUS, doc: file.doc });
    }
  }

  async add(providerId: string, identifier: string, secrets: Record<string, string>, options: Variants, from: Origin = SELF): Promise<AccountState> {
    if (providerId === '') return this.addDiscovered(identifier, secrets, options, from);
    const provider = findProvider(this.catalogue, providerId);
    if (provider.auth === 'oauth2') {
      throw invalidArgument(`${provider.name} accounts sign in with OAuth2, not a password: use Manager.SignIn (px-accounts add -provider ${provider.id} -account NAME with no password)`);
    }
    const parsed = parseOptions(options, 'add', from.files);
    const plan = planNewAccount(provider, identifier, parsed);
    secrets = checkGivenSecrets(plan.protocols, parsed.secrets, secrets);
    for (const name of Object.keys(secrets)) reserved(name);
    let checked: CheckResults | undefined;
    if (parsed.verify) {
      checked = await this.checker.run(from.app, () => checkProtocols(plan, givenSecrets(secrets)));
      const failed = Object.entries(checked).filter(([, r]) => !r.ok);
      if (failed.length) {
        throw new AccountsError('VerificationFailed', failed.map(([p, r]) => `${p}: ${r.code}: ${r.message}`).join('; '));
      }
      learn(plan, checked);
    }
    return this.create(provider, plan, secrets, checked);
  }

  /** Manager.Discover: the settings AddAccount would use for an address (src/discovery, loaded on first use). */
  async discover(address: string, options: Variants, from: Origin = SELF): Promise<Discovered> {
    return (await this.discoverer()).discover(address, options, from.app);
  }

  private discoverer(): Promise<Discovery> {
    return (this.discovery ??= import('../discovery/discovery.js').then((m) => new m.Discovery(this.catalogue)));
  }

  /**
   * AddAccount with an empty provider: the settings discovered for the address, refused when
   * not trusted (unless the option trust), every protocol checked before saving — with the
   * address as user name, then, where the server refused it, the other form (the local part).
   */
  private async addDiscovered(address: string, secrets: Record<string, string>, options: Variants, from: Origin): Promise<AccountState> {
    const request = splitOptions(options);
    const found = await (await this.discoverer()).find(parseAddress(address), request.discover, from.app);
    checkUsable(found, request.trust, this.catalogue);
    const provider = providerOf(found, this.catalogue);
    const attempt = async (other: Set<string>, only?: string[]) => {
      const parsed = parseOptions(asOptions(found, provider, request.rest, other), 'add', from.files);
      const plan: NewAccount = { ...planNewAccount(provider, found.address.address, parsed), discovered: { source: found.source, domain: found.domain } };
      const given = checkGivenSecrets(plan.protocols, parsed.secrets, secrets);
      for (const name of Object.keys(given)) reserved(name);
      const checked = await this.checker.run(from.app, () => checkProtocols(only ? { ...plan, protocols: only } : plan, givenSecrets(given)));
      return { plan, given, checked };
    };
    const first = await attempt(new Set());
    const refused = Object.entries(first.checked).filter(([, r]) => r.code === 'Unauthorized').map(([p]) => p);
    let final = first;
    if (refused.length && Object.values(first.checked).every((r) => r.ok || r.code === 'Unauthorized')) {
      const second = await attempt(new Set(refused), refused);
      final = { ...second, checked: { ...first.checked, ...second.checked } };
    }
    const failed = Object.entries(final.checked).filter(([, r]) => !r.ok);
    if (failed.length) throw new AccountsError('VerificationFailed', failed.map(([p, r]) => `${p}: ${r.code}: ${r.message}`).join('; '));
    learn(final.plan, final.checked);
    return this.create(provider, final.plan, final.given, final.checked);
  }

  /**
   * A new account from a completed OAuth2 sign-in: its tokens go to the Secret Service as the
   * `oauth2` secret. With `verify`, every protocol is checked with the new token first.
   */
  async addSignedIn(providerId: string, username: string, record: TokenRecord, options: { name?: string; protocols?: string[]; verify?: boolean }): Promise<AccountState> {
    const provider = findProvider(this.catalogue, providerId);
    const plan: NewAccount = { ...planNewAccount(provider, username, { ...options, settings: {}, secrets: {} }), auth: 'oauth2' };
    checkTokenProtocols(plan.protocols);
    let checked: CheckResults | undefined;
    if (options.verify) {
      const token = record.tokens['']!.access_token;
      checked = await this.checker.run(`sign-in of ${plan.username}`, () => checkProtocols(plan, { names: [], get: async () => null, token: async () => token }));
      const failed = Object.entries(checked).filter(([, r]) => !r.ok);
      if (failed.length) throw new AccountsError('VerificationFailed', failed.map(([p, r]) => `${p}: ${r.code}: ${r.message}`).join('; '));
    }
    return this.create(provider, plan, { [TOKEN_SECRET]: JSON.stringify(record) }, checked);
  }

  /** Secrets first, file last: a file never names a secret that is not stored. */
  private async create(provider: Provider, plan: NewAccount, secrets: Record<string, string>, checked: CheckResults | undefined): Promise<AccountState> {
    const names = Object.keys(secrets).sort();
    const key = duplicateKey(plan, provider.manual);
    if (this.byKey.has(key) || this.reservedKeys.has(key)) {
      throw new AccountsError('Duplicate', `an account for ${plan.username} with provider ${provider.id} already exists${this.byKey.has(key) ? ` (${this.byKey.get(key)})` : ''}`);
    }
    const id = freeId(baseId(provider.id, plan.username), (c) => this.states.has(c) || this.reservedIds.has(c) || this.store.occupied(c));
    this.reservedIds.add(id);
    this.reservedKeys.add(key);
    try {
      const config: AccountConfig = { ...plan, id, credentials: names };
      const stored: string[] = [];
      try {
        for (const name of names) {
          await this.secrets.set(id, name, secrets[name]);
          stored.push(name);
        }
        const doc = await this.store.write(config, undefined);
        const state: AccountState = { config, status: INITIAL_STATUS, doc };
        if (checked) state.status = nextStatus(state.status, verdict(checked));
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

  update(id: string, changes: Variants, files = true): Promise<void> {
    return this.lock.run(id, async () => {
      await this.syncFromDisk(id);
      const state = this.require(id);
      const provider = findProvider(this.catalogue, state.config.provider);
      const next = planUpdate(state.config, provider, parseOptions(changes, 'update', files));
      if (next.auth === 'oauth2') checkTokenProtocols(next.protocols);
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
      await this.syncFromDisk(id);
      const state = this.require(id);
      value = checkSecret(state.config.protocols, checkSecretName(name), value);
      reserved(name);
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
      this.listener?.secretChanged(state, name);
    });
  }

  async getSecret(id: string, name: string): Promise<string> {
    const state = this.require(id);
    checkSecretName(name);
    if (name === TOKEN_SECRET && state.config.auth === 'oauth2') {
      throw new AccountsError('AccessDenied', `the OAuth2 tokens of account ${id} are not handed out as a secret: ask OAuth2.GetAccessToken for an access token`);
    }
    // Credentials is the list of what is stored: an unlisted name needs no keyring round trip.
    if (!state.config.credentials.includes(name)) throw new AccountsError('NotFound', `account ${id} has no secret named '${name}'`);
    const value = await this.secrets.get(state.config.id, name);
    if (value === null) throw new AccountsError('NotFound', `the secret '${name}' of account ${id} is missing from the Secret Service`);
    return value;
  }

  deleteSecret(id: string, name: string): Promise<void> {
    return this.lock.run(id, async () => {
      await this.syncFromDisk(id);
      const state = this.require(id);
      checkSecretName(name);
      reserved(name);
      const listed = state.config.credentials.includes(name);
      if (!listed) {
        if (!(await this.secrets.delete(id, name))) throw new AccountsError('NotFound', `account ${id} has no secret named '${name}'`);
        return;
      }
      // Probe first (fail before changing anything), then the file, then the keyring: a crash in
      // between leaves an orphan secret (removed at start-up), never a file naming a missing one.
      await this.secrets.get(id, name);
      await this.commit(state, { ...state.config, credentials: state.config.credentials.filter((c) => c !== name) });
      await this.forgetSecrets(id, [name]);
      this.listener?.secretChanged(state, name);
    });
  }

  remove(id: string): Promise<void> {
    return this.lock.run(id, async () => {
      await this.syncFromDisk(id);
      const state = this.require(id);
      const names = state.config.credentials;
      // Fail before touching anything if the secrets could not be deleted afterwards.
      if (names.length) await this.secrets.get(id, names[0]);
      // A Nextcloud app password is revoked at the server once the account is gone (best effort).
      const appPassword = this.catalogue.get(state.config.provider)?.auth === 'nextcloud' && names.includes('password') ? await this.secrets.get(id, 'password').catch(() => null) : null;
      await this.store.remove(id);
      this.drop(id);
      this.checker.forget(id);
      await this.forgetSecrets(id, names);
      log.info(`account ${id} removed`);
      if (appPassword) revokeOnRemoval(state.config, appPassword);
    });
  }

  /** The tokens of an OAuth2 account, from the Secret Service. */
  async readTokens(id: string): Promise<TokenRecord> {
    const state = this.require(id);
    if (state.config.auth !== 'oauth2') throw invalidArgument(`account ${id} does not sign in with OAuth2`);
    const text = await this.secrets.get(id, TOKEN_SECRET);
    if (text === null) throw new AccountsError('NotAuthorized', `the OAuth2 tokens of account ${id} are missing from the Secret Service: sign in again`);
    return parseRecord(text);
  }

  /** Stores an OAuth2 account's tokens (a refresh, or a new sign-in with `signedIn`: attention cleared). */
  writeTokens(id: string, record: TokenRecord, signedIn = false): Promise<void> {
    return this.lock.run(id, async () => {
      const state = this.require(id);
      if (state.config.auth !== 'oauth2') throw invalidArgument(`account ${id} does not sign in with OAuth2`);
      await this.secrets.set(id, TOKEN_SECRET, JSON.stringify(record));
      if (!state.config.credentials.includes(TOKEN_SECRET)) {
        await this.commit(state, { ...state.config, credentials: [...state.config.credentials, TOKEN_SECRET].sort() });
      }
      if (signedIn) this.setStatus(state, { attentionNeeded: false });
    });
  }

  /** The provider refused an account's grant: it needs a new sign-in. */
  tokensRefused(id: string, message: string): void {
    const state = this.states.get(id);
    if (state) this.setStatus(state, { status: 'error', message: checkStatusMessage(message), attentionNeeded: true });
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

  /**
   * Deletes secrets that belong to no account (or to a name the account does not list).
   * Each is decided under its account's lock, so an add or SetSecret in progress keeps its own.
   */
  async removeOrphanSecrets(stored: Array<{ id: string; name: string; item: string }>, remove: (item: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const s of stored) {
      await this.lock.run(s.id, async () => {
        if (this.reservedIds.has(s.id) || this.states.get(s.id)?.config.credentials.includes(s.name)) return;
        if (!this.states.has(s.id) && this.store.occupied(s.id)) return; // a file we could not parse may still own it
        if (await remove(s.item)) {
          removed++;
          log.notice(`removed orphaned secret '${s.name}' of ${this.states.has(s.id) ? 'account' : 'missing account'} ${s.id}`);
        }
      });
    }
    return removed;
  }

  /** Checks every enabled protocol now (merged with a check already running) and returns the results. */
  verify(id: string): Promise<CheckResults> {
    this.require(id);
    return this.checker.request(id, true);
  }

  /** Queues background checks; every account when `ids` is empty. Unknown ids queue nothing. */
  checkInBackground(ids: string[]): void {
    for (const id of ids) this.require(id);
    if (ids.length === 0) {
      this.checker.sweep([...this.states.keys()], (id) => this.states.has(id));
      return;
    }
    for (const id of ids) this.checker.request(id).catch((err: Error) => {
      log.info(`background check of ${id} did not run: ${err.message}`);
    });
  }

  /** ValidateCredentials: the same checks as verify on add, with the given secrets, saving nothing. */
  async validate(providerId: string, identifier: string, secrets: Record<string, string>, options: Variants, from: Origin = SELF): Promise<CheckResults> {
    const parsed = parseOptions(options, 'add', from.files);
    const plan = planNewAccount(findProvider(this.catalogue, providerId), identifier, parsed);
    const given = checkGivenSecrets(plan.protocols, parsed.secrets, secrets);
    return this.checker.run(from.app, () => checkProtocols(plan, givenSecrets(given)));
  }

  /** One check of a stored account, applied to its status and settings (what the protocols learned). */
  private async runCheck(id: string): Promise<{ results: CheckResults; ok: boolean }> {
    const state = this.require(id);
    const config = state.config;
    const source: SecretSource = {
      names: config.credentials, get: (name) => this.secrets.get(id, name),
      token: async (protocol, renew) => {
        if (!this.tokens) throw new AccountsError('NotConfigured', 'OAuth2 is not available in this service');
        return (await this.tokens.token(id, protocol, renew)).access_token;
      },
    };
    const results = await checkProtocols(config, source);
    await this.lock.run(id, async () => {
      const current = this.states.get(id);
      if (!current) return; // removed while checking
      // Learn only where the settings checked are still the account's (they may have been
      // edited meanwhile); compare values, not object identity, since a reload replaces the object.
      const unchanged = (p: string) => JSON.stringify(config.settings[p]) === JSON.stringify(current.config.settings[p]);
      const next = structuredClone(current.config);
      const learned = learn(next, results, unchanged);
      if (learned.length) {
        await this.commit(current, next);
        log.notice(`account ${id}: learned ${learned.join(', ')}`);
      }
      this.setStatus(current, verdict(results));
    });
    const ok = Object.values(results).every((r) => r.ok);
    log.info(`account ${id} checked: ${Object.entries(results).map(([p, r]) => `${p} ${r.code}`).join(', ')}`);
    return { results, ok };
  }

  /** Re-reads one file after someone changed the directory. */
  reload(id: string): Promise<void> {
    return this.lock.run(id, () => this.syncFromDisk(id, false));
  }

  /**
   * Brings one account in line with its file. Also run before every change, under the
   * account's lock: a hand edit the watcher has not reported yet is merged, not overwritten.
   */
  private async syncFromDisk(id: string, forChange = true): Promise<void> {
    const result = await this.store.read(id);
    const state = this.states.get(id);
    if (result.kind !== 'invalid') this.invalidSince.delete(id);
    if (result.kind === 'missing') {
      if (state) log.info(`account ${id} removed: its file was deleted`);
      this.drop(id);
    } else if (result.kind === 'invalid') {
      if (forChange && state) {
        // Never overwrite a file a person is in the middle of editing.
        throw new AccountsError('Io', `account file ${this.store.pathOf(id)} cannot be used (${result.reason}); fix or remove it first`);
      }
      // An editor writing in place shows a half-written file for a moment: drop the account
      // only if the file is still broken a little later.
      const since = this.invalidSince.get(id);
      if (state && since === undefined) {
        this.invalidSince.set(id, Date.now());
        setTimeout(() => void this.reload(id).catch(() => undefined), INVALID_GRACE_MS).unref();
        return;
      }
      if (state && Date.now() - since! < INVALID_GRACE_MS) return;
      if (state || since === undefined) log.warning(`account file ${this.store.pathOf(id)} skipped: ${result.reason}`);
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
  }
}
