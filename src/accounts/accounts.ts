/**
 * The accounts of this user and every operation on them, independent of D-Bus: a thin facade
 * over the parts that do one job each —
 *  - account-index.ts: the accounts as on disk (loading, live reload of the files, writing back, events)
 *  - admin-rules.ts: the administrator's policy applied to them
 *  - checks.ts: checks, status transitions and what a check teaches
 *  - tokens.ts: OAuth2 accounts' tokens
 *  - adds.ts: new accounts (AddAccount, discovery, sign-ins, import)
 *  - operations.ts: changes to an account and its removal
 * Operations on one account are serialised; each either completes or leaves files and secrets
 * as they were. Listeners (`events`) hear about every change, whoever made it (a call or a hand edit).
 */
import type { Catalogue, Provider } from '../providers/catalogue.js';
import type { SecretStore } from '../secrets/secret-service.js';
import type { IniDoc } from '../store/account-file.js';
import type { AccountStore } from '../store/account-store.js';
import type { AccountConfig } from '../model/account.js';
import type { TokenRecord } from '../oauth2/tokens.js';
import type { CheckResults } from '../verify/check.js';
import type { Checker, CheckerOptions } from '../verify/checker.js';
import type { Discovered } from '../discovery/discovery.js';
import type { Policy } from '../admin/policy.js';
import type { ProvisionedAccounts } from '../admin/provisioned.js';
import { AccountIndex, type AccountEvents, type AccountState } from './account-index.js';
import { AdminRules, type PolicyConfig } from './admin-rules.js';
import { AccountChecks } from './checks.js';
import { AccountTokens } from './tokens.js';
import { AccountAdds } from './adds.js';
import { AccountOperations } from './operations.js';
import { SELF, type Origin, type Variants } from './secret-rules.js';
import type { EventEmitter } from 'node:events';

export type { AccountEvents, AccountListener, AccountState } from './account-index.js';
export type { Origin } from './secret-rules.js';

export interface AccountsDeps {
  readonly store: AccountStore;
  readonly secrets: SecretStore;
  readonly catalogue: Catalogue;
  /** The accounts the administrator provisions (docs/policy.md), loaded with the person's. */
  readonly provisioned?: ProvisionedAccounts;
  readonly checker?: CheckerOptions;
}

const DEFAULT_CHECKER: CheckerOptions = { concurrency: 8, retry: false, firstRetryMs: 60_000, maxRetryMs: 3_600_000 };

export class Accounts {
  readonly catalogue: Catalogue;
  /** Every change to the accounts (AccountEvents), whoever made it. */
  readonly events: EventEmitter<AccountEvents>;
  /** OAuth2 accounts' tokens (read, write: the one way to them) and the keeper that hands out access tokens. */
  readonly tokens: AccountTokens;
  private readonly index: AccountIndex;
  private readonly rules: AdminRules;
  private readonly checks: AccountChecks;
  private readonly adds: AccountAdds;
  private readonly operations: AccountOperations;

  constructor(deps: AccountsDeps) {
    const { store, secrets, catalogue } = deps;
    this.catalogue = catalogue;
    this.index = new AccountIndex({ store, catalogue, provisioned: deps.provisioned });
    this.events = this.index.events;
    this.rules = new AdminRules(catalogue, this.index);
    this.tokens = new AccountTokens({ index: this.index, secrets, catalogue });
    this.checks = new AccountChecks({
      index: this.index,
      secrets,
      catalogue,
      tokens: this.tokens,
      checker: deps.checker ?? DEFAULT_CHECKER,
    });
    // The tokens tell the checks' status of a grant refused or renewed (the two need each
    // other: a check asks for a token). Subscribed first, a removed account's cached tokens go
    // before anyone else hears of the removal.
    this.tokens.on('refused', (id, message) => this.checks.tokensRefused(id, message));
    this.tokens.on('signedIn', (state) => this.checks.setStatus(state, { attentionNeeded: false }));
    this.events.on('removed', (id) => this.tokens.keeper.forget(id));
    const parts = { index: this.index, store, secrets, catalogue, rules: this.rules, checks: this.checks };
    this.adds = new AccountAdds(parts);
    this.operations = new AccountOperations(parts);
  }

