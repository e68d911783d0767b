/**
 * Checks and what follows from them: every check through the one queue (src/verify/checker.ts),
 * behind the parent's gate (a proxy routes it, a parent not online stops it), the status
 * transitions (a check's verdict, a backend's report, a refused grant) with a parent's children
 * following it, and what a successful check teaches an account's settings.
 */
import { log } from '../log.js';
import type { Catalogue } from '../providers/catalogue.js';
import type { SecretStore } from '../secrets/secret-service.js';
import { checkStatus, nextStatus, statusText } from '../status/status.js';
import type { AccountConfig } from '../model/account.js';
import { parseOptions } from './options.js';
import { findProvider, planNewAccount } from './plan.js';
import { findProtocol } from '../protocols/registry.js';
import { checkProtocols, verdict, type CheckResults, type SecretSource } from '../verify/check.js';
import { Checker, type CheckerOptions } from '../verify/checker.js';
import { checkParentOf, childrenOf, gateOf, needsText, proxyRoute, proxySecretName } from './parents.js';
import { applyMutes } from '../model/muted.js';
import type { ProxyRoute } from '../protocols/common/types.js';
import type { AccountIndex, AccountState } from './account-index.js';
import { checkGivenSecrets, givenSecrets, SELF, type Origin, type Variants } from './secret-rules.js';

/**
 * Applies what successful checks taught (each protocol's `learn`, e.g. SFTP's host key) to
 * `config`'s settings of the protocols in `only` (all when undefined). Returns what it learned.
 */
export function learn(
  config: { settings: AccountConfig['settings'] },
  results: CheckResults,
  only?: (p: string) => boolean,
): string[] {
  const learned: string[] = [];
  for (const [p, result] of Object.entries(results)) {
    const settings = config.settings[p];
    if (!settings || !(only?.(p) ?? true)) continue;
    const next = findProtocol(p)?.learn?.(result, settings);
    if (!next) continue;
    config.settings[p] = next;
    learned.push(
      ...Object.keys(next)
        .filter((k) => next[k] !== settings[k])
        .map((k) => `${p}.${k} ${next[k]}`),
    );
  }
  return learned;
}

/** Where a stored OAuth2 account's checks get their access tokens (src/accounts/tokens.ts). */
export interface AccessTokens {
  accessToken(id: string, protocol: string, renew: boolean): Promise<string>;
}

export interface AccountChecksDeps {
  readonly index: AccountIndex;
  readonly secrets: SecretStore;
  readonly catalogue: Catalogue;
  readonly tokens: AccessTokens;
  readonly checker: CheckerOptions;
}

export type StatusChange = Parameters<typeof nextStatus>[1];

export class AccountChecks {
  readonly checker: Checker;
  private readonly index: AccountIndex;
  private readonly secrets: SecretStore;
  private readonly catalogue: Catalogue;
  private readonly tokens: AccessTokens;

  constructor(deps: AccountChecksDeps) {
    this.index = deps.index;
    this.secrets = deps.secrets;
    this.catalogue = deps.catalogue;
    this.tokens = deps.tokens;
    this.checker = new Checker((id) => this.runCheck(id), deps.checker);
  }

  reportStatus(id: string, status: string, message: string): void {
    const state = this.index.require(id);
    this.setStatus(state, { status: checkStatus(status, message), message });
  }

  /** The provider refused an account's grant: it needs a new sign-in. */
  tokensRefused(id: string, message: string): void {
    const state = this.index.get(id);
    if (state)
      this.setStatus(state, {
        status: 'error',
        message,
        attentionNeeded: !state.config.muted?.includes('Unauthorized'),
      });
  }

  setStatus(state: AccountState, change: StatusChange): void {
    const before = state.status;
    // Whatever said it (a server through a check, a provider refusing a grant), the status goes
    // into every GetManagedObjects: a NUL there would fail the reply for every client.
    state.status = nextStatus(
      before,
      change.message === undefined ? change : { ...change, message: statusText(change.message) },
    );
    if (state.status === before) return;
    this.index.events.emit('statusChanged', state, before);
    if ((before.status === 'online') !== (state.status.status === 'online')) this.parentMoved(state);
  }

