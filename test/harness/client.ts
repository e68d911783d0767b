/** A thin dbus-next client for tests: raw calls with exact error names, and signal capture. */
import dbus from 'dbus-next';

const { Message, Variant, MessageType } = dbus;
export { Variant };
export type V = InstanceType<typeof Variant>;

export const NAME = 'org.pantherx.Accounts';
export const ROOT = '/org/pantherx/Accounts';
export const MANAGER = 'org.pantherx.Accounts.Manager';
export const ACCOUNT = 'org.pantherx.Accounts.Account';
export const PROPS = 'org.freedesktop.DBus.Properties';
export const OM = 'org.freedesktop.DBus.ObjectManager';

export interface Signal {
  path: string;
  iface: string;
  member: string;
  body: unknown[];
}

export class TestClient {
  readonly signals: Signal[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly bus: dbus.MessageBus) {
    bus.on('message', (msg: InstanceType<typeof Message>) => {
      if (msg.type !== MessageType.SIGNAL) return;
      this.signals.push({ path: msg.path, iface: msg.interface, member: msg.member, body: msg.body });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(address: string, watchSignals = true): Promise<TestClient> {
    const bus = dbus.sessionBus({ busAddress: address });
    const client = new TestClient(bus);
    if (watchSignals)
      await client.callTo('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [
        `type='signal',sender='${NAME}'`,
      ]);
    return client;
  }

  async callTo(
    dest: string,
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
  ): Promise<unknown[]> {
    const reply = await this.bus.call(
      new Message({ destination: dest, path, interface: iface, member, signature, body }),
    );
    return (reply?.body as unknown[] | undefined) ?? [];
  }

  call(path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
    return this.callTo(NAME, path, iface, member, signature, body);
  }

  async addAccount(
    provider: string,
    account: string,
    secrets: Record<string, string> = {},
    options: Record<string, V> = {},
  ): Promise<string> {
    const [path] = await this.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [provider, account, secrets, options]);
    return path as string;
  }

  async get(path: string, iface: string, prop: string): Promise<unknown> {
    const [v] = await this.call(path, PROPS, 'Get', 'ss', [iface, prop]);
    return (v as V).value;
  }

  async getAll(path: string, iface: string): Promise<Record<string, unknown>> {
    const [all] = await this.call(path, PROPS, 'GetAll', 's', [iface]);
    return Object.fromEntries(Object.entries(all as Record<string, V>).map(([k, v]) => [k, v.value]));
  }

  async managedObjects(): Promise<Record<string, Record<string, Record<string, V>>>> {
    const [objects] = await this.call(ROOT, OM, 'GetManagedObjects');
    return objects as Record<string, Record<string, Record<string, V>>>;
  }

  /** Waits for a signal matching `pred` (already received or arriving within timeoutMs). */
  async waitSignal(pred: (s: Signal) => boolean, timeoutMs = 10_000, from = 0): Promise<Signal> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.signals.slice(from).find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('signal not received in time');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  disconnect(): void {
    this.bus.disconnect();
  }
}

/** Resolves to the D-Bus error name a call failed with (or throws if it succeeded). */
export async function errorOf(p: Promise<unknown>): Promise<{ type: string; text: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { type?: string; text?: string; message: string };
    return { type: e.type ?? 'not a D-Bus error', text: e.text ?? e.message };
  }
  throw new Error('the call succeeded but was expected to fail');
}

export const s = (v: string) => new Variant('s', v);
export const q = (v: number) => new Variant('q', v);
export const as = (v: string[]) => new Variant('as', v);
export const b = (v: boolean) => new Variant('b', v);
