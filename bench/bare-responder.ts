/**
 * The floor for any Node.js service in the Get/Ping comparison: it owns a name and answers
 * every method call with the same variant, with no decoding beyond the reply serial and
 * sender and no dispatch. What px-accounts spends above this is its own cost; what this
 * spends above Ping is the second trip through dbus-daemon plus Node's I/O.
 *
 *   DBUS_SESSION_BUS_ADDRESS=... node dist/bench/bare-responder.js NAME
 */
import net from 'node:net';
import { encodeMessage, type MessageKind } from '../src/dbus-wire.js';

const METHOD_CALL = 1 as MessageKind;
const METHOD_RETURN = 2 as MessageKind;
const name = process.argv[2] ?? 'org.pantherx.BareResponder';
const address = process.env.DBUS_SESSION_BUS_ADDRESS ?? '';
const path = /unix:path=([^,;]+)/.exec(address)?.[1];
if (!path) throw new Error(`bare-responder: cannot use the bus address '${address}'`);

const sock = net.connect(path);
await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
sock.write(`\0AUTH EXTERNAL ${Buffer.from(String(process.getuid?.() ?? 0)).toString('hex')}\r\n`);
await new Promise((resolve) => sock.once('data', resolve));
sock.write('BEGIN\r\n');
let serial = 1;
const bus = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus' };
sock.write(encodeMessage({ kind: METHOD_CALL, serial: serial++, ...bus, member: 'Hello', signature: '', body: [] }));
sock.write(
  encodeMessage({
    kind: METHOD_CALL,
    serial: serial++,
    ...bus,
    member: 'RequestName',
    signature: 'su',
    body: [name, 4],
  }),
);

const answer = { signature: 's', value: 'Bench' };
let buf: Buffer = Buffer.alloc(0);
sock.on('data', (chunk: Buffer) => {
  buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
  while (buf.length >= 16) {
    const total = ((16 + buf.readUInt32LE(12) + 7) & ~7) + buf.readUInt32LE(4);
    if (buf.length < total) return;
    const msg = buf.subarray(0, total);
    buf = buf.subarray(total);
    if (msg[1] !== METHOD_CALL) continue;
    // The sender (header field 7) is all a reply needs; little-endian senders only (dbus-next).
    let sender = '';
    for (let o = 16; o < 16 + msg.readUInt32LE(12);) {
      o = (o + 7) & ~7;
      const code = msg[o]!;
      const sig = String.fromCharCode(msg[o + 2]!);
      o += 4;
      if (sig === 's' || sig === 'o') {
        const n = msg.readUInt32LE(o);
        if (code === 7) sender = msg.toString('utf8', o + 4, o + 4 + n);
        o += 5 + n;
      } else if (sig === 'u') {
        o += 4;
      } else if (sig === 'g') {
        o += 2 + msg[o]!;
      } else break;
    }
    sock.write(
      encodeMessage({
        kind: METHOD_RETURN,
        serial: serial++,
        replySerial: msg.readUInt32LE(8),
        destination: sender,
        signature: 'v',
        body: [answer],
      }),
    );
  }
});
sock.on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
