// A desktop notification server of the test's own on the private bus: it owns
// org.freedesktop.Notifications, records every Notify call, and can click one (ActionInvoked).
import dbus from 'dbus-next';

const { Message, MessageType } = dbus;

export interface Notification {
  id: number;
  /** The replaces_id it was sent with (0: a new one). */
  replaces: number;
  appName: string;
  summary: string;
  body: string;
  actions: string[];
  hints: Record<string, unknown>;
}

export interface NotificationServer {
  readonly received: Notification[];
  waitFor(count: number, timeoutMs?: number): Promise<Notification[]>;
  /** What a user's click does: ActionInvoked(id, action) from the server. */
  invoke(id: number, action: string): void;
  /** What dismissing it does: NotificationClosed(id, 2) from the server. */
  close(id: number): void;
  stop(): void;
}

export async function startNotificationServer(address: string): Promise<NotificationServer> {
  const bus = dbus.sessionBus({ busAddress: address });
  const received: Notification[] = [];
  /** Waiters told of each Notify as it arrives. */
  const arrived = new Set<() => void>();
  let next = 0;
  bus.addMethodHandler((msg: InstanceType<typeof Message>) => {
    if (msg.interface !== 'org.freedesktop.Notifications') return false;
    if (msg.member === 'Notify') {
      const [appName, replaces, , summary, body, actions, hints] = msg.body as [
        string,
        number,
        string,
        string,
        string,
        string[],
        Record<string, { value: unknown }>,
      ];
      // The specification: a replaces_id of one still shown keeps its id.
      const id = replaces !== 0 && received.some((n) => n.id === replaces) ? replaces : ++next;
      received.push({
        id,
        replaces,
        appName,
        summary,
        body,
        actions,
        hints: Object.fromEntries(Object.entries(hints).map(([k, v]) => [k, v.value])),
      });
      bus.send(Message.newMethodReturn(msg, 'u', [id]));
      for (const check of [...arrived]) check();
      return true;
    }
    if (msg.member === 'GetCapabilities') {
      bus.send(Message.newMethodReturn(msg, 'as', [['body', 'actions']]));
      return true;
    }
    return false;
  });
  await bus.requestName('org.freedesktop.Notifications', 0x4);
  void MessageType;
  return {
    received,
    async waitFor(count, timeoutMs = 20_000) {
      if (received.length >= count) return received;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${received.length} notifications, expected ${count}`)),
          timeoutMs,
        );
        const check = () => {
          if (received.length < count) return;
          clearTimeout(timer);
          arrived.delete(check);
          resolve();
        };
        arrived.add(check);
      });
      return received;
    },
    invoke(id, action) {
      bus.send(
        Message.newSignal('/org/freedesktop/Notifications', 'org.freedesktop.Notifications', 'ActionInvoked', 'us', [
          id,
          action,
        ]),
      );
    },
    close(id) {
      bus.send(
        Message.newSignal(
          '/org/freedesktop/Notifications',
          'org.freedesktop.Notifications',
          'NotificationClosed',
          'uu',
          [id, 2],
        ),
      );
    },
    stop: () => bus.disconnect(),
  };
}