  /**
   * A parent came online or went: its children are checked again (through the shared queue),
   * or say at once, without a check, that they need it.
   */
  private parentMoved(parent: AccountState): void {
    const online = parent.status.status === 'online';
    for (const id of childrenOf(parent.config.id, this.index.all())) {
      const child = this.index.get(id)!;
      if (online) {
        this.checker
          .request(id)
          .catch((err: Error) => log.info(`check of ${id} after its parent came online did not run: ${err.message}`));
      } else {
        this.setStatus(child, { status: 'offline', message: needsText(parent.config, parent.config.id) });
      }
    }
  }

  /**
   * A check of settings not saved (ValidateCredentials, AddAccount's verify) behind the same gate
   * as a stored account's: while the parent is not online nothing is sent (every protocol
   * Unavailable, "needs <parent>"); through its proxy when it is one.
   */
  async gatedCheck(
    config: Parameters<typeof checkProtocols>[0] & Pick<AccountConfig, 'parent'>,
    secrets: Parameters<typeof checkProtocols>[1],
  ): Promise<CheckResults> {
    const gate = gateOf(config, (x) => this.index.get(x));
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

  /** Checks every enabled protocol now (merged with a check already running) and returns the results. */
  verify(id: string): Promise<CheckResults> {
    this.index.require(id);
    return this.checker.request(id, true);
  }

  /** Queues background checks; every account when `ids` is empty. Unknown ids queue nothing. */
  checkInBackground(ids: string[]): void {
    for (const id of ids) this.index.require(id);
    if (ids.length === 0) {
      this.checker.sweep(
        [...this.index.all()].map((s) => s.config.id),
        (id) => this.index.get(id) !== undefined,
      );
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
    checkParentOf(plan, this.index);
    const given = checkGivenSecrets(plan.protocols, parsed.secrets, secrets);
    return this.checker.run(from.app, () => this.gatedCheck(plan, givenSecrets(given)));
  }

  /** One check of a stored account, applied to its status and settings (what the protocols learned). */
  private async runCheck(id: string): Promise<{ results: CheckResults; ok: boolean }> {
    const state = this.index.require(id);
    const config = state.config;
    const source: SecretSource = {
      names: config.credentials,
      get: (name) => this.secrets.get(id, name),
      token: (protocol, renew) => this.tokens.accessToken(id, protocol, renew),
    };
    // Reached through a parent that is not online: no check, the status says what it needs.
    const gate = gateOf(config, (x) => this.index.get(x));
    if (gate.kind === 'needs') {
      const results: CheckResults = Object.fromEntries(
        config.protocols.map((p) => [p, { ok: false, code: 'Unavailable' as const, message: gate.message }]),
      );
      const current = this.index.get(id);
      if (current) this.setStatus(current, { status: 'offline', message: gate.message });
      log.info(`account ${id} not checked: it ${gate.message}`);
      return { results, ok: false };
    }
    const via = gate.kind === 'proxy' ? await this.routeThrough(gate.parent) : undefined;
    const results = await checkProtocols(via ? { ...config, via } : config, source);
    await this.index.lock.run(id, async () => {
      const current = this.index.get(id);
      if (!current) return; // removed while checking
      // Learn only where the settings checked are still the account's (they may have been
      // edited meanwhile); compare values, not object identity, since a reload replaces the object.
      const unchanged = (p: string) =>
        JSON.stringify(config.settings[p]) === JSON.stringify(current.config.settings[p]);
      const next = structuredClone(current.config);
      const learned = learn(next, results, unchanged);
      if (learned.length) {
        await this.index.commit(current, next);
        log.notice(`account ${id}: learned ${learned.join(', ')}`);
      }
      // muted kinds of failure (Account.MuteError) raise no AttentionNeeded; another kind ends the mutes
      const mutes = applyMutes(current.config.muted, Object.values(results));
      if (mutes.muted.length !== (current.config.muted ?? []).length) {
        const unmuted = { ...current.config };
        delete unmuted.muted;
        await this.index.commit(current, unmuted);
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
}
