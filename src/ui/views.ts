/**
 * What the page gets about accounts: plain JSON, times in milliseconds, the names of secrets
 * but never their values (the client library's Account has no values to begin with).
 */
import { accountJson, type AccessEntry, type Account, type Provider, type WalletTransaction } from '../client/index.js';
import type { AccessView, AccountView, TransactionView } from './wire.js';

export type { AccountView };

const ms = (us: bigint | number) => Math.floor(Number(us) / 1000);

export function accountView(a: Account): AccountView {
  const j = accountJson(a);
  return {
    ...j,
    providerIcon: a.providerIcon,
    statusTime: ms(a.statusTime),
    wallet: j.wallet ? { ...j.wallet, lastUpdated: ms(j.wallet.lastUpdated) } : null,
  };
}

export const accessView = (e: AccessEntry): AccessView => ({
  account: e.account,
  app: e.app,
  decision: e.decision,
  lastUsed: ms(e.lastUsed),
});

export const providerView = (p: Provider) => ({ ...p });

export const transactionView = (t: WalletTransaction): TransactionView => ({ ...t, time: t.time * 1000 });
