/**
 * An Account as plain JSON (times as numbers of µs, lists copied): the stable shape of
 * `px-accounts --json` (docs/cli.md), and what the window sends its page.
 */
import type { Account, SenderIdentity, Wallet } from './types.js';

export interface AccountJson {
  id: string;
  path: string;
  name: string;
  provider: string;
  providerName: string;
  username: string;
  protocols: string[];
  status: string;
  statusMessage: string;
  /** µs since the Unix epoch, 0 if unchanged since the service started. */
  statusTime: number;
  attentionNeeded: boolean;
  credentials: string[];
  /** provisioned by the administrator: not to be changed or removed */
  locked: boolean;
  /** the administrator's policy rules it breaks, '' for none */
  policyViolation: string;
  /** password or oauth2 */
  auth: string;
  /** A wallet's balance (lastUpdated in µs); absent for other accounts. */
  wallet?: Omit<Wallet, 'lastUpdated'> & { lastUpdated: number };
  settings: Record<string, Record<string, string | number | string[]>>;
  /** A mail account's sender identity; absent for other accounts. */
  identity?: SenderIdentity;
  /** the id of the proxy or OpenVPN account it is reached through, '' for none */
  parent: string;
  /** kinds of failure muted (check codes) */
  mutedErrors: string[];
  /** apps' notes, `<app>:<key>` → value */
  data: Record<string, string>;
}

export function accountJson(a: Account): AccountJson {
  const settings: AccountJson['settings'] = {};
  for (const p of a.protocols) {
    const s = a.settings[p];
    if (!s) continue;
    // host, port, security, username, path, url first; then whatever else the protocol has (hostKey).
    const out: Record<string, string | number | string[]> = {};
    for (const key of ['host', 'port', 'security', 'username', 'path', 'url', ...Object.keys(s)]) {
      const v = s[key];
      if (v !== undefined && !(key in out)) out[key] = v;
    }
    settings[p] = out;
  }
  return {
    id: a.id,
    path: a.path,
    name: a.name,
    provider: a.provider,
    providerName: a.providerName,
    username: a.username,
    protocols: [...a.protocols],
    status: a.status,
    statusMessage: a.statusMessage,
    statusTime: Number(a.statusTime),
    attentionNeeded: a.attentionNeeded,
    credentials: [...a.credentials],
    locked: a.locked,
    policyViolation: a.policyViolation,
    auth: a.auth,
    settings,
    ...(a.wallet ? { wallet: { ...a.wallet, lastUpdated: Number(a.wallet.lastUpdated) } } : {}),
    ...(a.identity ? { identity: { ...a.identity, aliases: [...a.identity.aliases] } } : {}),
    parent: a.parent,
    mutedErrors: [...a.mutedErrors],
    data: { ...a.data },
  };
}
