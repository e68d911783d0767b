/**
 * Which caller may do what (DESIGN.md section 13), decided once per call before dispatch, like
 * xdg-desktop-portal's authorize hook: another uid is refused everything; sandboxed apps
 * (Flatpak, Snap) need a grant per account for the members that hand out secrets or change an
 * account, and are refused the management of grants; host apps are allowed unless the user
 * set them to ask. Reading non-secret properties needs nothing, so Get, GetAll and
 * GetManagedObjects stay on their fast path.
 */
import { ACCOUNT_IFACE, ACCOUNT_PATH_PREFIX, MANAGER_IFACE, OAUTH2_IFACE } from '../contract/names.js';
import { AccountsError } from '../errors.js';
import type { Caller, Callers } from './callers.js';
import type { Grants } from './grants.js';

/** Members that need a grant for the account they act on. */
const PER_ACCOUNT = new Set(['GetSecret', 'SetSecret', 'DeleteSecret', 'Update', 'Remove', 'Verify', 'ReportStatus', 'Set:Name', 'SignInAgain']);
/** OAuth2 members that hand out tokens: a grant per account, as GetSecret. */
const TOKENS = new Set(['GetAccessToken', 'GetAccessTokenFor']);
/** Members that manage grants: never for sandboxed callers. */
const MANAGEMENT = new Set(['ListAccess', 'GrantAccess', 'DenyAccess', 'RevokeAccess', 'SetHostApps']);
/**
 * Members whose handler needs to know the app (identified, nothing more): RequestAccess names
 * it; AddAccount and ValidateCredentials read files a caller names only for host apps; SignIn
 * (which opens a listener) is refused to callers of another user.
 */
const IDENTIFIED = new Set(['RequestAccess', 'AddAccount', 'ValidateCredentials', 'SignIn']);

export class AccessPolicy {
  private readonly uid = process.getuid?.() ?? 0;

  constructor(private readonly callers: Callers, readonly grants: Grants) {}

  /**
   * The check of one call; undefined when the member needs none (the call stays synchronous).
   * Resolves with the caller, or rejects with AccessDenied naming the app and the account.
   */
  authorize(sender: string, iface: string, member: string, path: string): Promise<Caller> | undefined {
    const perAccount = (iface === ACCOUNT_IFACE && PER_ACCOUNT.has(member)) || (iface === OAUTH2_IFACE && TOKENS.has(member));
    const manager = iface === MANAGER_IFACE && (MANAGEMENT.has(member) || IDENTIFIED.has(member));
    if (!perAccount && !manager) return undefined;
    return this.callers.identify(sender).then((caller) => {
      if (caller.uid !== this.uid) throw new AccountsError('AccessDenied', `callers of another user (uid ${caller.uid}) are refused`);
      const sandboxed = caller.kind !== 'host';
      if (MANAGEMENT.has(member) && iface === MANAGER_IFACE && sandboxed) {
        throw new AccountsError('AccessDenied', `${caller.app} is sandboxed: only the user manages access (px-accounts access, or the Online Accounts window)`);
      }
      if (perAccount) this.checkGrant(caller, path.slice(ACCOUNT_PATH_PREFIX.length), member.replace('Set:', 'setting '));
      return caller;
    });
  }

  private checkGrant(caller: Caller, account: string, what: string): void {
    const grant = this.grants.find(account, caller.app);
    if (grant?.decision === 'always') return;
    if (grant?.decision === 'deny') throw new AccountsError('AccessDenied', `${caller.app} was refused access to account ${account} by the user`);
    if (caller.kind === 'host' && this.grants.hostApps === 'allow') return;
    throw new AccountsError('AccessDenied',
      `${caller.app} has no grant for account ${account} (${what}): ask with Manager.RequestAccess; the user grants it with 'px-accounts access grant ${account} ${caller.app}'`);
  }
}
