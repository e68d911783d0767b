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
import { ACCOUNT_ID, baseId, duplicateKey, freeId, type AccountConfig } from '../model/account.js';
import { parseOptions } from './options.js';
import { checkFailure } from '../verify/failure.js';
import { findProvider, planNewAccount, planUpdate, type NewAccount } from './plan.js';
import { checkPlainDict, checkSecretName, checkSecretValue, MAX_SECRETS_PER_CALL } from '../util/validate.js';
import { findProtocol, requireProtocol } from '../protocols/registry.js';
import { parseRecord, TOKEN_SECRET, type TokenKeeper, type TokenRecord } from '../oauth2/tokens.js';
import { checkProtocols, verdict, type CheckResults, type SecretSource } from '../verify/check.js';
import { Checker, type CheckerOptions } from '../verify/checker.js';
import type { Discovered, Discovery } from '../discovery/discovery.js';
import { parseAddress } from '../discovery/address.js';
import { asOptions, checkUsable, keepHomeSets, providerOf, splitOptions } from './discovered.js';
import { revokeOnRemoval } from '../nextcloud/sign-in.js';
import { checkParent, childrenOf, gateOf, needsText, parentKind, proxyRoute, proxySecretName } from './parents.js';
import { applyMutes, checkFailureCode } from '../model/muted.js';
import { withData } from '../model/app-data.js';
import type { ProxyRoute } from '../protocols/common/types.js';
import { NO_POLICY, refusal, violations, type Policy, type PolicySubject } from '../admin/policy.js';
import { overriddenServers } from '../admin/overridden.js';
import { isProvisionedId, type ProvisionedAccounts } from '../admin/provisioned.js';

export interface AccountState {
  config: AccountConfig;
  status: AccountStatus;
  doc: IniDoc;
  /** The administrator's file of a provisioned account (src/admin/provisioned.ts): locked, only its secrets are the person's. */
  provisioned?: string;
}

export interface AccountListener {
  added(state: AccountState): void;
  /** Settings changed; `before` is the previous configuration. */
  changed(state: AccountState, before: AccountConfig): void;
  removed(id: string): void;
  statusChanged(state: AccountState, before: AccountStatus): void;
  /** A secret was set or deleted (what reads it, a wallet's API key, may start again). */
  secretChanged(state: AccountState, name: string): void;
  /** A new administrator's policy changed what the account breaks (Account.PolicyViolation). */
  policyChanged?(state: AccountState): void;
}

type Variants = Record<string, { signature: string; value: unknown }>;

/** Who asks for an add or a check: whether the service may read files they name, and their app (its share of checks). */
export interface Origin {
  readonly files: boolean;
  readonly app: string;
}
/** The service itself, or a test calling in-process. */
const SELF: Origin = { files: true, app: 'px-accounts-service' };

/** How long a live account's file may stay unparsable before its object goes away. */
const INVALID_GRACE_MS = 150;

/**
 * The secrets of an add or a check: those an import produced (a profile's keys) under those
 * given by name, each checked by name and value, and by every protocol that reads it.
 */
function checkGivenSecrets(
  protocols: readonly string[],
  imported: Record<string, string>,
  given: Record<string, string>,
): Record<string, string> {
  checkPlainDict(given, 'secrets');
  const n = Object.keys(given).length;
  if (n > MAX_SECRETS_PER_CALL)
    throw new AccountsError('InvalidArgument', `secrets: ${n} given, at most ${MAX_SECRETS_PER_CALL} per call`);
  const secrets = { ...imported, ...given };
  for (const [name, value] of Object.entries(secrets))
    secrets[name] = checkSecret(protocols, checkSecretName(name), value);
  return secrets;
}

/** A secret's value, checked as text and by each protocol that reads it (an OpenVPN key block). */
function checkSecret(protocols: readonly string[], name: string, value: string): string {
  let out = checkSecretValue(value, name);
  for (const p of protocols) {
    const plugin = requireProtocol(p, 'protocols');
    if (plugin.checkSecret && (plugin.secrets.includes(name) || name === 'password' || name === p))
      out = plugin.checkSecret(name, out);
  }
  return out;
}

/** The `oauth2` secret is the service's: SetSecret and DeleteSecret may not touch it. */
function reserved(name: string): void {
  if (name === TOKEN_SECRET)
    throw invalidArgument(
      `the secret name ${TOKEN_SECRET} is reserved for OAuth2 tokens (sign in again with Account.SignInAgain)`,
    );
}

