/**
 * The one place that adapts dbus-next 0.10.2, its internals included; nothing else reaches
 * into them (`_connection`, `_methodReturnHandlers`, `_nameOwners`).
 *
 * What it lacks:
 * - a timeout on a method call: `callWithTimeout` is how every outgoing call is made (the
 *   service's and the client library's), and a late reply's handler is dropped, not kept forever;
 * - an event for the loss of the connection: `onConnectionEnd`;
 * - access to the connected stream, which the object server (and `callWithTimeout`) write their own
 *   encoding to (src/dbus-wire.ts).
 *
 * Guards for two parser bugs reachable by any caller:
 * - a body with an fd ('h') but no fds makes the parser throw inside the socket handler (an
 *   uncaught exception that kills the process). No method of ours takes an fd, so the value is
 *   only looked at to answer "wrong signature": -1 (no fd) is enough.
 * - dictionaries become plain objects, so a key "__proto__" is silently dropped (or replaces
 *   the prototype). It is renamed to "[__proto__]", which every validator then refuses.
 */
import dbus from 'dbus-next';
// Imported, not required through createRequire: the start-up bundle must patch the same copy
// of dbus-next that it bundles.
import DBusBuffer from 'dbus-next/lib/dbus-buffer.js';
import { encodeMessage, MessageKind } from './dbus-wire.js';

// Function-typed fields, not methods: they are taken off the prototype and called with .call(this).
interface DBusBufferProto {
  readSimpleType: (this: { fds?: unknown[]; readInt32(): number }, type: string) => unknown;
  readTree: (this: unknown, tree: { type: string }) => unknown;
}

export function guardParser(): void {
  const { prototype } = DBusBuffer as unknown as { prototype: DBusBufferProto };
  const original = prototype.readSimpleType;
  if ((original as { guarded?: boolean }).guarded) return;
  const guarded = function (this: { fds?: unknown[]; readInt32(): number }, type: string): unknown {
    if (type === 'h') {
      const index = this.readInt32();
      return this.fds && index < this.fds.length ? this.fds[index] : -1;
    }
    return original.call(this, type);
  };
  (guarded as { guarded?: boolean }).guarded = true;
  prototype.readSimpleType = guarded;
  const readTree = prototype.readTree;
  prototype.readTree = function (this: unknown, tree: { type: string }): unknown {
    const value = readTree.call(this, tree);
    if (tree.type === '{' && Array.isArray(value) && value[0] === '__proto__') value[0] = '[__proto__]';
    return value;
  };
}

const { Message } = dbus;

/** An aborted signal's reason as an Error (as src/util/abort.ts, which this file does not import). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}
export type DBusMessage = InstanceType<typeof Message>;

/** A method reply: dbus-next types its body any; what it holds is known from `signature` only. */
export interface BusReply {
  readonly signature: string;
  readonly body: unknown[];
  /** The unique name that answered. */
  readonly sender?: string | null;
}

/** dbus-next's internals this file uses (not in its typings). */
interface Internals {
  _connection?: NodeJS.EventEmitter & {
    state?: string;
    stream?: NodeJS.WritableStream & { supportsUnixFd?: boolean; destroy(): void };
  };
  _methodReturnHandlers?: Record<number, unknown>;
  _nameOwners?: Record<string, string>;
}
const internals = (bus: dbus.MessageBus) => bus as unknown as Internals;

/** A method call; `flags` as in the message header (0x2: do not start the destination). */
export interface BusCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
  flags?: number;
}

/** No reply within the time given. */
export class BusTimeout extends Error {
  constructor(
    readonly call: BusCall,
    readonly timeoutMs: number,
  ) {
    super(`${call.interface}.${call.member} got no answer from ${call.destination} within ${timeoutMs} ms`);
    this.name = 'BusTimeout';
  }
}

/**
 * One method call that gives up after `timeoutMs` (dbus-next's own waits forever). Resolves
 * with the reply; rejects with dbus-next's DBusError for an error reply (`type`, `text`), a
 * BusTimeout, or the reason of `signal` once it is aborted (the bus went away, the caller
 * stopped). The timer does not keep the process alive.
 */
