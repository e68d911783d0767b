/**
 * The administrator's policy (src/admin/policy.ts) applied to the accounts: what it refuses of a
 * new account or an update, what an existing account breaks (Account.PolicyViolation), and
 * who is told when a new policy changes that.
 */
import { AccountsError } from '../errors.js';
import type { Catalogue, Provider } from '../providers/catalogue.js';
import type { AccountConfig } from '../model/account.js';
import { NO_POLICY, refusal, violations, type Policy, type PolicySubject } from '../admin/policy.js';
import { overriddenServers } from '../admin/overridden.js';
import type { AccountIndex, AccountState } from './account-index.js';

/** What the policy is checked against: a plan, an account, or (a sign-in not yet made) a provider and protocols. */
export type PolicyConfig = Pick<AccountConfig, 'provider' | 'protocols' | 'discovered'> &
  Partial<Pick<AccountConfig, 'username' | 'settings'>>;

export class AdminRules {
  /** Replaced when policy.ini changes (src/admin/follow.ts). */
  private policy: Policy = NO_POLICY;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly index: AccountIndex,
  ) {}

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
    // No rules (the usual case): nothing to break, and nothing to work out per account.
    if (state.provisioned || this.policy.kind !== 'rules') return '';
    return violations(this.policy, this.subject(state.config)).join('; ');
  }

  /** Why the policy refuses new accounts of a provider whatever their protocols, '' when it does not (ListProviders). */
  providerRefusal(provider: Provider): string {
    return (
      refusal(this.policy, { provider: provider.id, manual: provider.manual, discovered: false, protocols: [] }) ?? ''
    );
  }

  /** A new policy (policy.ini changed): listeners hear of every account whose PolicyViolation changed. Nothing is deleted. */
  setPolicy(policy: Policy): void {
    const all = [...this.index.all()];
    const before = new Map(all.map((s) => [s.config.id, this.policyViolation(s)]));
    this.policy = policy;
    for (const state of all)
      if (this.policyViolation(state) !== before.get(state.config.id)) this.index.events.emit('policyChanged', state);
  }
}
