/**
 * A D-Bus message encoder for what the service sends (replies, errors, signals, method calls). dbus-next's
 * marshaller builds many small buffers per value; a GetManagedObjects of 1 000 accounts spent
 * most of its ~450 ms in it and in garbage collection. This one writes into a single growing
 * buffer with cached signature trees. Little-endian, protocol version 1.
 */
export const enum MessageKind {
  MethodCall = 1,
  MethodReturn = 2,
  Error = 3,
  Signal = 4,
}

interface TypeNode {
  code: string;
  children: TypeNode[];
}

const cache = new Map<string, TypeNode[]>();

/** Parses a signature into complete types; cached, since the service sends a few dozen shapes. */
export function parseSignature(signature: string): TypeNode[] {
  let parsed = cache.get(signature);
  if (parsed) return parsed;
  let i = 0;
  const one = (): TypeNode => {
    const c = signature[i++];
    if (c === 'a') return { code: 'a', children: [one()] };
    if (c === '(' || c === '{') {
      const end = c === '(' ? ')' : '}';
      const children: TypeNode[] = [];
      while (signature[i] !== end) {
        if (i >= signature.length) throw new Error(`unterminated ${c} in signature '${signature}'`);
        children.push(one());
      }
      i++;
      if (c === '{' && children.length !== 2)
        throw new Error(`dict entry of ${children.length} types in '${signature}'`);
      return { code: c, children };
    }
    if (!c || !'ybnqiuxtdsogvh'.includes(c)) throw new Error(`invalid signature '${signature}'`);
    return { code: c, children: [] };
  };
  parsed = [];
  while (i < signature.length) parsed.push(one());
  if (cache.size < 1024) cache.set(signature, parsed);
  return parsed;
}

const ALIGN: Record<string, number> = {
  y: 1,
  g: 1,
  v: 1,
  n: 2,
  q: 2,
  b: 4,
  i: 4,
  u: 4,
  s: 4,
  o: 4,
  a: 4,
  h: 4,
  x: 8,
  t: 8,
  d: 8,
  '(': 8,
  '{': 8,
};

/** How each fixed-size type but y and b is written, range-checked (its size is its alignment). */
const NUMBERS: Record<string, ((buf: Buffer, v: unknown, at: number) => void) | undefined> = {
  n: (buf, v, at) => buf.writeInt16LE(Number(v), at),
  q: (buf, v, at) => buf.writeUInt16LE(Number(v), at),
  i: (buf, v, at) => buf.writeInt32LE(Number(v), at),
  u: (buf, v, at) => buf.writeUInt32LE(Number(v), at),
  x: (buf, v, at) => buf.writeBigInt64LE(BigInt(v as bigint), at),
  t: (buf, v, at) => buf.writeBigUInt64LE(BigInt(v as bigint), at),
  d: (buf, v, at) => buf.writeDoubleLE(Number(v), at),
};

/** The i-th member of a container type; parseSignature built it, so a gap means a bug here. */
function child(t: TypeNode, i: number): TypeNode {
  const c = t.children[i];
  if (!c) throw new Error(`type '${t.code}' has no member ${i}`);
  return c;
}

/** The one complete type of a signature (a variant's, a header field list's). */
function single(signature: string): TypeNode {
  const types = parseSignature(signature);
  if (types.length !== 1 || !types[0]) throw new Error(`signature '${signature}' is not one complete type`);
  return types[0];
}

/**
 * A dict (`a{…}`) written entry by entry as `each` hands them over, with no object built first:
 * GetManagedObjects of 1 000 accounts would otherwise build ~4 000 records and walk each once.
 * Only this encoder reads it (dbus-next's marshaller does not).
 */
export class DictSource {
  constructor(readonly each: (put: (key: string, value: unknown) => void) => void) {}
}

/**
 * The `a{sv}` entries of an interface's properties up to each value: a dict entry starts
 * 8-aligned, so its key and its variant's signature are the same bytes wherever it is written.
 * Made once per interface and copied per object, they save GetManagedObjects most of its
 * calls: at start-up its reply is written while the encoder still runs interpreted.
 */
export class PropertyHeads {
  /** per property, in the given order: its name, the bytes of key and signature, its value's type */
  readonly entries: ReadonlyArray<{ readonly name: string; readonly head: Uint8Array; readonly type: TypeNode }>;

  constructor(properties: Iterable<{ readonly name: string; readonly type: string }>) {
    const entries = [];
    for (const { name, type } of properties) {
      const w = new Writer();
      w.string(name);
      w.signature(type);
      entries.push({ name, head: Uint8Array.from(w.buf.subarray(0, w.pos)), type: single(type) });
    }
    this.entries = entries;
  }
}

/** An `a{sv}` of properties: PropertyHeads gives each one's key and type, `getProperty` its value. */
export class PropertySource {
  constructor(
    readonly heads: PropertyHeads,
    readonly object: { getProperty(name: string): unknown },
  ) {}
}

class Writer {
  buf = Buffer.allocUnsafe(256);
  pos = 0;

