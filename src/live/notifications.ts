/**
 * Desktop notifications (org.freedesktop.Notifications) for what live protocols report, and
 * their action: "Open" (the default action, a click on the bubble) opens the account in the
 * Online Accounts window. Best effort: no notification server (a headless machine) is a debug
 * line, never a failure.
 */
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import dbus from 'dbus-next';
import { callWithTimeout, type DBusMessage } from '../dbus-next-adapter.js';
import { _, N_ } from '../i18n/index.js';
import { log } from '../log.js';

const { MessageType, Variant } = dbus;
const TIMEOUT_MS = 5000;
const NOTIFICATIONS = [
  'org.freedesktop.Notifications',
  '/org/freedesktop/Notifications',
  'org.freedesktop.Notifications',
] as const;
/** Notifications whose action is still awaited; the oldest are forgotten first. */
const REMEMBERED = 200;

/** The app name notifications carry (the window's name, translated where the notification is made). */
export const APP_NAME = N_('Online Accounts');

/** Opens the window on an account (`px-accounts-ui --account ID`, next to the service's own program), or on its list. */
export function openWindow(account: string | undefined): void {
  const command = process.env.PX_ACCOUNTS_UI_COMMAND;
  const which = account === undefined ? [] : ['--account', account];
  const [file, args] = command
    ? [command, which]
    : [process.execPath, [join(dirname(realpathSync(process.argv[1]!)), 'px-accounts-ui.js'), ...which]];
  try {
    const child = spawn(file, args, { detached: true, stdio: 'ignore' });
    child.on('error', (err) => log.warning(`the Online Accounts window did not start: ${err.message}`));
    child.unref();
  } catch (err) {
    log.warning(`the Online Accounts window did not start: ${(err as Error).message}`);
  }
}

export class Notifier {
  /** Our notifications by id, with the account each is about ('' for none), and who shows them. */
  private readonly ours = new Map<number, string>();
  private server: string | undefined;
  private stopped = false;

  constructor(
    private readonly bus: dbus.MessageBus,
    private readonly open: (account: string | undefined) => void = openWindow,
  ) {}

  start(): void {
    this.bus.on('message', this.onMessage);
    for (const rule of [
      `type='signal',interface='${NOTIFICATIONS[2]}',member='ActionInvoked'`,
      `type='signal',interface='${NOTIFICATIONS[2]}',member='NotificationClosed'`,
      // A new server numbers its notifications afresh: ours on the old one are gone.
      `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${NOTIFICATIONS[0]}'`,
    ]) {
      void callWithTimeout(
        this.bus,
        {
          destination: 'org.freedesktop.DBus',
          path: '/org/freedesktop/DBus',
          interface: 'org.freedesktop.DBus',
          member: 'AddMatch',
          signature: 's',
          body: [rule],
        },
        TIMEOUT_MS,
      ).catch((err: Error) => log.debug(`notification actions not watched: ${err.message}`));
    }
  }

  stop(): void {
    this.stopped = true;
    this.bus.off('message', this.onMessage);
  }

  /**
   * The body is escaped: servers that support body markup (KDE, dunst, mako) would otherwise
   * show links and images from an account's name or a server's words, and a bare & breaks
   * their parser. The summary is plain text by the specification.
   *
   * `account` undefined: about no account (the action opens the window's list). `extra.action`
   * adds a button ('open') beside the default action, doing the same. `extra.replaces`: the id
   * of one of ours that this one updates in place (the specification's replaces_id).
   *
   * Resolves the id the server gave it, or undefined when none was shown (no server, an error).
   */
  notify(
    account: string | undefined,
    summary: string,
    body: string,
    extra: { action?: string; category?: string; replaces?: number } = {},
  ): Promise<number | undefined> {
    // translators: the default action of a notification about an account: opens it in the Online Accounts window
    const actions = ['default', extra.action ?? _('Open'), ...(extra.action ? ['open', extra.action] : [])];
    return callWithTimeout(
      this.bus,
      {
        destination: NOTIFICATIONS[0],
        path: NOTIFICATIONS[1],
        interface: NOTIFICATIONS[2],
        member: 'Notify',
        signature: 'susssasa{sv}i',
        body: [
          _(APP_NAME),
          extra.replaces ?? 0,
          'px-accounts',
          summary,
          escapeMarkup(body),
          actions,
          {
            'desktop-entry': new Variant('s', 'px-accounts-ui'),
            category: new Variant('s', extra.category ?? 'transfer.complete'),
            'x-px-accounts-account': new Variant('s', account ?? ''),
          },
          -1,
        ],
      },
      TIMEOUT_MS,
    ).then(
      (reply) => {
        log.info(`notified: ${summary}${account ? ` (account ${account})` : ''}`);
        const id = reply.body[0];
        if (typeof id !== 'number') return undefined;
        // Actions are believed from the server that showed the notification only.
        this.server = reply.sender ?? this.server;
        this.ours.delete(id); // a replaced one moves to the newest end
        this.ours.set(id, account ?? '');
        if (this.ours.size > REMEMBERED) this.ours.delete(this.ours.keys().next().value!);
        return id;
      },
      (err: Error) => {
        log.debug(`no desktop notification for account ${account}: ${err.message}`);
        return undefined;
      },
    );
  }

  /**
   * Takes a notification of ours off the screen (CloseNotification): what it told is over.
   * Best effort, like showing it; one already closed or clicked is left alone.
   */
  close(id: number): void {
    if (!this.ours.delete(id)) return;
    void callWithTimeout(
      this.bus,
      {
        // The server that showed it (ids are only its own), not whoever owns the name now.
        destination: this.server ?? NOTIFICATIONS[0],
        path: NOTIFICATIONS[1],
        interface: NOTIFICATIONS[2],
        member: 'CloseNotification',
        signature: 'u',
        body: [id],
      },
      TIMEOUT_MS,
    ).then(
      () => log.info(`notification ${id} withdrawn`),
      (err: Error) => log.debug(`notification ${id} not withdrawn: ${err.message}`),
    );
  }

  /** Whether a notification of ours is still on screen as far as we know: not closed, not clicked. */
  isShown(id: number): boolean {
    return this.ours.has(id);
  }

  private readonly onMessage = (msg: DBusMessage): void => {
    if (msg.type !== MessageType.SIGNAL) return;
    if (
      msg.member === 'NameOwnerChanged' &&
      msg.sender === 'org.freedesktop.DBus' &&
      msg.body?.[0] === NOTIFICATIONS[0]
    ) {
      // The server went or was replaced: its ids mean nothing now (another's may reuse them).
      this.ours.clear();
      this.server = undefined;
      return;
    }
    if (msg.interface !== NOTIFICATIONS[2]) return;
    // A click can arrive in the same read as the Notify reply that names its id; that reply is
    // settled in promise callbacks, so the signal is looked at after them.
    setImmediate(() => this.onSignal(msg));
  };

  private onSignal(msg: DBusMessage): void {
    if (this.stopped || !this.server || msg.sender !== this.server) return;
    const id: unknown = msg.body?.[0];
    if (typeof id !== 'number' || !this.ours.has(id)) return;
    const account = this.ours.get(id)!;
    if (msg.member === 'NotificationClosed') this.ours.delete(id);
    else if (msg.member === 'ActionInvoked' && (msg.body[1] === 'default' || msg.body[1] === 'open')) {
      this.ours.delete(id);
      log.info(
        `opening ${account ? `account ${account} in ` : ''}the Online Accounts window (its notification was clicked)`,
      );
      this.open(account || undefined);
    }
  }
}

/** The specification's body markup is a small XML subset: these three make any text literal. */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
