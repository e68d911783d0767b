/**
 * A small object server on top of dbus-next's connection: it dispatches method calls,
 * properties and introspection from the XML contract, and implements
 * org.freedesktop.DBus.ObjectManager. dbus-next's own service layer is bypassed because it
 * assigns read-only properties on Set, answers a wrong signature with UnknownMethod, drops a
 * whole path on unexport(path, iface) and sends stack traces to callers.
 */
import { readFileSync } from 'node:fs';
import dbus from 'dbus-next';
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import { ACCESS_ANNOTATION, type AccessRequest } from '../contract/access.js';
import { renderInterface, type Annotation, type InterfaceSpec } from './contract.js';
import { connectedStream } from '../dbus-next-adapter.js';
import {
  DictSource,
  encodeMessage,
  MessageKind,
  PropertyHeads,
  PropertySource,
  type OutgoingMessage,
} from '../dbus-wire.js';

const { Message, Variant } = dbus;
type DBusMessage = InstanceType<typeof Message>;

const NO_REPLY_EXPECTED = 0x1;
const PEER = 'org.freedesktop.DBus.Peer';
const INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager';
const DBUS_ERROR = 'org.freedesktop.DBus.Error.';

const XML_HEADER =
  '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n' +
  ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n';

export interface CallContext {
  sender: string;
  /** Who called, as the authorize hook identified them (only for members it checks). */
  caller?: unknown;
}

/**
 * Decides whether a call may run, before dispatch; undefined when the member needs no check
 * (the call then stays synchronous).
 */
export type Authorize = (req: AccessRequest) => Promise<unknown> | undefined;

export interface ObjectServerOptions {
  /** The objects the ObjectManager lists (default: everything below the manager's path). */
  readonly managedPrefix?: string;
  /** Asked before every call whose member has an access annotation (none: every call runs). */
  readonly authorize?: Authorize;
}

const accessOf = (annotations: readonly Annotation[]): string | undefined =>
  annotations.find((a) => a.name === ACCESS_ANNOTATION)?.value;

/** What an exported interface implements; member names are the contract's. */
export interface ExportedInterface {
  readonly spec: InterfaceSpec;
  getProperty(name: string): unknown;
  setProperty?(name: string, value: unknown, ctx: CallContext): Promise<void>;
  callMethod(name: string, args: unknown[], ctx: CallContext): unknown;
  /** Who may read the properties (default: everyone); others get AccessDenied. */
  readableBy?(sender: string): boolean;
}

/** Error replies that are not ours to type (standard D-Bus errors). */
class StandardError extends Error {
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(message);
  }
}

type Interfaces = Map<string, ExportedInterface>;

export class ObjectServer {
  private readonly objects = new Map<string, Interfaces>();
  private readonly bus: dbus.MessageBus;
  private readonly managerPath: string;
  private readonly managedPrefix: string;
  private machineId: string | undefined;
  /** On while the initial objects are exported (quietly): before the name is owned, nobody can be listening. */
  private quiet = false;
  /** Calls still running; shutdown waits for them so no write is cut short. */
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly authorize: Authorize | undefined;
  private readonly heads = new WeakMap<InterfaceSpec, PropertyHeads>();

  /** `standardSpecs`: Peer, Introspectable, Properties and ObjectManager, in the contract's model. */
  constructor(
    bus: dbus.MessageBus,
    managerPath: string,
    private readonly standardSpecs: ReadonlyMap<string, InterfaceSpec>,
    options: ObjectServerOptions = {},
  ) {
    this.bus = bus;
    this.managerPath = managerPath;
    this.managedPrefix = options.managedPrefix ?? managerPath + '/';
    this.authorize = options.authorize;
    bus.addMethodHandler((msg: DBusMessage) => {
      this.dispatch(msg);
      return true;
    });
  }

  /** Runs `exportAll` without announcing what it exports: the initial objects, before the name is owned. */
  quietly(exportAll: () => void): void {
    this.quiet = true;
    try {
      exportAll();
    } finally {
      this.quiet = false;
    }
  }

  /** Whether changes are announced (not while quietly exporting). */
  get announcing(): boolean {
    return !this.quiet;
  }