/** OAuth2 accounts enable only protocols that sign in with tokens. */
function checkTokenProtocols(protocols: readonly string[]): void {
  for (const p of protocols) {
    const plugin = requireProtocol(p, 'protocols');
    if (!plugin.tokens)
      throw new AccountsError('UnsupportedProtocol', `${plugin.title} cannot sign in with OAuth2 tokens`);
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
function learn(
  config: { settings: AccountConfig['settings'] },
  results: CheckResults,
  only?: (p: string) => boolean,
): string[] {
  const learned: string[] = [];
  for (const [p, result] of Object.entries(results)) {
    const settings = config.settings[p];
    const next = settings && (only?.(p) ?? true) ? findProtocol(p)?.learn?.(result, settings) : undefined;
    if (!next) continue;
    config.settings[p] = next;
    learned.push(
      ...Object.keys(next)
        .filter((k) => next[k] !== settings![k])
        .map((k) => `${p}.${k} ${next[k]}`),
    );
  }
  return learned;
}

/** What the policy is checked against: a plan, an account, or (a sign-in not yet made) a provider and protocols. */
type PolicyConfig = Pick<AccountConfig, 'provider' | 'protocols' | 'discovered'> &
  Partial<Pick<AccountConfig, 'username' | 'settings'>>;

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
  /** The administrator's policy (src/admin/policy.ts), replaced when policy.ini changes. */
  private policy: Policy = NO_POLICY;
  /** Accounts the administrator provisions (set by the service before load). */
  provisioned: ProvisionedAccounts | undefined;

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

  /** A provisioned account cannot be changed or removed by the person (AccessDenied). */
  private unlocked(state: AccountState): void {
    if (state.provisioned) {
      throw new AccountsError(
        'AccessDenied',
        `account ${state.config.id} is provisioned by the administrator (${state.provisioned}): it cannot be changed, renamed or removed; only its secrets are yours to set`,
      );
    }
  }

  private subject(config: PolicyConfig): PolicySubject {
    const provider = this.catalogue.get(config.provider);
    return {
      provider: config.provider,
      manual: provider?.manual ?? false,
      discovered: config.discovered !== undefined,
      protocols: config.protocols,
      overridden:
        config.username === undefined
          ? []
          : overriddenServers(provider, {
              username: config.username,
              protocols: config.protocols,
              settings: config.settings,
            }),
    };
  }

  /** Refuses, with AccessDenied naming the rule, a new account (or an update from `before`) the administrator's policy does not allow. */
  checkPolicy(config: PolicyConfig, before?: AccountConfig): void {
    const why = refusal(this.policy, this.subject(config), before && this.subject(before));
    if (why) throw new AccountsError('AccessDenied', why);
  }

  /** The rules of the policy an existing account breaks, '' for none (provisioned accounts are the administrator's own). */
  policyViolation(state: AccountState): string {
    return state.provisioned ? '' : violations(this.policy, this.subject(state.config)).join('; ');
  }

  /** Why the policy refuses new accounts of a provider whatever their protocols, '' when it does not (ListProviders). */
  providerRefusal(provider: Provider): string {
    return (
      refusal(this.policy, { provider: provider.id, manual: provider.manual, discovered: false, protocols: [] }) ?? ''
    );
  }

  /** A new policy (policy.ini changed): listeners hear of every account whose PolicyViolation changed. Nothing is deleted. */
  setPolicy(policy: Policy): void {
    const before = new Map([...this.states].map(([id, s]) => [id, this.policyViolation(s)]));
    this.policy = policy;
    for (const [id, state] of this.states)
      if (this.policyViolation(state) !== before.get(id)) this.listener?.policyChanged?.(state);
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
    // The administrator's accounts first: a person's own account of the same user is the duplicate.
    for (const id of this.provisioned?.ids() ?? []) {
      const r = this.provisioned!.read(id);
      if (r.kind === 'ok')
        this.insert({
          config: r.file.config,
          status: INITIAL_STATUS,
          doc: r.file.doc,
          provisioned: this.provisioned!.pathOf(id),
        });
      else if (r.kind === 'invalid')
        log.warning(`provisioned account ${this.provisioned!.pathOf(id)} skipped: ${r.reason}`);
    }
    for (const file of this.store.loadAll()) {
      if (isProvisionedId(file.config.id)) {
        log.warning(
          `account file ${this.store.pathOf(file.config.id)} skipped: ids beginning with provisioned_ are kept for accounts the administrator provisions`,
        );
        continue;
      }
      const key = this.keyOf(file.config);
      const other = this.byKey.get(key);
      if (other) {
        log.warning(
          `account file ${this.store.pathOf(file.config.id)} skipped: it duplicates account ${other} (same provider and user name)`,
        );
        continue;
      }
      this.insert({ config: file.config, status: INITIAL_STATUS, doc: file.doc });
    }
  }

  async add(
    providerId: string,
    identifier: string,
    secrets: Record<string, string>,
    options: Variants,
    from: Origin = SELF,
  ): Promise<AccountState> {
    if (providerId === '') return this.addDiscovered(identifier, secrets, options, from);
    const provider = findProvider(this.catalogue, providerId);
    if (provider.auth === 'oauth2') {
      throw invalidArgument(
        `${provider.name} accounts sign in with OAuth2, not a password: use Manager.SignIn (px-accounts add -provider ${provider.id} -account NAME with no password)`,
      );
    }
    const parsed = parseOptions(options, 'add', from.files);
    const plan = planNewAccount(provider, identifier, parsed);
    this.checkPolicy(plan); // before any check reaches a server
    this.checkParentOf(plan);
    secrets = checkGivenSecrets(plan.protocols, parsed.secrets, secrets);
    for (const name of Object.keys(secrets)) reserved(name);
    let checked: CheckResults | undefined;
    if (parsed.verify) {
      checked = await this.checker.run(from.app, () => this.gatedCheck(plan, givenSecrets(secrets)));
      const failed = Object.entries(checked).filter(([, r]) => !r.ok);
      if (failed.length) {
        throw checkFailure(failed);
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
  private async addDiscovered(
    address: string,
    secrets: Record<string, string>,
    options: Variants,
    from: Origin,
  ): Promise<AccountState> {
    const request = splitOptions(options);
    const found = await (await this.discoverer()).find(parseAddress(address), request.discover, from.app);
    checkUsable(found, request.trust, this.catalogue);
    const provider = providerOf(found, this.catalogue);
    const attempt = async (other: Set<string>, only?: string[]) => {
      const parsed = parseOptions(asOptions(found, provider, request.rest, other), 'add', from.files);
      const plan: NewAccount = {
        ...planNewAccount(provider, found.address.address, parsed),
        discovered: { source: found.source, domain: found.domain },
      };
      this.checkPolicy(plan);
      this.checkParentOf(plan);
      const given = checkGivenSecrets(plan.protocols, parsed.secrets, secrets);
      for (const name of Object.keys(given)) reserved(name);
      const checked = await this.checker.run(from.app, () =>
        this.gatedCheck(only ? { ...plan, protocols: only } : plan, givenSecrets(given)),
      );
      return { plan, given, checked };
    };
    const first = await attempt(new Set());
    const refused = Object.entries(first.checked)
      .filter(([, r]) => r.code === 'Unauthorized')
      .map(([p]) => p);
    let final = first;
    if (refused.length && Object.values(first.checked).every((r) => r.ok || r.code === 'Unauthorized')) {
      const second = await attempt(new Set(refused), refused);
      final = { ...second, checked: { ...first.checked, ...second.checked } };
    }
    const failed = Object.entries(final.checked).filter(([, r]) => !r.ok);
    if (failed.length) throw checkFailure(failed);
    learn(final.plan, final.checked);
    keepHomeSets(final.plan, provider, request.rest, final.checked);
    return this.create(provider, final.plan, final.given, final.checked);
  }

  /**
   * A new account from a completed OAuth2 sign-in: its tokens go to the Secret Service as the
   * `oauth2` secret. With `verify`, every protocol is checked with the new token first.
   */
  async addSignedIn(
    providerId: string,
    username: string,
    record: TokenRecord,
    options: { name?: string; protocols?: string[]; verify?: boolean },
  ): Promise<AccountState> {
    const provider = findProvider(this.catalogue, providerId);
    const plan: NewAccount = {
      ...planNewAccount(provider, username, { ...options, settings: {}, secrets: {} }),
      auth: 'oauth2',
    };
    checkTokenProtocols(plan.protocols);
    let checked: CheckResults | undefined;
    if (options.verify) {
      const token = record.tokens['']!.access_token;
      checked = await this.checker.run(`sign-in of ${plan.username}`, () =>
        checkProtocols(plan, { names: [], get: async () => null, token: async () => token }),
      );
      const failed = Object.entries(checked).filter(([, r]) => !r.ok);
      if (failed.length) throw checkFailure(failed);
    }
    return this.create(provider, plan, { [TOKEN_SECRET]: JSON.stringify(record) }, checked);
  }

  /** Secrets first, file last: a file never names a secret that is not stored. */
  private async create(
    provider: Provider,
    plan: NewAccount,
    secrets: Record<string, string>,
    checked: CheckResults | undefined,
  ): Promise<AccountState> {
    this.checkPolicy(plan); // every way of adding ends here (AddAccount, discovery, sign-ins)
    this.checkParentOf(plan);
    const names = Object.keys(secrets).sort();
    const key = duplicateKey(plan, provider.manual);
    if (this.byKey.has(key) || this.reservedKeys.has(key)) {
      throw new AccountsError(
        'Duplicate',
        `an account for ${plan.username} with provider ${provider.id} already exists${this.byKey.has(key) ? ` (${this.byKey.get(key)})` : ''}`,
      );
    }
    const base = baseId(provider.id, plan.username);
    // provisioned_ is the administrator's (a provider of that name is the only way to reach it)
    const id = freeId(
      isProvisionedId(base) ? `p${base}` : base,
      (c) => this.states.has(c) || this.reservedIds.has(c) || this.store.occupied(c),
    );
    this.reservedIds.add(id);
    this.reservedKeys.add(key);
    try {
      const config: AccountConfig = { ...plan, id, credentials: names };
      const stored: string[] = [];
      try {
        for (const name of names) {
          const value = secrets[name];
          if (value === undefined) continue;
          await this.secrets.set(id, name, value);
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

  /**
   * Import (src/transfer): an exported account's file, read back, with its secrets, as a new
   * account under the id it had (`_2`, … when taken) — checked as an add is (policy,
   * duplicates, every secret by name and value), then secrets first and file last with the
   * same rollback. Throws Duplicate rather than overwrite anything.
   */
  async restore(
    wanted: string,
    file: AccountConfig,
    doc: IniDoc,
    secrets: Record<string, string>,
  ): Promise<AccountState> {
    // Only the service's own discovery (AddAccount with no provider) makes a discovered account:
    // a file's `source` line is not believed, so an imported account set up by hand is manual.
    const config: AccountConfig = { ...file };
    delete config.discovered;
    this.checkPolicy(config);
    // a parent already here must be one this account can have (a proxy or VPN, no loop); one
    // not here (yet) leaves the account waiting: "needs <id> (no such account)", nothing sent
    if (config.parent && this.states.has(config.parent)) this.checkParentOf(config);
    const checked: Record<string, string> = {};
    for (const [name, value] of Object.entries(secrets)) {
      if (name === TOKEN_SECRET) {
        if (config.auth !== 'oauth2')
          throw invalidArgument(`the secret name ${TOKEN_SECRET} is for accounts that sign in with OAuth2`);
        parseRecord(value);
        checked[name] = value;
      } else {
        checked[name] = checkSecret(config.protocols, checkSecretName(name), value);
      }
    }
    const key = this.keyOf(config);
    const existing = this.byKey.get(key);
    if (existing || this.reservedKeys.has(key)) {
      throw new AccountsError(
        'Duplicate',
        `an account for ${config.username} with provider ${config.provider} already exists${existing ? ` (${existing})` : ''}`,
      );
    }
    const base =
      ACCOUNT_ID.test(wanted) && !isProvisionedId(wanted) ? wanted : baseId(config.provider, config.username);
    const id = freeId(
      isProvisionedId(base) ? `p${base}` : base,
      (c) => this.states.has(c) || this.reservedIds.has(c) || this.store.occupied(c),
    );
    this.reservedIds.add(id);
    this.reservedKeys.add(key);
    try {
      const names = Object.keys(checked).sort();
      const next: AccountConfig = { ...config, id, credentials: names };
      const stored: string[] = [];
      try {
        for (const name of names) {
          await this.secrets.set(id, name, checked[name]!);
          stored.push(name);
        }
        const state: AccountState = { config: next, status: INITIAL_STATUS, doc: await this.store.write(next, doc) };
        this.insert(state);
        log.info(`account ${id} imported (${next.provider}, ${next.protocols.join(', ')}; ${names.length} secrets)`);
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

  /** Export: an account's stored secrets by name (under its lock, so the list and the values agree); a listed one missing from the keyring is left out. */
  secretsOf(id: string): Promise<Record<string, string>> {
    return this.lock.run(id, async () => {
      const state = this.require(id);
      const out: Record<string, string> = {};
      for (const name of state.config.credentials) {
        const value = await this.secrets.get(id, name);
        if (value === null)
          log.warning(
            `export: the secret '${name}' of account ${id} is missing from the Secret Service; exported without it`,
          );
        else out[name] = value;
      }
      return out;
    });
  }

  update(id: string, changes: Variants, files = true): Promise<void> {
    return this.lock.run(id, async () => {
      await this.syncFromDisk(id);
      const state = this.require(id);
      this.unlocked(state);
      const provider = findProvider(this.catalogue, state.config.provider);
      const next = planUpdate(state.config, provider, parseOptions(changes, 'update', files));
      if (next.auth === 'oauth2') checkTokenProtocols(next.protocols);
      this.checkPolicy(next, state.config);
      this.checkFamily(state.config, next);
      await this.commit(state, next);
    });
  }

  /** Writes a new configuration and tells listeners, if anything changed. */
  private async commit(state: AccountState, next: AccountConfig): Promise<void> {
    if (JSON.stringify(next) === JSON.stringify(state.config)) return;
    // A provisioned account's file is the administrator's: only the person's side is saved.
    const doc = state.provisioned ? await this.savePersonal(state, next) : await this.store.write(next, state.doc);
    const before = state.config;
    state.config = next;
    state.doc = doc;
    this.listener?.changed(state, before);
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
      throw new AccountsError(
        'AccessDenied',
        `the OAuth2 tokens of account ${id} are not handed out as a secret: ask OAuth2.GetAccessToken for an access token`,
      );
    }
    // Credentials is the list of what is stored: an unlisted name needs no keyring round trip.
    if (!state.config.credentials.includes(name))
      throw new AccountsError('NotFound', `account ${id} has no secret named '${name}'`);
    const value = await this.secrets.get(state.config.id, name);
    if (value === null)
      throw new AccountsError('NotFound', `the secret '${name}' of account ${id} is missing from the Secret Service`);
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
        if (!(await this.secrets.delete(id, name)))
          throw new AccountsError('NotFound', `account ${id} has no secret named '${name}'`);
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
      this.unlocked(state);
      const children = childrenOf(id, this.states.values());
      // never leave accounts whose checks would then bypass the proxy or VPN they were given
      if (children.length)
        throw invalidArgument(
          `account ${id} is the parent of ${children.join(', ')}: give them another parent or none first (Update with parent)`,
        );
      const names = state.config.credentials;
      // Fail before touching anything if the secrets could not be deleted afterwards.
      const first = names[0];
      if (first !== undefined) await this.secrets.get(id, first);
      // A Nextcloud app password is revoked at the server once the account is gone (best effort).
      const appPassword =
        this.catalogue.get(state.config.provider)?.auth === 'nextcloud' && names.includes('password')
          ? await this.secrets.get(id, 'password').catch(() => null)
          : null;
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
    if (text === null)
      throw new AccountsError(
        'NotAuthorized',
        `the OAuth2 tokens of account ${id} are missing from the Secret Service: sign in again`,
      );
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
    if (state)
      this.setStatus(state, {
        status: 'error',
        message: checkStatusMessage(message),
        attentionNeeded: !state.config.muted?.includes('Unauthorized'),
      });
  }

  reportStatus(id: string, status: string, message: string): void {
    const state = this.require(id);
    this.setStatus(state, { status: checkStatus(status, message), message });
  }

  private setStatus(state: AccountState, change: Parameters<typeof nextStatus>[1]): void {
    const before = state.status;
    state.status = nextStatus(before, change);
    if (state.status === before) return;
    this.listener?.statusChanged(state, before);
    if ((before.status === 'online') !== (state.status.status === 'online')) this.parentMoved(state);
  }

  /**
   * A parent came online or went: its children are checked again (through the shared queue),
   * or say at once, without a check, that they need it.
   */
  private parentMoved(parent: AccountState): void {
    const online = parent.status.status === 'online';
    for (const id of childrenOf(parent.config.id, this.states.values())) {
      const child = this.states.get(id)!;
      if (online) {
        this.checker
          .request(id)
          .catch((err: Error) => log.info(`check of ${id} after its parent came online did not run: ${err.message}`));
      } else {
        this.setStatus(child, { status: 'offline', message: needsText(parent.config, parent.config.id) });
      }
    }
  }

  /** Refuses a parent that cannot be one (src/accounts/parents.ts); nothing to check without one. */
  private checkParentOf(config: Pick<AccountConfig, 'protocols' | 'parent'> & { id?: string }): void {
    if (config.parent) checkParent(config, config.parent, (x) => this.states.get(x)?.config);
  }

  /**
   * An update keeps the family sound: a new parent (or new protocols under a proxy) is checked,
   * and an account that is a parent stays one its children can have.
   */
  private checkFamily(before: AccountConfig, next: AccountConfig): void {
    if (next.parent && (next.parent !== before.parent || next.protocols.join() !== before.protocols.join()))
      this.checkParentOf(next);
    if (parentKind(next) === parentKind(before)) return;
    const lookup = (x: string) => (x === next.id ? next : this.states.get(x)?.config);
    for (const child of childrenOf(next.id, this.states.values()))
      checkParent(this.states.get(child)!.config, next.id, lookup);
  }

  /**
   * A check of settings not saved (ValidateCredentials, AddAccount's verify) behind the same gate
   * as a stored account's: while the parent is not online nothing is sent (every protocol
   * Unavailable, "needs <parent>"); through its proxy when it is one.
   */
  private async gatedCheck(
    config: Parameters<typeof checkProtocols>[0] & Pick<AccountConfig, 'parent'>,
    secrets: Parameters<typeof checkProtocols>[1],
  ): Promise<CheckResults> {
    const gate = gateOf(config, (x) => this.states.get(x));
    if (gate.kind === 'needs')
      return Object.fromEntries(
        config.protocols.map((p) => [p, { ok: false, code: 'Unavailable' as const, message: gate.message }]),
      );
    return checkProtocols(
      gate.kind === 'proxy' ? { ...config, via: await this.routeThrough(gate.parent) } : config,
      secrets,
    );
  }

  private async routeThrough(parent: AccountConfig): Promise<ProxyRoute> {
    const name = proxySecretName(parent);
    const password = name === undefined ? null : await this.secrets.get(parent.id, name);
    return proxyRoute(parent, password ?? '');
  }

  /** Account.MuteError: that kind of failure raises no AttentionNeeded until another kind comes. */
  muteError(id: string, code: string): Promise<void> {
    return this.lock.run(id, async () => {
      await this.syncFromDisk(id);
      const state = this.require(id);
      checkFailureCode(code);
      const muted = state.config.muted ?? [];
      if (!muted.includes(code)) await this.commit(state, { ...state.config, muted: [...muted, code] });
      // the person was told, and said so
      if (code === 'Unauthorized') this.setStatus(state, { attentionNeeded: false });
    });
  }

  /** Account.UnmuteError. */
  unmuteError(id: string, code: string): Promise<void> {
    return this.lock.run(id, async () => {
      await this.syncFromDisk(id);
      const state = this.require(id);
      checkFailureCode(code);
      const muted = (state.config.muted ?? []).filter((c) => c !== code);
      if (muted.length === (state.config.muted ?? []).length) return;
      const next: AccountConfig = { ...state.config, muted };
      if (!muted.length) delete next.muted;
      await this.commit(state, next);
    });
  }

  /** Account.SetData: `app`'s note `key` (prefixed with the app's name); '' removes it. */
  setData(id: string, app: string, key: string, value: string): Promise<void> {
    return this.lock.run(id, async () => {
      await this.syncFromDisk(id);
      const state = this.require(id);
      const data = withData(state.config.data, app, key, value);
      const next: AccountConfig = { ...state.config, ...(data ? { data } : {}) };
      if (!data) delete next.data;
      await this.commit(state, next);
    });
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
    for (const id of ids)
      this.checker.request(id).catch((err: Error) => {
        log.info(`background check of ${id} did not run: ${err.message}`);
      });
  }

  /** ValidateCredentials: the same checks as verify on add, with the given secrets, saving nothing. */
  async validate(
    providerId: string,
    identifier: string,
    secrets: Record<string, string>,
    options: Variants,
    from: Origin = SELF,
  ): Promise<CheckResults> {
    const parsed = parseOptions(options, 'add', from.files);
    const plan = planNewAccount(findProvider(this.catalogue, providerId), identifier, parsed);
    this.checkParentOf(plan);
    const given = checkGivenSecrets(plan.protocols, parsed.secrets, secrets);
    return this.checker.run(from.app, () => this.gatedCheck(plan, givenSecrets(given)));
  }

  /** One check of a stored account, applied to its status and settings (what the protocols learned). */
  private async runCheck(id: string): Promise<{ results: CheckResults; ok: boolean }> {
    const state = this.require(id);
    const config = state.config;
    const source: SecretSource = {
      names: config.credentials,
      get: (name) => this.secrets.get(id, name),
      token: async (protocol, renew) => {
        if (!this.tokens) throw new AccountsError('NotConfigured', 'OAuth2 is not available in this service');
        return (await this.tokens.token(id, protocol, renew)).access_token;
      },
    };
    // Reached through a parent that is not online: no check, the status says what it needs.
    const gate = gateOf(config, (x) => this.states.get(x));
    if (gate.kind === 'needs') {
      const results: CheckResults = Object.fromEntries(
        config.protocols.map((p) => [p, { ok: false, code: 'Unavailable' as const, message: gate.message }]),
      );
      const current = this.states.get(id);
      if (current) this.setStatus(current, { status: 'offline', message: gate.message });
      log.info(`account ${id} not checked: it ${gate.message}`);
      return { results, ok: false };
    }
    const via = gate.kind === 'proxy' ? await this.routeThrough(gate.parent) : undefined;
    const results = await checkProtocols(via ? { ...config, via } : config, source);
    await this.lock.run(id, async () => {
      const current = this.states.get(id);
      if (!current) return; // removed while checking
      // Learn only where the settings checked are still the account's (they may have been
      // edited meanwhile); compare values, not object identity, since a reload replaces the object.
      const unchanged = (p: string) =>
        JSON.stringify(config.settings[p]) === JSON.stringify(current.config.settings[p]);
      const next = structuredClone(current.config);
      const learned = learn(next, results, unchanged);
      if (learned.length) {
        await this.commit(current, next);
        log.notice(`account ${id}: learned ${learned.join(', ')}`);
      }
      // muted kinds of failure (Account.MuteError) raise no AttentionNeeded; another kind ends the mutes
      const mutes = applyMutes(current.config.muted, Object.values(results));
      if (mutes.muted.length !== (current.config.muted ?? []).length) {
        const unmuted = { ...current.config };
        delete unmuted.muted;
        await this.commit(current, unmuted);
        log.info(`account ${id}: a failure of another kind ended its muted errors`);
      }
      const v = verdict(results);
      this.setStatus(current, mutes.silenced && v.attentionNeeded ? { ...v, attentionNeeded: undefined } : v);
    });
    const ok = Object.values(results).every((r) => r.ok);
    log.info(
      `account ${id} checked: ${Object.entries(results)
        .map(([p, r]) => `${p} ${r.code}`)
        .join(', ')}`,
    );
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
    // provisioned_ ids are the administrator's files (a person's file of that name is never read)
    const admin = isProvisionedId(id) ? this.provisioned : undefined;
    const result = isProvisionedId(id) ? (admin?.read(id) ?? { kind: 'missing' as const }) : await this.store.read(id);
    const path = admin ? admin.pathOf(id) : this.store.pathOf(id);
    const state = this.states.get(id);
    if (result.kind !== 'invalid') this.invalidSince.delete(id);
    if (result.kind === 'missing') {
      if (state) log.info(`account ${id} removed: its file was deleted`);
      this.drop(id);
    } else if (result.kind === 'invalid') {
      if (forChange && state) {
        // Never overwrite a file a person is in the middle of editing.
        throw new AccountsError('Io', `account file ${path} cannot be used (${result.reason}); fix or remove it first`);
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
      if (state || since === undefined) log.warning(`account file ${path} skipped: ${result.reason}`);
      this.drop(id);
    } else if (!state) {
      if (this.reservedIds.has(id)) return; // our own add, still in progress
      const other = this.byKey.get(this.keyOf(result.file.config));
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
      this.listener?.changed(state, before);
    }
  }
}
