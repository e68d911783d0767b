/**
 * A raw D-Bus connection over the bus socket, for messages no library will send: strings that
 * are not UTF-8, big-endian messages, unknown message types, fd arguments without fds. It
 * speaks just enough of the protocol (EXTERNAL auth, Hello, header fields, a few body types).
 */
import { connect, type Socket } from 'node:net';

export type Endian = 'l' | 'B';

/** A body argument: the type code and a value; 's'/'o' accept raw bytes to bypass UTF-8. */
export type RawArg =
  { t: 's' | 'o' | 'g'; v: string | Buffer } | { t: 'u' | 'i' | 'h'; v: number } | { t: 'a{ss}' | 'a{sv}'; v: [] };

export interface RawMessage {
  type: number; // 1 call, 2 return, 3 error, 4 signal; anything else is "unknown"
  flags?: number;
  path?: string;
  iface?: string;
  member?: string;
  destination?: string;
  errorName?: string;
  replySerial?: number;
  unixFds?: number;
  args?: RawArg[];
}

export interface ParsedReply {
  type: number;
  serial: number;
  replySerial?: number;
  errorName?: string;
  signature?: string;
  sender?: string;
  body: Buffer;
  endian: Endian;
}

class Writer {
  private chunks: number[] = [];
  constructor(
    private readonly endian: Endian,
    private readonly base = 0,
  ) {}
  get length(): number {
    return this.chunks.length;
  }
  align(n: number): void {
    while ((this.base + this.chunks.length) % n) this.chunks.push(0);
  }
  byte(b: number): void {
    this.chunks.push(b & 0xff);
  }
  u32(v: number): void {
    this.align(4);
    const b = Buffer.alloc(4);
    if (this.endian === 'l') b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    this.bytes(b);
  }
  i32(v: number): void {
    this.align(4);
    const b = Buffer.alloc(4);
    if (this.endian === 'l') b.writeInt32LE(v | 0);
    else b.writeInt32BE(v | 0);
    this.bytes(b);
  }
  bytes(b: Buffer | number[]): void {
    for (const x of b) this.chunks.push(x);
  }
  str(v: string | Buffer): void {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    this.u32(b.length);
    this.bytes(b);
    this.byte(0);
  }
  sig(v: string | Buffer): void {
    const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    this.byte(b.length);
    this.bytes(b);
    this.byte(0);
  }
  buffer(): Buffer {
    return Buffer.from(this.chunks);
  }
}

const sigOf = (a: RawArg): string => a.t;

export function encodeMessage(m: RawMessage, serial: number, endian: Endian = 'l'): Buffer {
  const body = new Writer(endian);
  for (const a of m.args ?? []) {
    switch (a.t) {
      case 's':
      case 'o':
        body.str(a.v);
        break;
      case 'g':
        body.sig(a.v);
        break;
      case 'u':
      case 'h':
        body.u32(a.v);
        break;
      case 'i':
        body.i32(a.v);
        break;
      case 'a{ss}':
      case 'a{sv}':
        body.u32(0);
        body.align(8);
        break;
    }
  }
  const bodyBuf = body.buffer();
  const signature = (m.args ?? []).map(sigOf).join('');
  const h = new Writer(endian);
  h.byte(endian.charCodeAt(0));
  h.byte(m.type);
  h.byte(m.flags ?? 0);
  h.byte(1);
  h.u32(bodyBuf.length);
  h.u32(serial);
  // a(yv): the array length is patched in once the fields are written.
  const fields = new Writer(endian, 16);
  const field = (code: number, sig: string, write: (w: Writer) => void) => {
    fields.align(8);
    fields.byte(code);
    fields.sig(sig);
    write(fields);
  };
  if (m.path !== undefined) field(1, 'o', (w) => w.str(m.path!));
  if (m.iface !== undefined) field(2, 's', (w) => w.str(m.iface!));
  if (m.member !== undefined) field(3, 's', (w) => w.str(m.member!));
  if (m.errorName !== undefined) field(4, 's', (w) => w.str(m.errorName!));
  if (m.replySerial !== undefined) field(5, 'u', (w) => w.u32(m.replySerial!));
  if (m.destination !== undefined) field(6, 's', (w) => w.str(m.destination!));
  if (signature) field(8, 'g', (w) => w.sig(signature));
  if (m.unixFds !== undefined) field(9, 'u', (w) => w.u32(m.unixFds!));
  const fieldsBuf = fields.buffer();
  h.u32(fieldsBuf.length);
  const head = Buffer.concat([h.buffer(), fieldsBuf]);
  const pad = Buffer.alloc((8 - (head.length % 8)) % 8);
  return Buffer.concat([head, pad, bodyBuf]);
}