  // Bytes are stored one by one rather than through Buffer's write methods: most of a large
  // reply is written before V8 has optimised anything, and each of those methods is a chain of
  // JavaScript checks (and a large graph for the optimising compiler to build once it is hot).

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  align(n: number): void {
    let pad = (n - (this.pos % n)) % n;
    if (pad === 0) return;
    this.ensure(pad);
    while (pad-- > 0) this.buf[this.pos++] = 0;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** At an offset already written (and aligned). */
  private putU32(v: number, at: number): void {
    const buf = this.buf;
    buf[at] = v;
    buf[at + 1] = v >>> 8;
    buf[at + 2] = v >>> 16;
    buf[at + 3] = v >>> 24;
  }

  u32(v: number): void {
    this.align(4);
    this.ensure(4);
    this.putU32(v, this.pos);
    this.pos += 4;
  }

  string(s: string): void {
    // Almost every string sent is short ASCII: copied byte by byte, it skips three native calls
    // (the NUL search, the UTF-8 length, the UTF-8 write) that cost more than the copy.
    const n = s.length;
    if (n <= 256) {
      this.align(4);
      this.ensure(n + 5);
      const buf = this.buf;
      let at = this.pos + 4;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c === 0 || c > 0x7f) break;
        buf[at++] = c;
      }
      if (i === n) {
        this.putU32(n, this.pos);
        buf[at] = 0;
        this.pos = at + 1;
        return;
      }
    }
    // The bus drops a connection that sends a string with NUL in it: fail this message instead.
    if (s.includes('\u0000')) throw new Error('a D-Bus string cannot contain NUL');
    const len = Buffer.byteLength(s);
    this.u32(len);
    this.ensure(len + 1);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += len;
    this.buf[this.pos++] = 0;
  }

  signature(s: string): void {
    const n = s.length;
    this.ensure(n + 2);
    const buf = this.buf;
    buf[this.pos++] = n;
    for (let i = 0; i < n; i++) buf[this.pos++] = s.charCodeAt(i);
    buf[this.pos++] = 0;
  }

  value(t: TypeNode, v: unknown): void {
    switch (t.code) {
      case 's':
      case 'o':
        return this.string(String(v));
      case 'g':
        return this.signature(String(v));
      case 'b':
        return this.u32(v ? 1 : 0);
      case 'y':
        return this.u8(Number(v));
      case 'v': {
        const variant = v as { signature: string; value: unknown };
        const type = single(variant.signature);
        this.signature(variant.signature);
        return this.value(type, variant.value);
      }
      case '(': {
        const members = v as unknown[];
        this.align(8);
        t.children.forEach((c, i) => this.value(c, members[i]));
        return;
      }
      case 'a':
        return this.array(child(t, 0), v);
    }
    return this.number(t, v);
  }

  /** The numbers, through Buffer's own methods and their range checks (a reply seldom has many). */
  private number(t: TypeNode, v: unknown): void {
    const write = NUMBERS[t.code];
    if (!write) throw new Error(`cannot send values of type '${t.code}'`);
    const size = ALIGN[t.code]!;
    this.align(size);
    this.ensure(size);
    write(this.buf, v, this.pos);
    this.pos += size;
  }

  private array(element: TypeNode, v: unknown): void {
    this.u32(0);
    const lengthAt = this.pos - 4;
    this.align(ALIGN[element.code] ?? 1); // every code parseSignature accepts is in ALIGN
    const start = this.pos;
    if (element.code === '{') {
      const kt = child(element, 0);
      const vt = child(element, 1);
      if (v instanceof PropertySource) {
        if (kt.code !== 's' || vt.code !== 'v') throw new Error('properties are sent as a{sv}');
        for (const { name, head, type } of v.heads.entries) {
          this.align(8);
          this.ensure(head.length);
          this.buf.set(head, this.pos);
          this.pos += head.length;
          this.value(type, v.object.getProperty(name));
        }
      } else if (v instanceof DictSource) {
        v.each((key, value) => {
          this.align(8);
          this.value(kt, key);
          this.value(vt, value);
        });
      } else {
        const entries = v instanceof Map ? v.entries() : Object.entries(v as Record<string, unknown>);
        for (const [key, value] of entries) {
          this.align(8);
          this.value(kt, key);
          this.value(vt, value);
        }
      }
    } else {
      for (const item of v as unknown[]) this.value(element, item);
    }
    this.putU32(this.pos - start, lengthAt);
  }
}

export interface OutgoingMessage {
  kind: MessageKind;
  /** Header flags (0x1 no reply expected, 0x2 no auto-start); 0 when absent. */
  flags?: number;
  serial: number;
  replySerial?: number;
  destination?: string;
  path?: string;
  iface?: string;
  member?: string;
  errorName?: string;
  signature: string;
  body: unknown[];
}

/** Encodes a whole message: fixed header, header fields, padding, body (one buffer, no copy at the end). */
export function encodeMessage(m: OutgoingMessage): Buffer {
  const types = parseSignature(m.signature);
  if (types.length !== m.body.length)
    throw new Error(`signature '${m.signature}' has ${types.length} types, body has ${m.body.length} values`);

  const fields: Array<[number, string, unknown]> = [];
  if (m.path) fields.push([1, 'o', m.path]);
  if (m.iface) fields.push([2, 's', m.iface]);
  if (m.member) fields.push([3, 's', m.member]);
  if (m.errorName) fields.push([4, 's', m.errorName]);
  if (m.replySerial !== undefined) fields.push([5, 'u', m.replySerial]);
  if (m.destination) fields.push([6, 's', m.destination]);
  if (m.signature) fields.push([8, 'g', m.signature]);

  const w = new Writer();
  w.u8(0x6c); // 'l': little-endian
  w.u8(m.kind);
  w.u8(m.flags ?? 0);
  w.u8(1);
  w.u32(0); // the body's length, once it is written
  w.u32(m.serial);
  w.value(
    single('a(yv)'),
    fields.map(([code, sig, value]) => [code, { signature: sig, value }]),
  );
  // The body starts 8-aligned, so its own alignment (counted from the message's start) is unchanged.
  w.align(8);
  const bodyAt = w.pos;
  types.forEach((t, i) => w.value(t, m.body[i]));
  w.buf.writeUInt32LE(w.pos - bodyAt, 4);
  return w.buf.subarray(0, w.pos);
}
