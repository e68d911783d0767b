/**
 * Accounts reached through another account (Account.Parent; Cozy's `parent`): a proxy account,
 * whose proxy every check of the child goes through, or an OpenVPN account, whose status the
 * child's checks wait for (connecting the VPN is the VPN client's job, not the service's).
 * While the parent is not online, the child is not checked: its status says "needs <parent>".
 */
import { AccountsError, invalidArgument } from '../errors.js';
import type { AccountConfig } from '../model/account.js';
import type { ProxyRoute } from '../protocols/common/types.js';
import { loginSecret } from '../protocols/plugin.js';
import { requireProtocol } from '../protocols/registry.js';
import type { StatusValue } from '../status/status.js';

export type ParentKind = 'proxy' | 'openvpn';

/** What an account can be the parent as: its proxy first (checks go through it), else its VPN. */
export function parentKind(config: Pick<AccountConfig, 'protocols'>): ParentKind | undefined {
  return config.protocols.includes('proxy') ? 'proxy' : config.protocols.includes('openvpn') ? 'openvpn' : undefined;
}

type Lookup = (id: string) => AccountConfig | undefined;

/**
 * Refuses (InvalidArgument, UnsupportedProtocol) a parent that does not exist, is neither a
 * proxy nor an OpenVPN account, is the account itself or one of its descendants, or is a proxy
 * for an account with a protocol whose check cannot go through one.
 */
export function checkParent(
  child: Pick<AccountConfig, 'protocols'> & { id?: string },
  parentId: string,
  lookup: Lookup,
): void {
  if (parentId === child.id) throw invalidArgument('option parent: an account cannot be its own parent');
  const parent = lookup(parentId);
  if (!parent) throw invalidArgument(`option parent: account '${parentId}' does not exist`);
  const kind = parentKind(parent);
  if (!kind)
    throw invalidArgument(
      `option parent: account ${parentId} is neither a proxy nor an OpenVPN account (its protocols: ${parent.protocols.join(', ')})`,
    );
  if (kind === 'proxy') {
    for (const p of child.protocols) {
      const plugin = requireProtocol(p, 'protocols');
      if (!plugin.viaProxy)
        throw new AccountsError(
          'UnsupportedProtocol',
          `option parent: ${plugin.title} checks cannot go through a proxy (${parentId} is a proxy account); an OpenVPN account can be the parent of any account`,
        );
    }
  }
  // no loops: walking up from the parent must never reach the child
  const seen = new Set<string>();
  for (let at: AccountConfig | undefined = parent; at?.parent; at = lookup(at.parent)) {
    if (at.parent === child.id || seen.has(at.parent))
      throw invalidArgument(
        `option parent: ${parentId} is reached through this account already: parents cannot make a loop`,
      );
    seen.add(at.parent);
  }
}

/** The accounts whose parent is `id`. */
export function childrenOf(id: string, all: Iterable<{ config: AccountConfig }>): string[] {
  const out: string[] = [];
  for (const s of all) if (s.config.parent === id) out.push(s.config.id);
  return out;
}

/** The status message of an account whose parent is not online. */
export const needsText = (parent: Pick<AccountConfig, 'name' | 'username'> | undefined, id: string): string =>
  `needs ${parent ? parent.name || parent.username : `${id} (no such account)`}`;

/** Where a stored account's check stands with its parent. */
export type Gate = { kind: 'free' } | { kind: 'needs'; message: string } | { kind: 'proxy'; parent: AccountConfig };

export function gateOf(
  config: Pick<AccountConfig, 'parent'>,
  state: (id: string) => { config: AccountConfig; status: { status: StatusValue } } | undefined,
): Gate {
  if (!config.parent) return { kind: 'free' };
  const parent = state(config.parent);
  if (!parent || !parentKind(parent.config) || parent.status.status !== 'online')
    return { kind: 'needs', message: needsText(parent?.config, config.parent) };
  return parentKind(parent.config) === 'proxy' ? { kind: 'proxy', parent: parent.config } : { kind: 'free' };
}

/** The secret a proxy account logs in with ('proxy', else 'password'), undefined if it has none. */
export const proxySecretName = (parent: AccountConfig): string | undefined =>
  loginSecret({ id: 'proxy' }, parent.credentials);

/** A proxy account as a check's route. */
export function proxyRoute(parent: AccountConfig, password: string): ProxyRoute {
  const s = parent.settings.proxy;
  if (!s) throw invalidArgument(`parent ${parent.id} has no proxy settings`);
  return {
    name: parent.name || parent.username,
    type: String(s.type) as ProxyRoute['type'],
    host: String(s.host),
    port: Number(s.port),
    username: String(s.username || parent.username),
    password,
    ...(s.ca ? { ca: String(s.ca) } : {}),
  };
}

/** The accounts as the family checks below read them (src/accounts/account-index.ts). */
interface Family {
  get(id: string): { config: AccountConfig } | undefined;
  all(): Iterable<{ config: AccountConfig }>;
}

/** Refuses a parent that cannot be one (checkParent); nothing to check without one. */
export function checkParentOf(
  config: Pick<AccountConfig, 'protocols' | 'parent'> & { id?: string },
  family: Family,
): void {
  if (config.parent) checkParent(config, config.parent, (x) => family.get(x)?.config);
}

/**
 * An update keeps the family sound: a new parent (or new protocols under a proxy) is checked,
 * and an account that is a parent stays one its children can have.
 */
export function checkFamily(before: AccountConfig, next: AccountConfig, family: Family): void {
  if (next.parent && (next.parent !== before.parent || next.protocols.join() !== before.protocols.join()))
    checkParentOf(next, family);
  if (parentKind(next) === parentKind(before)) return;
  const lookup = (x: string) => (x === next.id ? next : family.get(x)?.config);
  for (const id of childrenOf(next.id, family.all())) {
    const child = family.get(id);
    if (child) checkParent(child.config, next.id, lookup);
  }
}
