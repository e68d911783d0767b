/**
 * One Online Accounts window program per session, the way GApplication does it: the first
 * px-accounts-ui that shows a window owns org.pantherx.AccountsUi on the session bus and
 * implements org.freedesktop.Application; a later start (a second click on a wallet's
 * notification, the menu entry again) asks it to show a window, on an account if one is named,
 * and ends. The running program opens the window onto its own server, so there is one server
 * whatever the number of starts. Nothing secret crosses the bus (the one-time link never leaves
 * the running program): a caller can at most make a window appear.
 */
import dbus from 'dbus-next';
import { Connection, sessionBusAddress, type DBusMessage } from '../client/connection.js';
import { ACCOUNT_ID } from './http.js';

export const UI_BUS_NAME = 'org.pantherx.AccountsUi';
export const UI_PATH = '/org/pantherx/AccountsUi';
const APPLICATION = 'org.freedesktop.Application';
/** ShownAccounts() → as: the accounts the window's pages show; the service sends no notification about them. */
const UI_IFACE = 'org.pantherx.AccountsUi';
/** The action that shows an account: ActivateAction('show-account', [<'ID'>], {}). */
const SHOW_ACCOUNT = 'show-account';
const DO_NOT_QUEUE = 4;
const TIMEOUT_MS = 5000;

const { Message, RequestNameReply, Variant } = dbus;

const INTROSPECTION = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="${APPLICATION}">
    <method name="Activate"><arg type="a{sv}" name="platform_data" direction="in"/></method>
    <method name="Open"><arg type="as" name="uris" direction="in"/><arg type="a{sv}" name="platform_data" direction="in"/></method>
    <method name="ActivateAction"><arg type="s" name="action_name" direction="in"/><arg type="av" name="parameter" direction="in"/><arg type="a{sv}" name="platform_data" direction="in"/></method>
  </interface>
  <interface name="${UI_IFACE}">
    <method name="ShownAccounts"><arg type="as" name="accounts" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg type="s" name="xml_data" direction="out"/></method>
  </interface>
</node>
`;

/** Shows a window (on `account`); false when it could not (the program is ending, no browser starts). */
export type Show = (account: string | undefined) => Promise<boolean>;

/** `release()` lets the name go (first) or closes the connection (not first). */
export type Instance =
  | { readonly first: true; release(): void }
  | { readonly first: false; release(): void; handOver(account: string | undefined): Promise<void> };

/** Takes the name (first: serve the Application interface with `show`) or learns who has it. */
export async function claimInstance(
  show: Show,
  env: NodeJS.ProcessEnv = process.env,
  shown: () => string[] = () => [],
): Promise<Instance> {
  const conn = await Connection.open(sessionBusAddress(env), TIMEOUT_MS);
  const [reply] = await conn
    .busCall('RequestName', 'su', [UI_BUS_NAME, DO_NOT_QUEUE], TIMEOUT_MS)
    .catch((err: Error) => {
      conn.disconnect();
      throw err;
    });
  if (reply !== RequestNameReply.PRIMARY_OWNER) {
    return {
      first: false,
      release: () => conn.disconnect(),
      async handOver(account) {
        try {
          await conn.call(
            account
              ? {
                  destination: UI_BUS_NAME,
                  path: UI_PATH,
                  interface: APPLICATION,
                  member: 'ActivateAction',
                  signature: 'sava{sv}',
                  body: [SHOW_ACCOUNT, [new Variant('s', account)], {}],
                  timeoutMs: TIMEOUT_MS,
                }
              : {
                  destination: UI_BUS_NAME,
                  path: UI_PATH,
                  interface: APPLICATION,
                  member: 'Activate',
                  signature: 'a{sv}',
                  body: [{}],
                  timeoutMs: TIMEOUT_MS,
                },
          );
        } finally {
          conn.disconnect();
        }
      },
    };
  }
  conn.bus.addMethodHandler((msg: DBusMessage) => {
    if (msg.path !== UI_PATH) return false;
    const answer = (error?: [string, string], signature = '', body: unknown[] = []) =>
      // (dbus-next's types say newError takes a string; it takes the call, like newMethodReturn.)
      conn.bus.send(
        error
          ? Message.newError(msg as unknown as string, error[0], error[1])
          : Message.newMethodReturn(msg, signature, body),
      );
    if (msg.interface === 'org.freedesktop.DBus.Introspectable' && msg.member === 'Introspect') {
      answer(undefined, 's', [INTROSPECTION]);
      return true;
    }
    if (msg.interface === UI_IFACE && msg.member === 'ShownAccounts') {
      answer(undefined, 'as', [shown()]);
      return true;
    }
    if (msg.interface !== APPLICATION) return false;
    let account: string | undefined;
    if (msg.member === 'ActivateAction') {
      const [name, parameter] = msg.body as [string, Array<{ value: unknown }>];
      const id = parameter?.[0]?.value;
      if (name !== SHOW_ACCOUNT || typeof id !== 'string' || !ACCOUNT_ID.test(id)) {
        answer(['org.freedesktop.DBus.Error.InvalidArgs', `the only action is ${SHOW_ACCOUNT}, with an account id`]);
        return true;
      }
      account = id;
    } else if (msg.member !== 'Activate' && msg.member !== 'Open') {
      return false;
    }
    // Answered once the window is (or could not be) opened: the caller opens its own if not.
    void show(account)
      .catch(() => false)
      .then((shown) =>
        answer(
          shown
            ? undefined
            : ['org.pantherx.AccountsUi.Error.Failed', 'the running Online Accounts program could not open a window'],
        ),
      );
    return true;
  });
  return { first: true, release: () => conn.disconnect() };
}
