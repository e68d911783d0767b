/**
 * What the page gets about accounts: plain JSON, times in milliseconds, the names of secrets
 * but never their values (the client library's Account has no values to begin with).
 */
import { accountJson, type AccessEntry, type Account, type AccountJson, type Provider, type WalletTransaction } from '../client/index.js';

/** The CLI's JSON of an account, with times in ms (the page's Date) and no wallet as null. */
export interface AccountView extends Omit<AccountJson, 'statusTime' | 'wallet'> {
  /** The provider's icon (an icon name or an absolute path; the page shows paths through /icons/provider/ID). */
  providerIcon: string;
  /** ms since the epoch, 0 for never. */
  statusTime: number;
  wallet: null | (NonNullable<AccountJson['wallet']> & { lastUpdated: number });
}

const ms = (us: bigint | number) => Math.floor(Number(us) / 1000);

export function accountView(a: Account): AccountView {
  const j = accountJson(a);
  return { ...j, providerIcon: a.providerIcon, statusTime: ms(a.statusTime), wallet: j.wallet ? { ...j.wallet, lastUpdated: ms(j.wallet.lastUpdated) } : null };
}

export const accessView = (e: AccessEntry) => ({ account: e.account, app: e.app, decision: e.decision, lastUsed: ms(e.lastUsed) });

export const providerView = (p: Provider) => ({ ...p });

export const transactionView = (t: WalletTransaction) => ({ ...t, time: t.time * 1000 });
