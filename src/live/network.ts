/**
 * NetworkManager's view of the network, from the system bus: whether the machine is offline
 * (State asleep, disconnected, disconnecting or connecting; or, when State is unknown,
 * Connectivity none) and when that changes (StateChanged, PropertiesChanged, NetworkManager
 * starting or going away). Best effort: no system bus or no NetworkManager is a debug line and
 * `online` stays undefined (unknown), which the service treats as today's behaviour.
 */
import dbus from 'dbus-next';
import type { Accounts } from '../accounts/accounts.js';
import { callWithTimeout, onConnectionEnd, type DBusMessage } from '../dbus-next-adapter.js';
import { log } from '../log.js';

const { MessageType } = dbus;
export const NM_NAME = 'org.freedesktop.NetworkManager';
export const NM_PATH = '/org/freedesktop/NetworkManager';
const NM_IFACE = 'org.freedesktop.NetworkManager';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const TIMEOUT_MS = 5000;

/** NMState values below CONNECTED_LOCAL (50): asleep 10, disconnected 20, disconnecting 30, connecting 40. */
const OFFLINE_STATES = new Set([10, 20, 30, 40]);
/** NMConnectivityState NONE: the host is not connected to any network. */
const CONNECTIVITY_NONE = 1;

/** Online (true), offline (false) or unknown (undefined) from NetworkManager's State and Connectivity. */
export function onlineFrom(state: number | undefined, connectivity: number | undefined): boolean | undefined {
  if (state !== undefined && state !== 0) return !OFFLINE_STATES.has(state);
  if (connectivity !== undefined && connectivity !== 0) return connectivity !== CONNECTIVITY_NONE;
  return undefined;
}

export class NetworkWatch {
  private bus: dbus.MessageBus | undefined;
  private state: number | undefined;
  private connectivity: number | undefined;
  private owner: string | undefined;
  private current: boolean | undefined;
  private stopped = false;

  /** `changed(online)` is called on every change between online, offline and unknown. */
  constructor(private readonly changed: (online: boolean | undefined) => void) {}

  /** Online, offline, or undefined when NetworkManager is not there to say. */
  get online(): boolean | undefined {
    return this.current;
  }

  start(): void {
    let bus: dbus.MessageBus;
    try {
      bus = dbus.systemBus();
    } catch (err) {
      log.debug(`network changes not followed (no system bus): ${(err as Error).message}`);
      return;
    }
    this.bus = bus;
    bus.on('error', (err: Error) => {
      log.debug(`network changes not followed (system bus: ${err.message})`);
      this.forget();
    });
    onConnectionEnd(bus, () => this.forget());
    bus.on('message', this.onMessage);
    const rules = [
      `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${NM_NAME}'`,
      `type='signal',sender='${NM_NAME}',interface='${NM_IFACE}',member='StateChanged'`,
      `type='signal',sender='${NM_NAME}',interface='${PROPERTIES}',member='PropertiesChanged',path='${NM_PATH}'`,
    ];
    void Promise.all(
      rules.map((rule) =>
        this.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [rule]),
      ),
    )
      .then(() =>
        this.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetNameOwner', 's', [
          NM_NAME,
        ]).catch(() => [undefined]),
      )
      .then(([owner]) => {
        this.owner = owner as string | undefined;
        if (this.owner) return this.readAll();
        log.debug('NetworkManager is not running: accounts are retried with backoff');
      })
      .catch((err: Error) => log.debug(`network changes not followed: ${err.message}`));
  }

  stop(): void {
    this.stopped = true;
    this.bus?.off('message', this.onMessage);
    try {
      this.bus?.disconnect();
    } catch {
      // already gone
    }
    this.bus = undefined;
  }

  private forget(): void {
    this.owner = undefined;
    this.state = this.connectivity = undefined;
    this.update();
  }

  private async readAll(): Promise<void> {
    const [props] = await this.call(NM_NAME, NM_PATH, PROPERTIES, 'GetAll', 's', [NM_IFACE]);
    this.take(props as Record<string, { value: unknown }>);
  }

  private take(props: Record<string, { value: unknown }>): void {
    if (typeof props.State?.value === 'number') this.state = props.State.value;
    if (typeof props.Connectivity?.value === 'number') this.connectivity = props.Connectivity.value;
    this.update();
  }

  private update(): void {
    if (this.stopped) return;
    const next = this.owner ? onlineFrom(this.state, this.connectivity) : undefined;
    if (next === this.current) return;
    this.current = next;
    log.info(
      `network: ${next === undefined ? 'unknown (NetworkManager not followed)' : next ? 'online' : 'offline'} (NetworkManager State ${this.state ?? '?'}, Connectivity ${this.connectivity ?? '?'})`,
    );
    this.changed(next);
  }

  private readonly onMessage = (msg: DBusMessage): void => {
    if (msg.type !== MessageType.SIGNAL) return;
    if (msg.member === 'NameOwnerChanged' && msg.sender === 'org.freedesktop.DBus' && msg.body?.[0] === NM_NAME) {
      const owner = msg.body[2] as string;
      this.owner = owner || undefined;
      this.state = this.connectivity = undefined;
      if (this.owner) void this.readAll().catch((err: Error) => log.debug(`NetworkManager not read: ${err.message}`));
      else this.update();
      return;
    }
    if (!this.owner || msg.sender !== this.owner) return;
    if (msg.interface === NM_IFACE && msg.member === 'StateChanged' && typeof msg.body?.[0] === 'number') {
      this.state = msg.body[0];
      this.update();
    } else if (
      msg.interface === PROPERTIES &&
      msg.member === 'PropertiesChanged' &&
      msg.path === NM_PATH &&
      msg.body?.[0] === NM_IFACE
    ) {
      this.take(msg.body[1] as Record<string, { value: unknown }>);
    }
  };

  private async call(
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
  ): Promise<unknown[]> {
    if (!this.bus) throw new Error('no system bus');
    const reply = await callWithTimeout(
      this.bus,
      { destination, path, interface: iface, member, signature, body },
      TIMEOUT_MS,
    );
    return reply.body;
  }
}

/** How far apart the re-checks of a network's return start, at most (ms); all within ~5 s. */
const SPREAD_MS = 100;
const SPREAD_TOTAL_MS = 5000;

/**
 * Background checks follow the network: when NetworkManager says it went away, failed accounts
 * are not retried (no loop of checks that cannot succeed); when it comes back, every account
 * that is offline (and every one whose retry was held) is checked at once, a little apart,
 * through the Checker's queue. Without NetworkManager nothing changes: retries back off.
 */
export function followNetwork(accounts: Accounts): NetworkWatch {
  let previous: boolean | undefined;
  const watch = new NetworkWatch((online) => {
    const was = previous;
    previous = online;
    if (online === false) {
      accounts.checker.pauseRetries();
      return;
    }
    const ids =
      was === false ? [...accounts.all()].filter((s) => s.status.status === 'offline').map((s) => s.config.id) : [];
    const n = accounts.checker.resumeRetries(ids, Math.min(SPREAD_MS, SPREAD_TOTAL_MS / Math.max(1, ids.length)));
    if (n) log.info(`network ${online ? 'back' : 'no longer followed'}: checking ${n} account(s) again`);
  });
  watch.start();
  return watch;
}
