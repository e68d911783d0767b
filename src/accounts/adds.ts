/**
 * New accounts, every way they come: AddAccount with a provider or (discovery) an address, a
 * completed sign-in, an import. Each is checked as the others are (the administrator's policy,
 * the parent, duplicates, every secret by name and value), then stored secrets first and file
 * last, with the secrets taken back when the file cannot be written.
 */
import { invalidArgument } from '../errors.js';
import { log } from '../log.js';
import type { Catalogue, Provider } from '../providers/catalogue.js';
import type { SecretStore } from '../secrets/secret-service.js';
import { INITIAL_STATUS, nextStatus } from '../status/status.js';
import type { IniDoc } from '../store/account-file.js';
import type { AccountStore } from '../store/account-store.js';
import { ACCOUNT_ID, baseId, type AccountConfig } from '../model/account.js';
import { parseOptions } from './options.js';
import { checkFailure } from '../verify/failure.js';
import { findProvider, planNewAccount, type NewAccount } from './plan.js';
import { checkSecretName } from '../util/validate.js';
import { parseRecord, TOKEN_SECRET, type TokenRecord } from '../oauth2/tokens.js';
import { checkProtocols, verdict, type CheckResults } from '../verify/check.js';
import type { Discovered, Discovery } from '../discovery/discovery.js';
import { parseAddress } from '../discovery/address.js';
import { asOptions, checkUsable, keepHomeSets, providerOf, splitOptions } from './discovered.js';
import { checkParentOf } from './parents.js';
import { isProvisionedId } from '../admin/provisioned.js';
import type { AccountIndex, AccountState } from './account-index.js';
import type { AdminRules } from './admin-rules.js';
import { learn, type AccountChecks } from './checks.js';
import {
  checkGivenSecrets,
  checkSecret,
  checkTokenProtocols,
  forgetSecrets,
  givenSecrets,
  reserved,
  SELF,
  signedInToken,
  type Origin,
  type Variants,
} from './secret-rules.js';

export interface AccountAddsDeps {
  readonly index: AccountIndex;
  readonly store: AccountStore;
  readonly secrets: SecretStore;
  readonly catalogue: Catalogue;
  readonly rules: AdminRules;
  readonly checks: AccountChecks;
}

export class AccountAdds {
  private discovery: Promise<Discovery> | undefined;

  constructor(private readonly deps: AccountAddsDeps) {}

