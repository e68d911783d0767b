/**
 * Access to accounts as the user manages it: grants, requests apps make, and the audit of
 * every secret handed out. The bus layer turns the events into signals.
 */
import { AccountsError, invalidArgument } from '../errors.js';
import { log } from '../log.js';
import { SandboxBudget } from './budget.js';
import type { Caller } from './callers.js';
import { checkApp, type Decision, type Grants } from './grants.js';

export interface AccessEvents {
  requested(account: string, app: string): void;
  changed(account: string, app: string, decision: Decision | ''): void;
  secretAccessed(account: string, name: string, app: string): void;
  hostAppsChanged(): void;
}

export interface AccessEntry {
  account: string;
  app: string;
  decision: Decision | 'pending';
  lastUsed: number;
}

const key = (account: string, app: string) => `${account}\n${app}`;

export class Access {
  private readonly pending = new Map<string, { account: string; app: string }>();
  /** What sandboxed apps may have the service do over time (checks, new accounts). */
  readonly budget = new SandboxBudget();

  constructor(
    readonly grants: Grants,
    private readonly exists: (account: string) => boolean,
    /** What the bus announces (Manager's AccessRequested, AccessChanged, SecretAccessed, HostApps). */
    private readonly events: AccessEvents,
  ) {}

  private requireAccount(account: string): void {
    if (!this.exists(account)) throw new AccountsError('NotFound', `account '${account.slice(0, 80)}' does not exist`);
  }

  list(): AccessEntry[] {
    const out: AccessEntry[] = this.grants
      .list()
      .map((g) => ({ account: g.account, app: g.app, decision: g.decision, lastUsed: g.lastUsed }));
    for (const p of this.pending.values()) out.push({ ...p, decision: 'pending', lastUsed: 0 });
    return out.sort((a, b) => a.account.localeCompare(b.account) || a.app.localeCompare(b.app));
  }

  async decide(account: string, app: string, decision: Decision): Promise<void> {
    this.requireAccount(account);
    checkApp(app);
    await this.grants.set(account, app, decision);
    this.pending.delete(key(account, app));
    log.notice(`access to account ${account} for ${app}: ${decision}`);
    this.events.changed(account, app, decision);
  }

  async revoke(account: string, app: string): Promise<void> {
    const wasPending = this.pending.delete(key(account, app));
    if (!(await this.grants.revoke(account, app)) && !wasPending) {
      throw new AccountsError('NotFound', `${app.slice(0, 80)} has no grant for account ${account.slice(0, 80)}`);
    }
    log.notice(`access to account ${account} for ${app} revoked`);
    this.events.changed(account, app, '');
  }

  async setHostApps(mode: string): Promise<void> {
    if (mode !== 'allow' && mode !== 'ask')
      throw invalidArgument(`mode must be allow or ask, got '${mode.slice(0, 40)}'`);
    if (this.grants.hostApps === mode) return;
    await this.grants.setHostApps(mode);
    log.notice(`host apps: ${mode}`);
    this.events.hostAppsChanged();
  }

  /** An app asks; answered at once when decided, else announced and left pending. */
  request(account: string, caller: Caller): string {
    this.requireAccount(account);
    const grant = this.grants.find(account, caller.app);
    if (grant) return grant.decision;
    if (caller.kind === 'host' && this.grants.hostApps === 'allow') return 'always';
    if (!this.pending.has(key(account, caller.app))) {
      this.pending.set(key(account, caller.app), { account, app: caller.app });
      log.notice(`${caller.app} asks for access to account ${account}`);
      this.events.requested(account, caller.app);
    }
    return 'pending';
  }

  /** Audit of a secret handed out: a log line, the grant's last use, a signal. Never the value. */
  handedOut(account: string, name: string, caller: Caller | undefined): void {
    const app = caller?.app ?? 'unknown';
    log.info(`secret '${name}' of account ${account} handed to ${app} (pid ${caller?.pid ?? '?'})`);
    const grant = caller && this.grants.find(account, caller.app);
    if (grant) this.grants.used(grant);
    this.events.secretAccessed(account, name, app);
  }

  async forgetAccount(account: string): Promise<void> {
    for (const [k, p] of this.pending) if (p.account === account) this.pending.delete(k);
    await this.grants.forgetAccount(account);
  }
}
