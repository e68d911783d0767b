/**
 * Desktop notifications (org.freedesktop.Notifications.Notify) for what live protocols report.
 * Best effort: no notification server (a headless machine) is a debug line, never a failure.
 */
import dbus from 'dbus-next';
import { log } from '../log.js';

const { Message, Variant } = dbus;
const TIMEOUT_MS = 5000;

/** The app name notifications carry; the action opens the account in the Online Accounts window. */
export const APP_NAME = 'Online Accounts';

export function notify(bus: dbus.MessageBus, account: string, summary: string, body: string): void {
  const call = bus.call(new Message({
    destination: 'org.freedesktop.Notifications', path: '/org/freedesktop/Notifications', interface: 'org.freedesktop.Notifications',
    member: 'Notify', signature: 'susssasa{sv}i',
    body: [APP_NAME, 0, 'px-accounts', summary, body, ['default', 'Open'], {
      'desktop-entry': new Variant('s', 'px-accounts-ui'), category: new Variant('s', 'transfer.complete'), 'x-px-accounts-account': new Variant('s', account),
    }, -1],
  }));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer')), TIMEOUT_MS);
    timer.unref();
  });
  void Promise.race([call, late]).then(
    () => log.info(`notified: ${summary} (account ${account})`),
    (err: Error) => log.debug(`no desktop notification for account ${account}: ${err.message}`),
  ).finally(() => clearTimeout(timer));
}