  async add(
    providerId: string,
    identifier: string,
    secrets: Record<string, string>,
    options: Variants,
    from: Origin = SELF,
  ): Promise<AccountState> {
    if (providerId === '') return this.addDiscovered(identifier, secrets, options, from);
    const { catalogue, rules, checks, index } = this.deps;
    const provider = findProvider(catalogue, providerId);
    if (provider.auth === 'oauth2') {
      throw invalidArgument(
        `${provider.name} accounts sign in with OAuth2, not a password: use Manager.SignIn (px-accounts add -provider ${provider.id} -account NAME with no password)`,
      );
    }
    const parsed = parseOptions(options, 'add', from.files);
    const plan = planNewAccount(provider, identifier, parsed);
    rules.checkPolicy(plan); // before any check reaches a server
    checkParentOf(plan, index);
    secrets = checkGivenSecrets(plan.protocols, parsed.secrets, secrets);
    for (const name of Object.keys(secrets)) reserved(name);
    let checked: CheckResults | undefined;
    if (parsed.verify) {
      checked = await checks.checker.run(from.app, () => checks.gatedCheck(plan, givenSecrets(secrets)));
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
    return (this.discovery ??= import('../discovery/discovery.js').then((m) => new m.Discovery(this.deps.catalogue)));
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
    const { catalogue, rules, checks, index } = this.deps;
    const request = splitOptions(options);
    const found = await (await this.discoverer()).find(parseAddress(address), request.discover, from.app);
    checkUsable(found, request.trust, catalogue);
    const provider = providerOf(found, catalogue);
    const attempt = async (other: Set<string>, only?: string[]) => {
      const parsed = parseOptions(asOptions(found, provider, request.rest, other), 'add', from.files);
      const plan: NewAccount = {
        ...planNewAccount(provider, found.address.address, parsed),
        discovered: { source: found.source, domain: found.domain },
      };
      rules.checkPolicy(plan);
      checkParentOf(plan, index);
      const given = checkGivenSecrets(plan.protocols, parsed.secrets, secrets);
      for (const name of Object.keys(given)) reserved(name);
      const checked = await checks.checker.run(from.app, () =>
        checks.gatedCheck(only ? { ...plan, protocols: only } : plan, givenSecrets(given)),
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
    const provider = findProvider(this.deps.catalogue, providerId);
    const plan: NewAccount = {
      ...planNewAccount(provider, username, { ...options, settings: {}, secrets: {} }),
      auth: 'oauth2',
    };
    checkTokenProtocols(plan.protocols);
    let checked: CheckResults | undefined;
    if (options.verify) {
      const source = signedInToken(record);
      checked = await this.deps.checks.checker.run(`sign-in of ${plan.username}`, () => checkProtocols(plan, source));
      const failed = Object.entries(checked).filter(([, r]) => !r.ok);
      if (failed.length) throw checkFailure(failed);
    }
    return this.create(provider, plan, { [TOKEN_SECRET]: JSON.stringify(record) }, checked);
  }

  /** Checked once more (every way of adding ends here: AddAccount, discovery, sign-ins), then saved. */
  private async create(
    provider: Provider,
    plan: NewAccount,
    secrets: Record<string, string>,
    checked: CheckResults | undefined,
  ): Promise<AccountState> {
    const { index, rules } = this.deps;
    rules.checkPolicy(plan);
    checkParentOf(plan, index);
    const base = baseId(provider.id, plan.username);
    return index.withNewId({ ...plan, provider: provider.id }, provider.manual, base, async (id) => {
      const state = await this.save({ ...plan, id, credentials: [] }, secrets, undefined);
      if (checked) state.status = nextStatus(state.status, verdict(checked));
      index.insert(state);
      log.info(`account ${id} added (${provider.id}, ${state.config.protocols.join(', ')})`);
      return state;
    });
  }

  /**
   * Secrets first, file last: a file never names a secret that is not stored. The secrets
   * stored are deleted again when a later one or the file cannot be written.
   */
  private async save(
    config: AccountConfig,
    secrets: Record<string, string>,
    doc: IniDoc | undefined,
  ): Promise<AccountState> {
    const entries = Object.entries(secrets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const next: AccountConfig = { ...config, credentials: entries.map(([name]) => name) };
    const stored: string[] = [];
    try {
      for (const [name, value] of entries) {
        await this.deps.secrets.set(next.id, name, value);
        stored.push(name);
      }
      return { config: next, status: INITIAL_STATUS, doc: await this.deps.store.write(next, doc) };
    } catch (err) {
      await forgetSecrets(this.deps.secrets, next.id, stored);
      throw err;
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
    const { index, rules } = this.deps;
    // Only the service's own discovery (AddAccount with no provider) makes a discovered account:
    // a file's `source` line is not believed, so an imported account set up by hand is manual.
    const config: AccountConfig = { ...file };
    delete config.discovered;
    rules.checkPolicy(config);
    // a parent already here must be one this account can have (a proxy or VPN, no loop); one
    // not here (yet) leaves the account waiting: "needs <id> (no such account)", nothing sent
    if (config.parent && index.get(config.parent)) checkParentOf(config, index);
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
    const base =
      ACCOUNT_ID.test(wanted) && !isProvisionedId(wanted) ? wanted : baseId(config.provider, config.username);
    return index.withNewId(config, index.manual(config), base, async (id) => {
      const state = await this.save({ ...config, id }, checked, doc);
      index.insert(state);
      log.info(
        `account ${id} imported (${config.provider}, ${config.protocols.join(', ')}; ${state.config.credentials.length} secrets)`,
      );
      return state;
    });
  }
}
