/**
 * Who is calling: the uid and pid of a unique bus name (GetConnectionCredentials), then the app
 * of that process. Cached per unique name and dropped when the name goes away; a name is
 * never reused by the bus, so a cached identity cannot pass to another connection. After the
 * app lookup (which itself notices a pid replaced while it reads /proc) the name must still
 * have its owner: a caller that exited, and whose pid may since belong to another process, is
 * refused, never attributed to the newcomer.
 */
import { EventEmitter } from 'node:events';
import dbus from 'dbus-next';
import { callWithTimeout, type DBusMessage } from '../dbus-next-adapter.js';
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import { appOfPid, type AppInfo } from './app-info.js';

export interface Caller extends AppInfo {
  uid: number;
  pid: number;
  /** The unique bus name. */
  sender: string;
}

const DBUS = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus'] as const;
/** dbus-daemon answers in microseconds; a call that takes this long is one that never will. */
const BUS_TIMEOUT_MS = 2000;

/** Each unique name that left the bus (its sign-in requests go with it). */
interface CallersEvents {
  gone: [name: string];
}

/**
 * What a caller started ends when it leaves the bus. The sign-in requests that need to hear
 * it live on the bus server the access policy (which asks this) guards: an event breaks that circle.
 */
export class Callers extends EventEmitter<CallersEvents> {
  private readonly cache = new Map<string, Promise<Caller>>();
  private readonly onMessage = (msg: DBusMessage) => {
    // A unique name that lost its owner is gone for good (only the bus itself says so).
    if (
      msg.member === 'NameOwnerChanged' &&
      msg.sender === 'org.freedesktop.DBus' &&
      typeof msg.body?.[0] === 'string' &&
      msg.body[0].startsWith(':') &&
      msg.body[2] === ''
    ) {
      this.cache.delete(msg.body[0]);
      this.emit('gone', msg.body[0]);
    }
  };

  constructor(private readonly bus: dbus.MessageBus) {
    super();
  }

  async start(): Promise<void> {
    this.bus.on('message', this.onMessage);
    await this.daemon('AddMatch', `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'`);
  }

  stop(): void {
    this.bus.off('message', this.onMessage);
  }

  identify(sender: string): Promise<Caller> {
    let caller = this.cache.get(sender);
    if (!caller) {
      caller = this.lookup(sender);
      this.cache.set(sender, caller);
      caller.catch(() => this.cache.delete(sender));
    }
    return caller;
  }

  /** A call to dbus-daemon itself. */
  private async daemon(member: string, arg: string): Promise<unknown[]> {
    const reply = await callWithTimeout(
      this.bus,
      { destination: DBUS[0], path: DBUS[1], interface: DBUS[2], member, signature: 's', body: [arg] },
      BUS_TIMEOUT_MS,
    );
    return reply.body;
  }

  private async lookup(sender: string): Promise<Caller> {
    const [credentials] = await this.daemon('GetConnectionCredentials', sender).catch((err: Error) => {
      log.notice(`caller ${sender} not identified: ${err.message}`);
      throw refused(sender, 'the bus no longer knows it (it may have exited)');
    });
    const creds = (credentials ?? {}) as Record<string, { value: unknown }>;
    const uid = Number(creds.UnixUserID?.value);
    const pid = Number(creds.ProcessID?.value);
    if (!Number.isInteger(uid) || !Number.isInteger(pid) || pid <= 0)
      throw refused(sender, 'the bus does not tell its user and process');
    const label = creds.LinuxSecurityLabel?.value;
    try {
      const app = appOfPid(pid, Buffer.isBuffer(label) ? label.toString('utf8').replace(/\0+$/, '') : undefined);
      // The pid came with the connection; if that process had exited and the pid been reused
      // before we looked, the connection would be closed by now: the name must still be there.
      const [owned] = await this.daemon('NameHasOwner', sender);
      if (owned !== true) throw new Error('its connection closed while it was being identified');
      return { ...app, uid, pid, sender };
    } catch (err) {
      log.notice(`caller ${sender} (pid ${pid}) not identified: ${(err as Error).message}`);
      throw refused(sender, 'its process could not be identified (it may have exited)');
    }
  }
}

const refused = (sender: string, why: string) =>
  new AccountsError('AccessDenied', `caller ${sender} is refused: ${why}`);