  /** Exports (or replaces) the interfaces of an object, announcing the difference. */
  setObject(path: string, ifaces: ExportedInterface[]): void {
    const previous = this.objects.get(path);
    const next: Interfaces = new Map(ifaces.map((i) => [i.spec.name, i]));
    this.objects.set(path, next);
    if (this.quiet || !path.startsWith(this.managedPrefix)) return;
    const removed = previous ? [...previous.keys()].filter((n) => !next.has(n)) : [];
    const added = [...next.values()].filter((i) => !previous?.has(i.spec.name));
    if (removed.length) this.signal(this.managerPath, OBJECT_MANAGER, 'InterfacesRemoved', 'oas', [path, removed]);
    if (added.length) {
      this.signal(this.managerPath, OBJECT_MANAGER, 'InterfacesAdded', 'oa{sa{sv}}', [path, this.describe(added)]);
    }
  }

  removeObject(path: string): void {
    const previous = this.objects.get(path);
    if (!previous) return;
    this.objects.delete(path);
    if (path.startsWith(this.managedPrefix)) {
      this.signal(this.managerPath, OBJECT_MANAGER, 'InterfacesRemoved', 'oas', [path, [...previous.keys()]]);
    }
  }

  /** Resolves when every call in progress has been answered. */
  async drain(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  hasObject(path: string): boolean {
    return this.objects.has(path);
  }

  emitPropertiesChanged(path: string, iface: string, names: string[]): void {
    const impl = this.objects.get(path)?.get(iface);
    if (!impl || names.length === 0) return;
    const changed: Record<string, unknown> = {};
    for (const name of names) changed[name] = this.variant(impl, name);
    this.signal(path, PROPERTIES, 'PropertiesChanged', 'sa{sv}as', [iface, changed, []]);
  }

  emitSignal(path: string, iface: string, name: string, args: unknown[]): void {
    const spec = this.objects.get(path)?.get(iface)?.spec.signals.get(name);
    if (!spec) throw new Error(`signal ${iface}.${name} is not exported on ${path}`);
    this.signal(path, iface, name, spec.signature, args);
  }

  private signal(path: string, iface: string, name: string, signature: string, body: unknown[]): void {
    this.send({ kind: MessageKind.Signal, path, iface, member: name, signature, body });
  }

  /** Encodes with our own marshaller and writes to the connection's stream. */
  private send(m: Omit<OutgoingMessage, 'serial'>): void {
    const stream = connectedStream(this.bus);
    if (!stream) {
      // Not connected yet (or fd passing negotiated): let dbus-next queue and marshal it.
      const msg =
        m.kind === MessageKind.Signal
          ? Message.newSignal(m.path!, m.iface!, m.member!, m.signature, m.body)
          : new Message({
              type: m.kind,
              replySerial: m.replySerial,
              destination: m.destination,
              errorName: m.errorName,
              signature: m.signature,
              body: m.body,
            } as unknown as ConstructorParameters<typeof Message>[0]);
      this.bus.send(msg);
      return;
    }
    if (!stream.writable) return; // the bus is gone; shutdown follows
    stream.write(encodeMessage({ ...m, serial: this.bus.newSerial() }));
  }

  private variant(impl: ExportedInterface, name: string): unknown {
    const spec = impl.spec.properties.get(name);
    if (!spec) throw new Error(`${impl.spec.name}.${name} is not in the contract`);
    return new Variant(spec.type, impl.getProperty(name));
  }

  private allProperties(impl: ExportedInterface): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const p of impl.spec.properties.values()) {
      if (p.access !== 'write') out[p.name] = new Variant(p.type, impl.getProperty(p.name));
    }
    return out;
  }

  private describe(ifaces: Iterable<ExportedInterface>): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const i of ifaces) out[i.spec.name] = this.allProperties(i);
    return out;
  }

  /**
   * GetManagedObjects' reply. On the connection the service writes itself (always, once it is
   * connected), every value goes straight from its getter into the reply: no record or variant
   * per account is built first, to be thrown away again (the first reply at start-up, 1 000
   * accounts: tens of ms of encoding and garbage collection).
   */
  private managedObjects(): unknown {
    if (!connectedStream(this.bus)) {
      const out: Record<string, unknown> = {};
      for (const [p, ifaces] of this.objects)
        if (p.startsWith(this.managedPrefix)) out[p] = this.describe(ifaces.values());
      return out;
    }
    const properties = (impl: ExportedInterface) => new PropertySource(this.headsOf(impl.spec), impl);
    return new DictSource((put) => {
      for (const [p, ifaces] of this.objects) {
        if (!p.startsWith(this.managedPrefix)) continue;
        put(
          p,
          new DictSource((putIface) => {
            for (const impl of ifaces.values()) putIface(impl.spec.name, properties(impl));
          }),
        );
      }
    });
  }

  /** The readable properties' keys and signatures, encoded once per interface. */
  private headsOf(spec: InterfaceSpec): PropertyHeads {
    let heads = this.heads.get(spec);
    if (!heads) {
      heads = new PropertyHeads([...spec.properties.values()].filter((p) => p.access !== 'write'));
      this.heads.set(spec, heads);
    }
    return heads;
  }

  private dispatch(msg: DBusMessage): void {
    const reply = (signature: string, body: unknown[]) => {
      if (msg.flags & NO_REPLY_EXPECTED) return;
      this.send({ kind: MessageKind.MethodReturn, replySerial: msg.serial!, destination: msg.sender, signature, body });
    };
    const fail = (err: unknown) => {
      let name: string;
      let text: string;
      if (err instanceof AccountsError || err instanceof StandardError) {
        name = err.dbusName;
        text = err.message;
      } else {
        // A bug, not bad input: log it whole, tell the caller only that it happened.
        log.error(
          `internal error in ${msg.interface}.${msg.member} on ${msg.path}: ${(err as Error)?.stack ?? String(err)}`,
        );
        name = DBUS_ERROR + 'Failed';
        text = 'Internal error in px-accounts; the service log has the details';
      }
      if (msg.flags & NO_REPLY_EXPECTED) return;
      const error = (errorName: string, body: string) =>
        this.send({
          kind: MessageKind.Error,
          replySerial: msg.serial!,
          destination: msg.sender,
          errorName,
          signature: 's',
          body: [body],
        });
      // fail() runs last in the reply's promise chain and in the message handler: if even the error
      // cannot be encoded (text the wire refuses, a closed stream), a throw here would end the service
      try {
        error(name, text);
      } catch (sendErr) {
        log.error(`cannot send ${name} for ${msg.interface}.${msg.member}: ${String(sendErr)}`);
        try {
          error(DBUS_ERROR + 'Failed', 'Internal error in px-accounts; the service log has the details');
        } catch {
          // the connection is gone: the caller sees its own timeout or the disconnect
        }
      }
    };
    try {
      const result = this.route(msg);
      if (result instanceof Promise) {
        const done = result.then(([sig, body]) => reply(sig, body), fail).catch(fail);
        this.inflight.add(done);
        void done.finally(() => this.inflight.delete(done));
      } else {
        reply(result[0], result[1]);
      }
    } catch (err) {
      fail(err);
    }
  }

  private route(msg: DBusMessage): [string, unknown[]] | Promise<[string, unknown[]]> {
    const path = msg.path ?? '/';
    const iface = msg.interface ?? '';
    const member = msg.member ?? '';
    const sig = msg.signature ?? '';
    const body = msg.body ?? [];
    const ctx: CallContext = { sender: msg.sender ?? '' };

    const std = this.standardSpecs.get(iface);
    if (std) {
      const spec = std.methods.get(member);
      if (!spec) throw new StandardError(DBUS_ERROR + 'UnknownMethod', `No method ${member} in ${iface}`);
      if (spec.inSignature !== sig) {
        throw new StandardError(
          DBUS_ERROR + 'InvalidArgs',
          `${iface}.${member} takes (${spec.inSignature}), got (${sig})`,
        );
      }
      return this.standard(path, iface, member, body as string[], ctx);
    }

    const object = this.objects.get(path);
    if (!object) throw new StandardError(DBUS_ERROR + 'UnknownObject', `No object at ${path}`);
    const impl = iface ? object.get(iface) : [...object.values()].find((i) => i.spec.methods.has(member));
    if (!impl) throw new StandardError(DBUS_ERROR + 'UnknownInterface', `No interface ${iface} at ${path}`);
    const spec = impl.spec.methods.get(member);
    if (!spec) throw new StandardError(DBUS_ERROR + 'UnknownMethod', `No method ${member} in ${impl.spec.name}`);
    if (spec.inSignature !== sig) {
      throw new AccountsError(
        'InvalidArgument',
        `${member} takes arguments of type (${spec.inSignature}), got (${sig})`,
      );
    }
    const wrap = (value: unknown): [string, unknown[]] =>
      spec.out.length === 0 ? ['', []] : [spec.outSignature, spec.out.length === 1 ? [value] : (value as unknown[])];
    const gate = this.authorize?.({
      sender: ctx.sender,
      iface: impl.spec.name,
      member,
      path,
      access: accessOf(spec.annotations),
      args: body,
    });
    if (gate) {
      return gate.then(async (caller) => wrap(await impl.callMethod(member, body, { ...ctx, caller })));
    }
    const result = impl.callMethod(member, body, ctx);
    return result instanceof Promise ? result.then(wrap) : wrap(result);
  }

  private standard(
    path: string,
    iface: string,
    member: string,
    args: string[],
    ctx: CallContext,
  ): [string, unknown[]] | Promise<[string, unknown[]]> {
    if (iface === PEER) {
      if (member === 'Ping') return ['', []];
      this.machineId ??= readMachineId();
      return ['s', [this.machineId]];
    }
    if (iface === INTROSPECTABLE) return ['s', [this.introspect(path)]];
    if (iface === OBJECT_MANAGER) {
      if (path !== this.managerPath)
        throw new StandardError(DBUS_ERROR + 'UnknownInterface', `No ObjectManager at ${path}`);
      return ['a{oa{sa{sv}}}', [this.managedObjects()]];
    }
    // org.freedesktop.DBus.Properties
    const object = this.objects.get(path);
    if (!object) throw new StandardError(DBUS_ERROR + 'UnknownObject', `No object at ${path}`);
    // The bus checked the signature ('ss' / 'ssv') before the call reached here.
    const [ifaceName = '', propName = ''] = args;
    const readable = (i: ExportedInterface) => {
      if (i.readableBy && !i.readableBy(ctx.sender))
        throw new AccountsError('AccessDenied', `only the connection that created ${path} may read ${i.spec.name}`);
      return i;
    };
    if (member === 'GetAll') {
      if (ifaceName === '')
        return ['a{sv}', [Object.assign({}, ...[...object.values()].map((i) => this.allProperties(readable(i))))]];
      const impl = object.get(ifaceName);
      if (!impl) throw new StandardError(DBUS_ERROR + 'UnknownInterface', `No interface ${ifaceName} at ${path}`);
      return ['a{sv}', [this.allProperties(readable(impl))]];
    }
    const impl =
      ifaceName === '' ? [...object.values()].find((i) => i.spec.properties.has(propName)) : object.get(ifaceName);
    if (!impl) throw new StandardError(DBUS_ERROR + 'UnknownInterface', `No interface ${ifaceName} at ${path}`);
    const prop = impl.spec.properties.get(propName);
    if (!prop) throw new StandardError(DBUS_ERROR + 'UnknownProperty', `No property ${propName} in ${impl.spec.name}`);
    if (member === 'Get') {
      readable(impl);
      if (prop.access === 'write')
        throw new StandardError(DBUS_ERROR + 'PropertyWriteOnly', `${propName} is write-only`);
      return ['v', [new Variant(prop.type, impl.getProperty(propName))]];
    }
    if (prop.access === 'read' || !impl.setProperty) {
      throw new StandardError(DBUS_ERROR + 'PropertyReadOnly', `${impl.spec.name}.${propName} is read-only`);
    }
    const value = (args as unknown[])[2] as InstanceType<typeof Variant>;
    if (value.signature !== prop.type) {
      throw new AccountsError('InvalidArgument', `${propName} has type ${prop.type}, got ${value.signature}`);
    }
    const set = impl.setProperty.bind(impl);
    const gate =
      this.authorize?.({
        sender: ctx.sender,
        iface: impl.spec.name,
        member: `Set:${propName}`,
        path,
        access: accessOf(prop.annotations),
        args: [],
      }) ?? Promise.resolve(undefined);
    return gate
      .then((caller) => set(propName, value.value, { ...ctx, caller }))
      .then((): [string, unknown[]] => ['', []]);
  }

  private introspect(path: string): string {
    let xml = XML_HEADER + '<node>\n';
    for (const spec of this.standardSpecs.values()) {
      if (spec.name !== OBJECT_MANAGER || path === this.managerPath) xml += renderInterface(spec);
    }
    for (const impl of this.objects.get(path)?.values() ?? []) xml += renderInterface(impl.spec);
    const prefix = path === '/' ? '/' : path + '/';
    const children = new Set<string>();
    for (const p of this.objects.keys()) {
      if (p.startsWith(prefix)) children.add(p.slice(prefix.length).split('/', 1)[0] ?? '');
    }
    for (const child of children) xml += `  <node name="${child}"/>\n`;
    return xml + '</node>\n';
  }
}

function readMachineId(): string {
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      /* try the next one */
    }
  }
  throw new StandardError(DBUS_ERROR + 'Failed', 'No machine id on this system');
}