  /** The one queue of checks (src/verify/checker.ts). */
  get checker(): Checker {
    return this.checks.checker;
  }

  // The index

  get(id: string): AccountState | undefined {
    return this.index.get(id);
  }

  all(): IterableIterator<AccountState> {
    return this.index.all();
  }

  get size(): number {
    return this.index.size;
  }

  /** Loads every account file; call once before serving. */
  load(): void {
    this.index.load();
  }

  /** Re-reads one file after someone changed the directory. */
  reload(id: string): Promise<void> {
    return this.index.reload(id);
  }

  /** The service stops: no file is looked at again (a broken file's grace ends with it). */
  stopReloading(): void {
    this.index.stopReloading();
  }

  removeOrphanSecrets(
    stored: Array<{ id: string; name: string; item: string }>,
    remove: (item: string) => Promise<boolean>,
  ): Promise<number> {
    return this.index.removeOrphanSecrets(stored, remove);
  }

  // The administrator's policy

  checkPolicy(config: PolicyConfig, before?: AccountConfig): void {
    this.rules.checkPolicy(config, before);
  }

  policyViolation(state: AccountState): string {
    return this.rules.policyViolation(state);
  }

  providerRefusal(provider: Provider): string {
    return this.rules.providerRefusal(provider);
  }

  setPolicy(policy: Policy): void {
    this.rules.setPolicy(policy);
  }

  // New accounts

  add(
    providerId: string,
    identifier: string,
    secrets: Record<string, string>,
    options: Variants,
    from: Origin = SELF,
  ): Promise<AccountState> {
    return this.adds.add(providerId, identifier, secrets, options, from);
  }

  discover(address: string, options: Variants, from: Origin = SELF): Promise<Discovered> {
    return this.adds.discover(address, options, from);
  }

  addSignedIn(
    providerId: string,
    username: string,
    record: TokenRecord,
    options: { name?: string; protocols?: string[]; verify?: boolean },
  ): Promise<AccountState> {
    return this.adds.addSignedIn(providerId, username, record, options);
  }

  restore(wanted: string, file: AccountConfig, doc: IniDoc, secrets: Record<string, string>): Promise<AccountState> {
    return this.adds.restore(wanted, file, doc, secrets);
  }

  // Changes to an account

  update(id: string, changes: Variants, files = true): Promise<void> {
    return this.operations.update(id, changes, files);
  }

  rename(id: string, name: string): Promise<void> {
    return this.operations.rename(id, name);
  }

  setSecret(id: string, name: string, value: string): Promise<void> {
    return this.operations.setSecret(id, name, value);
  }

  getSecret(id: string, name: string): Promise<string> {
    return this.operations.getSecret(id, name);
  }

  deleteSecret(id: string, name: string): Promise<void> {
    return this.operations.deleteSecret(id, name);
  }

  secretsOf(id: string): Promise<Record<string, string>> {
    return this.operations.secretsOf(id);
  }

  muteError(id: string, code: string): Promise<void> {
    return this.operations.muteError(id, code);
  }

  unmuteError(id: string, code: string): Promise<void> {
    return this.operations.unmuteError(id, code);
  }

  setData(id: string, app: string, key: string, value: string): Promise<void> {
    return this.operations.setData(id, app, key, value);
  }

  remove(id: string): Promise<void> {
    return this.operations.remove(id);
  }

  // Checks and status

  verify(id: string): Promise<CheckResults> {
    return this.checks.verify(id);
  }

  checkInBackground(ids: string[]): void {
    this.checks.checkInBackground(ids);
  }

  validate(
    providerId: string,
    identifier: string,
    secrets: Record<string, string>,
    options: Variants,
    from: Origin = SELF,
  ): Promise<CheckResults> {
    return this.checks.validate(providerId, identifier, secrets, options, from);
  }

  reportStatus(id: string, status: string, message: string): void {
    this.checks.reportStatus(id, status, message);
  }
}
