/**
 * Telling the person when the service needs them (README: "Notifications"):
 *
 * - an account turns AttentionNeeded (a password refused, an OAuth2 grant revoked): one desktop
 *   notification with an action, "Enter password" or "Sign in again", that opens the window on
 *   the account. Later checks that find the same trouble say nothing (AttentionNeeded stays
 *   set); once it is cleared (a new secret, a sign-in, a check that passes) and set again, a new
 *   one. None while the Online Accounts window shows the account: the window program, owner of
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
import { _ } from '../i18n/index.js';
import { log } from '../log.js';
import type { SecretStore } from '../secrets/secret-service.js';
import type { AccountStatus } from '../status/status.js';

const UI_NAME = 'org.pantherx.AccountsUi';
const UI_PATH = '/org/pantherx/AccountsUi';
const UI_IFACE = 'org.pantherx.AccountsUi';
const ASK_TIMEOUT_MS = 1000;

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

export class AttentionNotices {
  /** Accounts whose current trouble was told (or seen in the window): not again until cleared. */
  private readonly told = new Set<string>();
  private keyringTold = false;

  constructor(
    private readonly notify: (notice: Notice) => void,
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

  /** Every status change of an account (the service's listener). */
  statusChanged(state: AccountState, before: AccountStatus): void {
    const id = state.config.id;
    if (!state.status.attentionNeeded) {
      this.told.delete(id);
      this.waiting.delete(id);
      return;
    }
    if (before.attentionNeeded || this.told.has(id)) return;
    this.told.add(id);
    this.waiting.set(id, state);
    this.tellSoon();
  }

  removed(id: string): void {
    this.told.delete(id);
    this.waiting.delete(id);
  }

  /** One batch at a time: what turns AttentionNeeded while one is told waits for the next. */
  private tellSoon(): void {
    if (this.telling || this.waiting.size === 0) return;
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
    for (const state of batch) {
      const id = state.config.id;
      // while the window was asked, the account may have been fixed or removed (both clear told)
      if (!this.told.has(id) || !state.status.attentionNeeded) continue;
      if (shown.has(id)) {
        log.info(`account ${id} needs attention: the window shows it, no notification`);
        continue;
      }
      const name = state.config.name || state.config.username;
      const oauth2 = state.config.auth === 'oauth2';
      // In the service's language (its session's LANG), as the check results it words.
      this.notify({
        account: id,
        summary: oauth2 ? _('Sign in to {name} again', { name }) : _('{name}: the password was refused', { name }),
        body: oauth2
          ? _(
              "The provider no longer accepts this account's sign-in. Apps cannot reach {name} until you sign in again.",
              { name },
            )
          : _('{reason} Apps cannot reach {name} until you enter the right one.', {
              reason: state.status.message || _('The server refused the password.'),
              name,
            }),
        // translators: the button of the notification that an account's password was refused
        action: oauth2 ? _('Sign in again') : _('Enter password'),
      });
    }
  }

  /** A secret was asked for and the Secret Service refused (locked, gone). */
  secretsRefused(): void {
    if (this.keyringTold || this.secretsAvailable()) return;
    this.keyringTold = true;
    if (!this.enabled()) {
      log.info('secrets were asked for while the keyring is locked (notifications are off)');
      return;
    }
    this.notify({
      account: undefined,
      summary: _('Unlock your keyring'),
      body: _(
        'Apps asked for the passwords of your online accounts, but the keyring is locked. Unlock it (log in again, or open your passwords app) and they will get them.',
      ),
      action: _('Open Online Accounts'),
    });
  }

  /** Secrets available again: the next refusal is told again. */
  availabilityChanged(available: boolean): void {
    if (available) this.keyringTold = false;
  }
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
