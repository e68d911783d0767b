/**
 * Telling the person when the service needs them (README: "Notifications"):
 *
 * - an account turns AttentionNeeded (a password refused, an OAuth2 grant revoked): one desktop
 *   notification with an action, "Enter password" or "Sign in again", that opens the window on
 *   the account. Later checks that find the same trouble say nothing (AttentionNeeded stays
 *   set); once it is cleared (a new secret, a sign-in, a check that passes) and set again, a new
 *   one. A notification whose trouble is over (the account fixed or removed, the keyring
 *   unlocked) is withdrawn from the screen; a group one when the last of its accounts is. None while the Online Accounts window shows the account: the window program, owner of
 *   org.pantherx.AccountsUi, answers ShownAccounts() with the accounts its pages show.
 * - the keyring is locked (Manager.SecretsAvailable false) while secrets are asked for: one
 *   notification until secrets are available again.
 *
 * `[notifications] enabled = false` in $XDG_CONFIG_HOME/px-accounts/settings.ini (read each time,
 * so a change needs no restart) or PX_ACCOUNTS_NOTIFICATIONS=0 switches the service's
 * notifications off.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type dbus from 'dbus-next';
import ini from 'ini';
import type { AccountState } from '../accounts/accounts.js';
import { callWithTimeout } from '../dbus-next-adapter.js';
import { AccountsError } from '../errors.js';
import { _, ngettext } from '../i18n/index.js';
import { formatList, formatNumber } from '../i18n/intl.js';
import { log } from '../log.js';
import type { SecretStore } from '../secrets/secret-service.js';
import type { AccountStatus } from '../status/status.js';

const UI_NAME = 'org.pantherx.AccountsUi';
const UI_PATH = '/org/pantherx/AccountsUi';
const UI_IFACE = 'org.pantherx.AccountsUi';
const ASK_TIMEOUT_MS = 1000;
/** A batch this large is told as one notification (up to three people still read one by one). */
export const GROUP_FROM = 4;
/** Accounts that wait for running checks to end before they are told anyway (a long sweep's first notice). */
export const HOLD_LIMIT = 50;
/** How long the first of them waits at most. */
export const HOLD_MS = 10_000;
/** Names a group notification spells out before "and N others". */
const NAMED = 3;

export function settingsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'px-accounts', 'settings.ini');
}

/** Whether the service may show notifications: PX_ACCOUNTS_NOTIFICATIONS, then settings.ini's [notifications] enabled (default yes). */
export function notificationsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const off = (v: unknown) => (typeof v === 'string' && /^(0|false|no|off)$/i.test(v.trim())) || v === false;
  if (env.PX_ACCOUNTS_NOTIFICATIONS !== undefined) return !off(env.PX_ACCOUNTS_NOTIFICATIONS);
  let text: string;
  try {
    text = readFileSync(settingsFile(env), 'utf8');
  } catch {
    return true;
  }
  const section = ini.parse(text).notifications as Record<string, unknown> | undefined;
  return !off(section?.enabled);
}

