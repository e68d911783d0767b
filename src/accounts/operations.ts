/**
 * The changes people and apps make to an existing account: its settings (Update, Rename), its
 * secrets, its muted kinds of failure, apps' notes, and its removal. Each runs under the
 * account's lock, merges a hand edit not yet seen first, and either completes or leaves files
 * and secrets as they were.
 */
import { AccountsError, invalidArgument } from '../errors.js';
import { log } from '../log.js';
import type { Catalogue } from '../providers/catalogue.js';
import type { SecretStore } from '../secrets/secret-service.js';
import type { AccountStore } from '../store/account-store.js';
import type { AccountConfig } from '../model/account.js';
import { parseOptions } from './options.js';
import { findProvider, planUpdate } from './plan.js';
import { checkSecretName } from '../util/validate.js';
import { TOKEN_SECRET } from '../oauth2/tokens.js';
import { revokeOnRemoval } from '../nextcloud/sign-in.js';
import { checkFamily, childrenOf } from './parents.js';
import { checkFailureCode } from '../model/muted.js';
import { withData } from '../model/app-data.js';
import type { AccountIndex, AccountState } from './account-index.js';
import type { AdminRules } from './admin-rules.js';
import type { AccountChecks } from './checks.js';
import { checkSecret, checkTokenProtocols, forgetSecrets, reserved, type Variants } from './secret-rules.js';

/** A provisioned account cannot be changed or removed by the person (AccessDenied). */
function unlocked(state: AccountState): void {
  if (state.provisioned) {
    throw new AccountsError(
      'AccessDenied',
      `account ${state.config.id} is provisioned by the administrator (${state.provisioned}): it cannot be changed, renamed or removed; only its secrets are yours to set`,
    );
  }
}

export interface AccountOperationsDeps {
  readonly index: AccountIndex;
  readonly store: AccountStore;
  readonly secrets: SecretStore;
  readonly catalogue: Catalogue;
  readonly rules: AdminRules;
  /** The status (new credentials deserve a new chance) and the checks a removal ends. */
  readonly checks: AccountChecks;
}

export class AccountOperations {
  private readonly index: AccountIndex;
  private readonly store: AccountStore;
  private readonly secrets: SecretStore;
  private readonly catalogue: Catalogue;
  private readonly rules: AdminRules;
  private readonly checks: AccountChecks;

  constructor(deps: AccountOperationsDeps) {
    this.index = deps.index;
    this.store = deps.store;
    this.secrets = deps.secrets;
    this.catalogue = deps.catalogue;
    this.rules = deps.rules;
    this.checks = deps.checks;
  }

  /** Runs `change` under the account's lock, on the account as its file is now. */
  private change(id: string, change: (state: AccountState) => Promise<void>): Promise<void> {
    return this.index.lock.run(id, async () => {
      await this.index.syncFromDisk(id);
      await change(this.index.require(id));
    });
  }

  update(id: string, changes: Variants, files = true): Promise<void> {
    return this.change(id, async (state) => {
      unlocked(state);
      const provider = findProvider(this.catalogue, state.config.provider);
      const next = planUpdate(state.config, provider, parseOptions(changes, 'update', files));
      if (next.auth === 'oauth2') checkTokenProtocols(next.protocols);
      this.rules.checkPolicy(next, state.config);
      checkFamily(state.config, next, this.index);
      await this.index.commit(state, next);
    });
  }

  rename(id: string, name: string): Promise<void> {
    return this.update(id, { name: { signature: 's', value: name } });
  }

  setSecret(id: string, name: string, value: string): Promise<void> {
    return this.change(id, async (state) => {
      value = checkSecret(state.config.protocols, checkSecretName(name), value);
      reserved(name);
      const isNew = !state.config.credentials.includes(name);
      await this.secrets.set(id, name, value);
      if (isNew) {
        try {
          await this.index.commit(state, {
            ...state.config,
            credentials: [...state.config.credentials, name].sort(),
          });
        } catch (err) {
          await forgetSecrets(this.secrets, id, [name]);
          throw err;
        }
      }
      // New credentials deserve a new chance.
      this.checks.setStatus(state, { attentionNeeded: false });
      this.index.events.emit('secretChanged', state, name);
    });
  }

  async getSecret(id: string, name: string): Promise<string> {
    const state = this.index.require(id);
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
    return this.change(id, async (state) => {
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
      await this.index.commit(state, {
        ...state.config,
        credentials: state.config.credentials.filter((c) => c !== name),
      });
      await forgetSecrets(this.secrets, id, [name]);
      this.index.events.emit('secretChanged', state, name);
    });
  }

  /** Export: an account's stored secrets by name (under its lock, so the list and the values agree); a listed one missing from the keyring is left out. */
  secretsOf(id: string): Promise<Record<string, string>> {
    return this.index.lock.run(id, async () => {
      const state = this.index.require(id);
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

  /** Account.MuteError: that kind of failure raises no AttentionNeeded until another kind comes. */
  muteError(id: string, code: string): Promise<void> {
    return this.change(id, async (state) => {
      checkFailureCode(code);
      const muted = state.config.muted ?? [];
      if (!muted.includes(code)) await this.index.commit(state, { ...state.config, muted: [...muted, code] });
      // the person was told, and said so
      if (code === 'Unauthorized') this.checks.setStatus(state, { attentionNeeded: false });
    });
  }

  /** Account.UnmuteError. */
  unmuteError(id: string, code: string): Promise<void> {
    return this.change(id, async (state) => {
      checkFailureCode(code);
      const muted = (state.config.muted ?? []).filter((c) => c !== code);
      if (muted.length === (state.config.muted ?? []).length) return;
      const next: AccountConfig = { ...state.config, muted };
      if (!muted.length) delete next.muted;
      await this.index.commit(state, next);
    });
  }

  /** Account.SetData: `app`'s note `key` (prefixed with the app's name); '' removes it. */
  setData(id: string, app: string, key: string, value: string): Promise<void> {
    return this.change(id, async (state) => {
      const data = withData(state.config.data, app, key, value);
      const next: AccountConfig = { ...state.config, ...(data ? { data } : {}) };
      if (!data) delete next.data;
      await this.index.commit(state, next);
    });
  }

  remove(id: string): Promise<void> {
    return this.change(id, async (state) => {
      unlocked(state);
      const children = childrenOf(id, this.index.all());
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
      this.index.drop(id);
      this.checks.checker.forget(id);
      await forgetSecrets(this.secrets, id, names);
      log.info(`account ${id} removed`);
      if (appPassword) revokeOnRemoval(state.config, appPassword);
    });
  }
}
