/**
 * What a sandboxed app may make the service do on its own say, over time: account checks
 * (CheckAccounts, Verify — each logs in to a server, and many could lock the person out) and new
 * accounts (each writes a file and keyring items, and joins every later sweep). The user's own
 * apps are not limited: they can do the same without the service.
 */
import { AccountsError } from '../errors.js';
import { RateLimiter } from '../util/rate-limit.js';
import type { Caller } from './callers.js';

export const BUDGETS = {
  /** 60 at once, then one a second. */
  'account checks': { capacity: 60, perSecond: 1 },
  /** 10 at once, then one a minute. */
  'new accounts': { capacity: 10, perSecond: 1 / 60 },
} as const;
export type BudgetKind = keyof typeof BUDGETS;

export class SandboxBudget {
  private readonly limiters = new Map<BudgetKind, RateLimiter>(
    (Object.keys(BUDGETS) as BudgetKind[]).map((k) => [k, new RateLimiter(BUDGETS[k].capacity, BUDGETS[k].perSecond)]),
  );

  /** Takes `cost` of `kind` from a sandboxed caller's budget; LimitExceeded when it has run out. */
  take(caller: Caller | undefined, cost: number, kind: BudgetKind): void {
    if (!caller || caller.kind === 'host') return;
    if (this.limiters.get(kind)!.take(caller.app, cost)) return;
    const b = BUDGETS[kind];
    const rate = b.perSecond >= 1 ? `${b.perSecond} a second` : `one every ${Math.round(1 / b.perSecond)} seconds`;
    throw new AccountsError(
      'LimitExceeded',
      `${caller.app} asked for too many ${kind}: at most ${b.capacity} at once, then ${rate}`,
    );
  }
}