/** The accounts the Online Accounts window shows now ([] when it is not running or does not say). */
export async function shownAccounts(bus: dbus.MessageBus): Promise<string[]> {
  try {
    const reply = await callWithTimeout(
      bus,
      { destination: UI_NAME, path: UI_PATH, interface: UI_IFACE, member: 'ShownAccounts' },
      ASK_TIMEOUT_MS,
    );
    const ids = reply.body[0];
    return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export interface Notice {
  /** The account the action opens; undefined opens the window on its list. */
  account: string | undefined;
  summary: string;
  body: string;
  /** The action's label: a button beside the default action (a click on the bubble). */
  action: string;
}

/** Where notices go: the desktop's notification server (src/live/notifications.ts). */
export interface NoticeShower {
  /** Shows a notice, in place of one of ours still on screen when `replaces` is its id; resolves its id, undefined when none was shown. */
  show(notice: Notice, replaces?: number): Promise<number | undefined>;
  /** Whether a notice of ours is still on screen: not closed, not clicked. */
  isShown(id: number): boolean;
  /** Takes a notice of ours off the screen (nothing when it is no longer shown). */
  withdraw(id: number): void;
}

/** The queue of checks (src/verify/checker.ts), as far as notices wait for it. */
export interface ChecksInFlight {
  readonly busy: boolean;
  onIdle(listener: () => void): void;
}

export class AttentionNotices {
  /**
   * Accounts whose current trouble was told (or seen in the window): not again until cleared.
   * Each with which time it was (a notice answered after its trouble was over and back is not
   * this time's).
   */
  private readonly told = new Map<string, number>();
  private rounds = 0;
  private keyringTold = false;
  /** Which time the keyring was told locked (a notice answered after it was unlocked and locked again is not this time's). */
  private keyringRound = 0;
  /** The keyring's notice, while its trouble lasts. */
  private keyringNotice: number | undefined;
  /** Each account's own notice, while its trouble lasts. */
  private readonly onScreen = new Map<string, number>();
  /** The group notification on screen and the accounts it counts. */
  private group: { id: number; accounts: Map<string, AccountState> } | undefined;

  constructor(
    private readonly notices: NoticeShower,
    private readonly shown: () => Promise<string[]>,
    private readonly secretsAvailable: () => boolean,
    private readonly enabled: () => boolean = notificationsEnabled,
  ) {}

  /**
   * Accounts to tell about, gathered while the settings and the window are asked once for all
   * of them: a start-up sweep turns thousands of accounts AttentionNeeded within seconds, and a
   * settings.ini read and a ShownAccounts call for each one cost the thread that answers calls
   * ~10 % of its time (docs/benchmarks.md).
   */
  private readonly waiting = new Map<string, AccountState>();
  private telling = false;
  private checks: ChecksInFlight | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** The service stops: nothing more is told. */
  stop(): void {
    this.stopped = true;
    this.waiting.clear();
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
  }

  /** Holds notices while checks run, and tells them when the last one has settled. */
  followChecks(checks: ChecksInFlight): void {
    this.checks = checks;
    checks.onIdle(() => this.tellSoon());
  }

  /** Every status change of an account (the service's listener). */
  statusChanged(state: AccountState, before: AccountStatus): void {
    const id = state.config.id;
    if (!state.status.attentionNeeded) {
      this.forget(id);
      return;
    }
    if (before.attentionNeeded || this.told.has(id)) return;
    this.told.set(id, ++this.rounds);
    this.waiting.set(id, state);
    this.tellSoon();
  }

  removed(id: string): void {
    this.forget(id);
  }

  /** The account's trouble is over: its notice, or the group's once it counts no one, goes. */
  private forget(id: string): void {
    this.told.delete(id);
    this.waiting.delete(id);
    const own = this.onScreen.get(id);
    if (own !== undefined) {
      this.onScreen.delete(id);
      this.notices.withdraw(own);
    }
    if (this.group?.accounts.delete(id) && this.group.accounts.size === 0) {
      this.notices.withdraw(this.group.id);
      this.group = undefined;
    }
  }

  /** One batch at a time: what turns AttentionNeeded while one is told waits for the next. */
  private tellSoon(held = true): void {
    if (this.stopped || this.telling || this.waiting.size === 0) return;
    // HOLD_LIMIT brings a long sweep's first notice forward; once the group is on screen, its
    // updates wait for the checks (or HOLD_MS): a replaced notification may pop up again.
    const grouped = this.group !== undefined && this.notices.isShown(this.group.id);
    if (held && this.checks?.busy && (this.waiting.size < HOLD_LIMIT || grouped)) {
      this.holdTimer ??= setTimeout(() => {
        this.holdTimer = undefined;
        this.tellSoon(false);
      }, HOLD_MS).unref();
      return;
    }
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.telling = true;
    setImmediate(() => {
      const batch = [...this.waiting.values()];
      this.waiting.clear();
      void this.tell(batch)
        .catch((err: Error) => log.debug(`no notification for ${batch.length} account(s): ${err.message}`))
        .finally(() => {
          this.telling = false;
          this.tellSoon();
        });
    });
  }

  private async tell(batch: AccountState[]): Promise<void> {
    if (!this.enabled()) {
      for (const state of batch) log.info(`account ${state.config.id} needs attention (notifications are off)`);
      return;
    }
    const shown = new Set(await this.shown());
    // while the window was asked, an account may have been fixed or removed (both clear told)
    const due = batch.filter((state) => {
      const id = state.config.id;
      if (!this.told.has(id) || !state.status.attentionNeeded) return false;
      if (shown.has(id)) log.info(`account ${id} needs attention: the window shows it, no notification`);
      return !shown.has(id);
    });
    if (due.length === 0) return;
    const group = this.group && this.notices.isShown(this.group.id) ? this.group : undefined;
    if (group || due.length >= GROUP_FROM) {
      const accounts = group?.accounts ?? new Map<string, AccountState>();
      for (const state of due) accounts.set(state.config.id, state);
      const id = await this.notices.show(groupNotice([...accounts.values()]), group?.id);
      for (const account of [...accounts.keys()]) if (!this.told.has(account)) accounts.delete(account); // fixed or removed while it was sent
      if (id !== undefined && accounts.size === 0) this.notices.withdraw(id); // all fixed while it was sent
      this.group = id === undefined || accounts.size === 0 ? undefined : { id, accounts };
      return;
    }
    // In the service's language (its session's LANG), as the check results it words.
    for (const state of due) void this.showOwn(state);
  }

  private async showOwn(state: AccountState): Promise<void> {
    const account = state.config.id;
    const round = this.told.get(account);
    const id = await this.notices.show(accountNotice(state));
    if (id === undefined) return;
    if (round !== undefined && this.told.get(account) === round) this.onScreen.set(account, id);
    else this.notices.withdraw(id); // fixed or removed while it was sent
  }

  /** A secret was asked for and the Secret Service refused (locked, gone). */
  secretsRefused(): void {
    if (this.keyringTold || this.secretsAvailable()) return;
    this.keyringTold = true;
    const round = ++this.keyringRound;
    if (!this.enabled()) {
      log.info('secrets were asked for while the keyring is locked (notifications are off)');
      return;
    }
    void this.notices
      .show({
        account: undefined,
        summary: _('Unlock your keyring'),
        body: _(
          'Apps asked for the passwords of your online accounts, but the keyring is locked. Unlock it (log in again, or open your passwords app) and they will get them.',
        ),
        action: _('Open Online Accounts'),
      })
      .then((id) => {
        if (id === undefined) return;
        if (this.keyringTold && round === this.keyringRound) this.keyringNotice = id;
        else this.notices.withdraw(id); // unlocked while it was sent
      });
  }

  /** Secrets available again: the keyring's notice goes, and the next refusal is told again. */
  availabilityChanged(available: boolean): void {
    if (!available) return;
    this.keyringTold = false;
    if (this.keyringNotice !== undefined) this.notices.withdraw(this.keyringNotice);
    this.keyringNotice = undefined;
  }
}

function accountNotice(state: AccountState): Notice {
  const name = state.config.name || state.config.username;
  const oauth2 = state.config.auth === 'oauth2';
  return {
    account: state.config.id,
    summary: oauth2 ? _('Sign in to {name} again', { name }) : _('{name}: the password was refused', { name }),
    body: oauth2
      ? _("The provider no longer accepts this account's sign-in. Apps cannot reach {name} until you sign in again.", {
          name,
        })
      : _('{reason} Apps cannot reach {name} until you enter the right one.', {
          reason: state.status.message || _('The server refused the password.'),
          name,
        }),
    // translators: the button of the notification that an account's password was refused
    action: oauth2 ? _('Sign in again') : _('Enter password'),
  };
}

/** One notification for many accounts: how many, the first few by name, the window's list as its action. */
function groupNotice(accounts: AccountState[]): Notice {
  const n = accounts.length;
  const names = accounts.slice(0, NAMED).map((state) => state.config.name || state.config.username);
  if (n > NAMED)
    // translators: the end of a list of account names in a notification, "Mail, Work, Shop and 5 others"
    names.push(ngettext('{n} other', '{n} others', n - NAMED, { n: formatNumber(n - NAMED) }));
  return {
    account: undefined,
    summary: ngettext('{n} account needs you', '{n} accounts need you', n, { n: formatNumber(n) }),
    body: _('Their passwords were refused or their sign-ins revoked. Apps cannot reach {names} until you fix them.', {
      names: formatList(names),
    }),
    action: _('Open Online Accounts'),
  };
}

/** A SecretStore that reports each SecretsUnavailable refusal of a read. */
export class RefusalWatch implements SecretStore {
  constructor(
    private readonly inner: SecretStore,
    private readonly refused: () => void,
  ) {}

  set(id: string, name: string, value: string): Promise<void> {
    return this.inner.set(id, name, value);
  }

  async get(id: string, name: string): Promise<string | null> {
    try {
      return await this.inner.get(id, name);
    } catch (err) {
      if (err instanceof AccountsError && err.kind === 'SecretsUnavailable') this.refused();
      throw err;
    }
  }

  delete(id: string, name: string): Promise<boolean> {
    return this.inner.delete(id, name);
  }

  get available(): boolean {
    return this.inner.available;
  }

  on(event: 'availability', listener: (available: boolean) => void): this {
    this.inner.on(event, listener);
    return this;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
