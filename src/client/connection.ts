/**
 * A session-bus connection for the client: dbus-next's low-level API (Message + call) with
 * what it lacks added — a timeout on every call, a connect that fails instead of hanging or
 * throwing synchronously, and a "closed" notification when the bus goes away.
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import dbus from 'dbus-next';
import {
  BusTimeout,
  callWithTimeout,
  destroyConnection,
  onConnectionEnd,
  type BusReply,
  type DBusMessage,
} from '../dbus-next-adapter.js';
import { AccountsClientError, fromDbusError } from './errors.js';

const { MessageType } = dbus;
export type { BusReply, DBusMessage };

/** Flag that tells the bus not to start the service to deliver the call. */
const NO_AUTO_START = 0x2;

/** The session bus address: explicit, $DBUS_SESSION_BUS_ADDRESS, or $XDG_RUNTIME_DIR/bus. */
export function sessionBusAddress(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
  if (env.XDG_RUNTIME_DIR && existsSync(join(env.XDG_RUNTIME_DIR, 'bus')))
    return `unix:path=${join(env.XDG_RUNTIME_DIR, 'bus')}`;
  return undefined;
}

export interface CallSpec {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
  timeoutMs: number;
  /** Default true: the bus may activate the destination. */
  autoStart?: boolean;
}

export class Connection extends EventEmitter<{ closed: [reason: string]; signal: [msg: DBusMessage] }> {
  private closedReason: string | undefined;
  /** Aborted when the connection closes: pending calls fail with ServiceUnreachable. */
  private readonly closing = new AbortController();

  private constructor(readonly bus: dbus.MessageBus) {
    super();
    setMaxListeners(0, this.closing.signal); // one listener per pending call, as many as there are
    // dbus-next re-emits stream errors as 'error'; without a listener they would crash the app.
    bus.on('error', (err: unknown) => this.close(`session bus error: ${(err as Error)?.message ?? String(err)}`));
    onConnectionEnd(bus, () => this.close('the session bus closed the connection'));
    bus.on('message', (msg: DBusMessage) => {
      if (msg.type === MessageType.SIGNAL) this.emit('signal', msg);
    });
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Connects (authenticates and says Hello) within `timeoutMs`. */
  static async open(address: string | undefined, timeoutMs: number): Promise<Connection> {
    if (!address) {
      throw new AccountsClientError(
        'ServiceUnreachable',
        'no session bus: DBUS_SESSION_BUS_ADDRESS is not set (run inside a desktop session, or set it)',
      );
    }
    let bus: dbus.MessageBus;
    try {
      bus = dbus.sessionBus({ busAddress: address });
    } catch (err) {
      throw new AccountsClientError(
        'ServiceUnreachable',
        `cannot use the session bus address '${address}': ${(err as Error).message}`,
        { cause: err },
      );
    }
    await new Promise<void>((resolve, reject) => {
      const fail = (err: AccountsClientError) => {
        clearTimeout(timer);
        bus.removeListener('connect', ok);
        bus.removeListener('error', onError);
        stopWatchingEnd();
        destroyConnection(bus);
        reject(err);
      };
      const ok = () => {
        clearTimeout(timer);
        bus.removeListener('error', onError);
        stopWatchingEnd();
        resolve();
      };
      const onError = (err: unknown) =>
        fail(
          new AccountsClientError(
            'ServiceUnreachable',
            `cannot connect to the session bus at ${address}: ${(err as Error)?.message ?? String(err)}`,
            { cause: err },
          ),
        );
      const onEnd = () =>
        fail(new AccountsClientError('ServiceUnreachable', `the session bus at ${address} closed the connection`));
      const timer = setTimeout(
        () =>
          fail(
            new AccountsClientError('Timeout', `the session bus at ${address} did not answer within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      bus.once('connect', ok);
      bus.on('error', onError);
      const stopWatchingEnd = onConnectionEnd(bus, onEnd, true);
    });
    return new Connection(bus);
  }

  /** One method call; rejects with AccountsClientError (Timeout after `timeoutMs`). */
  async call(spec: CallSpec): Promise<BusReply> {
    if (this.closedReason !== undefined)
      throw new AccountsClientError('ServiceUnreachable', `not connected: ${this.closedReason}`);
    const { timeoutMs, autoStart, ...call } = spec;
    try {
      return await callWithTimeout(
        this.bus,
        { ...call, flags: autoStart === false ? NO_AUTO_START : 0 },
        timeoutMs,
        this.closing.signal,
      );
    } catch (err) {
      if (err instanceof AccountsClientError) throw err;
      if (err instanceof BusTimeout) throw new AccountsClientError('Timeout', err.message);
      throw this.closed
        ? new AccountsClientError('ServiceUnreachable', `not connected: ${this.closedReason}`)
        : fromDbusError(err);
    }
  }

  /** Calls the bus daemon itself. */
  async busCall(member: string, signature: string, body: unknown[], timeoutMs: number): Promise<unknown[]> {
    const reply = await this.call({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member,
      signature,
      body,
      timeoutMs,
    });
    return reply.body;
  }

  /** Ends the connection; pending calls fail with ServiceUnreachable. */
  disconnect(): void {
    if (this.closedReason === undefined) {
      this.close('the client disconnected', false);
      this.bus.disconnect();
    }
  }

  private close(reason: string, announce = true): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.closing.abort(new AccountsClientError('ServiceUnreachable', `not connected: ${reason}`));
    if (announce) this.emit('closed', reason);
  }
}