export function callWithTimeout(
  bus: dbus.MessageBus,
  call: BusCall,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<BusReply> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<DBusMessage>((resolve, reject) => {
    let done = false;
    let serial: number | undefined;
    const settle = (err: unknown, reply?: DBusMessage | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // dbus-next would keep the handler of a reply that never comes; a late one is then ignored.
      if (err !== undefined && serial !== undefined) delete internals(bus)._methodReturnHandlers?.[serial];
      if (err !== undefined) reject(err instanceof Error ? err : new Error('the call failed', { cause: err }));
      else if (reply) resolve(reply);
      else reject(new Error(`${call.interface}.${call.member}: no reply`));
    };
    const onAbort = () => settle(signal ? abortReason(signal) : new Error('aborted'));
    const timer = setTimeout(() => settle(new BusTimeout(call, timeoutMs)), timeoutMs);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      serial = sendCall(bus, call, settle);
    } catch (err) {
      settle(err);
    }
  });
}

const NO_REPLY_EXPECTED = 0x1;

/**
 * Sends a method call; `settle` gets its reply (an error reply as dbus-next's DBusError).
 * Encoded with src/dbus-wire.ts and written to the stream, as the object server does: dbus-next's
 * marshaller builds many small buffers per value, and a 10 000-account sweep's keyring and
 * notification calls made most of the main thread's garbage that lived long enough to reach the
 * old generation (docs/benchmarks.md). dbus-next sends while connecting or with fd passing.
 */
function sendCall(
  bus: dbus.MessageBus,
  call: BusCall,
  settle: (err: unknown, reply?: DBusMessage | null) => void,
): number | undefined {
  const signature = call.signature ?? '';
  const body = call.body ?? [];
  const flags = call.flags ?? 0;
  const stream = connectedStream(bus);
  if (!stream || signature.includes('h')) {
    const msg = new Message({ ...call, signature, body, flags });
    bus.call(msg).then(
      (reply) => settle(undefined, reply),
      (err: unknown) => settle(err ?? new Error('failed')),
    );
    return msg.serial ?? undefined;
  }
  // an ended stream takes the write silently: the call would wait out its whole timeout
  if (!stream.writable) throw new Error('the bus connection is closed');
  const serial = bus.newSerial();
  const bytes = encodeMessage({
    kind: MessageKind.MethodCall,
    flags,
    serial,
    destination: call.destination,
    path: call.path,
    iface: call.interface,
    member: call.member,
    signature,
    body,
  });
  if (flags & NO_REPLY_EXPECTED) {
    stream.write(bytes);
    settle(undefined, null);
    return undefined;
  }
  // What dbus-next's own call() registers: the reply, and who sent it.
  const state = internals(bus);
  state._methodReturnHandlers![serial] = (reply: DBusMessage) => {
    if (state._nameOwners) state._nameOwners[call.destination] = reply.sender ?? '';
    if (reply.type === dbus.MessageType.ERROR)
      settle(new dbus.DBusError(reply.errorName ?? '', String(reply.body[0] ?? ''), reply));
    else settle(undefined, reply);
  };
  stream.write(bytes);
  return serial;
}

/** Calls `listener` when the connection's stream ends (the bus went away); returns a remover. */
export function onConnectionEnd(bus: dbus.MessageBus, listener: () => void, once = false): () => void {
  const connection = internals(bus)._connection;
  if (once) connection?.once('end', listener);
  else connection?.on('end', listener);
  return () => connection?.removeListener('end', listener);
}

/** Destroys the connection's stream (a connect given up on before it finished). */
export function destroyConnection(bus: dbus.MessageBus): void {
  try {
    internals(bus)._connection?.stream?.destroy();
  } catch {
    /* already gone */
  }
}

/**
 * The stream of an established connection without fd passing, to write encoded messages to;
 * undefined while connecting or when fds were negotiated (then let dbus-next send).
 */
export function connectedStream(bus: dbus.MessageBus): NodeJS.WritableStream | undefined {
  const connection = internals(bus)._connection;
  const stream = connection?.stream;
  return connection?.state === 'connected' && stream && !stream.supportsUnixFd ? stream : undefined;
}