/** Parses the header of one complete message (enough to match replies and read error names). */
export function parseMessage(buf: Buffer): ParsedReply {
  const endian: Endian = buf[0] === 0x42 ? 'B' : 'l';
  const u32 = (off: number) => (endian === 'l' ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const bodyLen = u32(4);
  const serial = u32(8);
  const fieldsLen = u32(12);
  let pos = 16;
  const end = 16 + fieldsLen;
  const out: ParsedReply = { type: buf.readUInt8(1), serial, body: Buffer.alloc(0), endian };
  const align = (n: number) => {
    while (pos % n) pos++;
  };
  while (pos < end) {
    align(8);
    // readUInt8 throws past the end: a truncated header is an error, not undefined.
    const code = buf.readUInt8(pos++);
    const sl = buf.readUInt8(pos++);
    const sig = buf.toString('latin1', pos, pos + sl);
    pos += sl + 1;
    let value: string | number;
    if (sig === 's' || sig === 'o') {
      align(4);
      const l = u32(pos);
      pos += 4;
      value = buf.toString('utf8', pos, pos + l);
      pos += l + 1;
    } else if (sig === 'g') {
      const l = buf.readUInt8(pos++);
      value = buf.toString('latin1', pos, pos + l);
      pos += l + 1;
    } else {
      align(4);
      value = u32(pos);
      pos += 4;
    }
    if (code === 4) out.errorName = value as string;
    else if (code === 5) out.replySerial = value as number;
    else if (code === 7) out.sender = value as string;
    else if (code === 8) out.signature = value as string;
  }
  const bodyStart = Math.ceil(end / 8) * 8;
  out.body = buf.subarray(bodyStart, bodyStart + bodyLen);
  return out;
}

function messageLength(buf: Buffer): number | undefined {
  if (buf.length < 16) return undefined;
  const le = buf[0] !== 0x42;
  const bodyLen = le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
  const fieldsLen = le ? buf.readUInt32LE(12) : buf.readUInt32BE(12);
  return Math.ceil((16 + fieldsLen) / 8) * 8 + bodyLen;
}

/** Reads the first string of a body (error texts, Hello's unique name). */
export function firstString(r: ParsedReply): string {
  if (r.body.length < 4) return '';
  const l = r.endian === 'l' ? r.body.readUInt32LE(0) : r.body.readUInt32BE(0);
  return r.body.toString('utf8', 4, 4 + l);
}

export class RawBus {
  private buf = Buffer.alloc(0);
  private serial = 1;
  private readonly waiting = new Map<number, (r: ParsedReply) => void>();
  closed = false;
  readonly closedPromise: Promise<void>;
  uniqueName = '';
  /** Every message received that was not a reply we waited for. */
  readonly others: ParsedReply[] = [];

  private constructor(private readonly sock: Socket) {
    this.closedPromise = new Promise((r) =>
      sock.once('close', () => {
        this.closed = true;
        r();
      }),
    );
    sock.on('error', () => undefined);
  }

  /** Connects to a `unix:path=…` address and authenticates as the current uid. */
  static async connect(address: string): Promise<RawBus> {
    const path = /unix:(?:path|abstract)=([^,;]+)/.exec(address)?.[1];
    if (!path) throw new Error(`unsupported bus address ${address}`);
    const sock = connect(address.includes('abstract=') ? `\0${path}` : path);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
    sock.write(Buffer.from([0]));
    sock.write(`AUTH EXTERNAL ${uid}\r\n`);
    const line = await new Promise<string>((resolve, reject) => {
      let acc = '';
      const onData = (d: Buffer) => {
        acc += d.toString('latin1');
        if (acc.includes('\r\n')) {
          sock.off('data', onData);
          resolve(acc);
        }
      };
      sock.on('data', onData);
      sock.once('error', reject);
    });
    if (!line.startsWith('OK ')) throw new Error(`auth failed: ${line}`);
    sock.write('BEGIN\r\n');
    const bus = new RawBus(sock);
    sock.on('data', (d: Buffer) => bus.onData(d));
    const hello = await bus.call({
      type: 1,
      path: '/org/freedesktop/DBus',
      iface: 'org.freedesktop.DBus',
      member: 'Hello',
      destination: 'org.freedesktop.DBus',
    });
    if (!hello) throw new Error('no reply to Hello');
    bus.uniqueName = firstString(hello);
    return bus;
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const len = messageLength(this.buf);
      if (len === undefined || this.buf.length < len) return;
      const msg = parseMessage(this.buf.subarray(0, len));
      this.buf = this.buf.subarray(len);
      const w = msg.replySerial !== undefined ? this.waiting.get(msg.replySerial) : undefined;
      if (w) {
        this.waiting.delete(msg.replySerial!);
        w(msg);
      } else {
        this.others.push(msg);
      }
    }
  }

  /** Sends a message; resolves with the reply, or undefined if none came within timeoutMs or the bus hung up. */
  call(m: RawMessage, endian: Endian = 'l', timeoutMs = 5000): Promise<ParsedReply | undefined> {
    const serial = this.serial++;
    return new Promise((resolve) => {
      if (this.closed) return resolve(undefined);
      const t = setTimeout(() => {
        this.waiting.delete(serial);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(serial, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      void this.closedPromise.then(() => {
        clearTimeout(t);
        this.waiting.delete(serial);
        resolve(undefined);
      });
      this.sock.write(encodeMessage(m, serial, endian));
    });
  }

  /** Sends without waiting for anything. */
  send(m: RawMessage, endian: Endian = 'l'): void {
    if (!this.closed) this.sock.write(encodeMessage(m, this.serial++, endian));
  }

  close(): void {
    this.sock.destroy();
  }
}
