/**
 * Which caller may do what (docs: README "Security model"), decided once per call before
 * dispatch, like xdg-desktop-portal's authorize hook — and from the contract: every method and
 * writable property carries an `org.pantherx.Accounts.Access` annotation in interfaces/*.xml:
 *
 * - `none`: anyone of this user; the caller is not even identified (the call stays synchronous);
 * - `identify`: the handler learns the caller (its app); callers of another uid are refused;
 * - `grant`: sandboxed apps (Flatpak, Snap) need a grant for the account the member acts on —
 *   the object's account, or on the Manager the account ids of the first argument (an empty
 *   list, "every account", is for host apps only); host apps too when the user set them to ask;
 * - `manage`: never for sandboxed apps (they cannot grant themselves).
 *
 * A member without the annotation fails closed: refused to sandboxed apps. Reading properties
 * needs nothing, so Get, GetAll and GetManagedObjects stay on their fast path.
 */
import { ACCOUNT_PATH_PREFIX } from '../contract/names.js';
import { AccountsError } from '../errors.js';
import type { Caller, Callers } from './callers.js';
import type { Grants } from './grants.js';

import type { AccessRequest } from '../contract/access.js';

export class AccessPolicy {
  private readonly uid = process.getuid?.() ?? 0;

  constructor(
    private readonly callers: Callers,
    readonly grants: Grants,
  ) {}

  /**
   * The check of one call; undefined when the member needs none (the call stays synchronous).
   * Resolves with the caller, or rejects with AccessDenied naming the app and the account.
   */
  authorize(req: AccessRequest): Promise<Caller> | undefined {
    if (req.access === 'none') return undefined;
    return this.callers.identify(req.sender).then((caller) => {
      if (caller.uid !== this.uid)
        throw new AccountsError('AccessDenied', `callers of another user (uid ${caller.uid}) are refused`);
      const sandboxed = caller.kind !== 'host';
      const what = `${req.iface}.${req.member.replace('Set:', 'setting ')}`;
      // A parent named in the options (AddAccount, ValidateCredentials, Update…) is used too:
      // checks go through its proxy with its password, so it needs a grant like the account itself.
      if (req.access === 'identify' || req.access === 'grant') {
        for (const parent of parentsNamed(req.args)) this.checkGrant(caller, parent, `${req.member} with it as parent`);
      }
      switch (req.access) {
        case 'identify':
          return caller;
        case 'manage':
          if (sandboxed)
            throw new AccountsError(
              'AccessDenied',
              `${caller.app} is sandboxed: only the user manages access (px-accounts access, or the Online Accounts window)`,
            );
          return caller;
        case 'grant':
          for (const account of this.accountsOf(req, caller, what))
            this.checkGrant(caller, account, req.member.replace('Set:', 'setting '));
          return caller;
        default:
          // No rule in the contract (a member added without one): only apps outside a sandbox.
          if (sandboxed)
            throw new AccountsError(
              'AccessDenied',
              `${caller.app} is sandboxed and ${what} has no access rule: refused`,
            );
          return caller;
      }
    });
  }

  /** The accounts a `grant` member acts on: its object's, or the ids its first argument names. */
  private accountsOf(req: AccessRequest, caller: Caller, what: string): string[] {
    if (req.path.startsWith(ACCOUNT_PATH_PREFIX)) return [req.path.slice(ACCOUNT_PATH_PREFIX.length)];
    const first = req.args[0];
    const ids = typeof first === 'string' ? [first] : Array.isArray(first) ? first.map(String) : [];
    if (ids.length === 0 && caller.kind !== 'host')
      throw new AccountsError(
        'AccessDenied',
        `${caller.app} is sandboxed: ${what} on every account is for the user's own apps; name the accounts`,
      );
    return ids;
  }

  private checkGrant(caller: Caller, account: string, what: string): void {
    checkGrant(this.grants, caller, account, what);
  }
}

/** What GetSecret asks of a caller for one account (also Export with secrets): a grant, or a host app while host apps are allowed. */
export function checkGrant(grants: Grants, caller: Caller, account: string, what: string): void {
  const grant = grants.find(account, caller.app);
  if (grant?.decision === 'always') return;
  if (grant?.decision === 'deny')
    throw new AccountsError(
      'AccessDenied',
      `${caller.app} was refused access to account ${account.slice(0, 80)} by the user`,
    );
  if (caller.kind === 'host' && grants.hostApps === 'allow') return;
  throw new AccountsError(
    'AccessDenied',
    `${caller.app} has no grant for account ${account.slice(0, 80)} (${what}): ask with Manager.RequestAccess; the user grants it with 'px-accounts access grant ${account.slice(0, 80)} ${caller.app}'`,
  );
}

/** The accounts a call's a{sv} options name as `parent` (empty: none, nothing to use). */
export function parentsNamed(args: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (!arg || typeof arg !== 'object' || Array.isArray(arg)) continue;
    const v = (arg as Record<string, unknown>).parent;
    const value = v && typeof v === 'object' && 'value' in v ? v.value : v;
    if (typeof value === 'string' && value !== '') out.push(value);
  }
  return out;
}
