// A desktop notification server of the test's own on the private bus: it owns
// org.freedesktop.Notifications, records every Notify and CloseNotification call, and can click
// one (ActionInvoked).
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
  /** The ids a client took off the screen (CloseNotification), in order. */
  readonly withdrawn: number[];
  /** Resolves once CloseNotification(id) was called. */
  waitWithdrawn(id: number, timeoutMs?: number): Promise<void>;
  /** What a user's click does: ActionInvoked(id, action) from the server. */
  invoke(id: number, action: string): void;
  /** What dismissing it does: NotificationClosed(id, 2) from the server. */
  close(id: number): void;
  stop(): void;
}

export async function startNotificationServer(address: string): Promise<NotificationServer> {
  const bus = dbus.sessionBus({ busAddress: address });
  const received: Notification[] = [];
  const withdrawn: number[] = [];
  /** Waiters told of each Notify as it arrives. */
  const arrived = new Set<() => void>();
  const signal = (member: string, signature: string, body: unknown[]) =>
    bus.send(
      Message.newSignal('/org/freedesktop/Notifications', 'org.freedesktop.Notifications', member, signature, body),
    );
  let next = 0;
  let stopped = false;
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
    if (msg.member === 'CloseNotification') {
      const [id] = msg.body as [number];
      withdrawn.push(id);
      bus.send(Message.newMethodReturn(msg, '', []));
      signal('NotificationClosed', 'uu', [id, 3]); // the specification: closed by CloseNotification
      for (const check of [...arrived]) check();
      return true;
    }
    if (msg.member === 'GetCapabilities') {
      bus.send(Message.newMethodReturn(msg, 'as', [['body', 'actions']]));
      return true;
    }
    return false;
  });
  // DO_NOT_QUEUE: a server still holding the name is an error here, not a silent wait in line.
  const owner = await bus.requestName('org.freedesktop.Notifications', 0x4);
  if (owner !== 1) {
    bus.disconnect();
    throw new Error(`org.freedesktop.Notifications is taken (RequestName answered ${owner})`);
  }
  void MessageType;
  /** Resolves when `done` holds after a Notify or CloseNotification. */
  const until = (done: () => boolean, failure: () => string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        arrived.delete(check);
        reject(new Error(failure()));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        arrived.delete(check);
        resolve();
      };
      arrived.add(check);
    });
  return {
    received,
    withdrawn,
    async waitFor(count, timeoutMs = 20_000) {
      await until(
        () => received.length >= count,
        () => `${received.length} notifications, expected ${count}`,
        timeoutMs,
      );
      return received;
    },
    waitWithdrawn(id, timeoutMs = 20_000) {
      return until(
        () => withdrawn.includes(id),
        () => `notification ${id} was not withdrawn (withdrawn: ${withdrawn.join(', ') || 'none'})`,
        timeoutMs,
      );
    },
    invoke: (id, action) => signal('ActionInvoked', 'us', [id, action]),
    close: (id) => signal('NotificationClosed', 'uu', [id, 2]), // dismissed by the user
    stop: () => {
      if (!stopped) bus.disconnect();
      stopped = true;
    },
  };
}
