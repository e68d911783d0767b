/**
 * What the page gets about accounts: plain JSON, times in milliseconds, the names of secrets
 * but never their values (the client library's Account has no values to begin with).
 */
import type { Account, AccessEntry, Provider, WalletTransaction } from '../client/index.js';

export interface AccountView {
  id: string;
  name: string;
  provider: string;
  providerName: string;
  username: string;
  protocols: string[];
  status: string;
  statusMessage: string;
  /** ms since the epoch, 0 for never. */
  statusTime: number;
  attentionNeeded: boolean;
  credentials: string[];
  auth: string;
  wallet: null | { currency: string; network: string; address: string; balance: string; pendingBalance: string; lastUpdated: number };
  settings: Record<string, Record<string, string | number>>;
}

const ms = (us: bigint) => Number(us / 1000n);

export function accountView(a: Account): AccountView {
  const settings: AccountView['settings'] = {};
  for (const [protocol, s] of Object.entries(a.settings)) {
    if (!s) continue;
    settings[protocol] = Object.fromEntries(Object.entries(s).filter((e): e is [string, string | number] => e[1] !== undefined));
  }
  return {
    id: a.id, name: a.name, provider: a.provider, providerName: a.providerName, username: a.username, protocols: [...a.protocols],
    status: a.status, statusMessage: a.statusMessage, statusTime: ms(a.statusTime), attentionNeeded: a.attentionNeeded,
    credentials: [...a.credentials], auth: a.auth,
    wallet: a.wallet ? { ...a.wallet, lastUpdated: ms(a.wallet.lastUpdated) } : null,
    settings,
  };
}

export const accessView = (e: AccessEntry) => ({ account: e.account, app: e.app, decision: e.decision, lastUsed: ms(e.lastUsed) });

export const providerView = (p: Provider) => ({ ...p });

export const transactionView = (t: WalletTransaction) => ({ ...t, time: t.time * 1000 });
