/** The service's D-Bus reader: framing across arbitrary chunks, header fields and bodies. */
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import dbus from 'dbus-next';
import messageModule from 'dbus-next/lib/message.js';
import { decodeMessage, useFastReader } from '../../src/bus/fast-reader.js';
import { encodeMessage, MessageKind } from '../../src/dbus-wire.js';

const { Variant } = dbus;

const signal = (serial: number, body: unknown[], signature: string) =>
  encodeMessage({
    kind: MessageKind.Signal,
    serial,
    path: '/org/pantherx/Accounts',
    iface: 'org.pantherx.Test',
    member: 'Changed',
    signature,
    body,
  });

describe('fast reader', () => {
  it('decodes header fields and a body with a variant, a dict and a struct', () => {
    const m = decodeMessage(signal(7, ['ünïcode', { a: new Variant('u', 5) }, ['x', 1]], 'sa{sv}(si)'));
    assert.equal(m.serial, 7);
    assert.equal(m.type, MessageKind.Signal);
    assert.equal(m.path, '/org/pantherx/Accounts');
    assert.equal(m.interface, 'org.pantherx.Test');
    assert.equal(m.member, 'Changed');
    assert.equal(m.signature, 'sa{sv}(si)');
    // The body is dbus-next's raw form, which its Message constructor converts.
    const body = m.body as unknown[];
    assert.equal(body[0], 'ünïcode');
    assert.deepEqual(body[2], ['x', 1]);
  });

  it('reads a reply serial and an error name', () => {
    const m = decodeMessage(
      encodeMessage({
        kind: MessageKind.Error,
        serial: 3,
        replySerial: 99,
        destination: ':1.5',
        errorName: 'org.pantherx.Accounts.Error.NotFound',
        signature: 's',
        body: ['no'],
      }),
    );
    assert.equal(m.replySerial, 99);
    assert.equal(m.errorName, 'org.pantherx.Accounts.Error.NotFound');
    assert.equal(m.destination, ':1.5');
    assert.deepEqual(m.body, ['no']);
  });

  it('frames messages split at every byte and joined in one chunk alike', () => {
    // Installed for this test only: the other suites' clients keep dbus-next's own reader.
    const module = messageModule;
    const original = module.unmarshalMessages;
    useFastReader();
    try {
      framesAlike();
    } finally {
      module.unmarshalMessages = original;
    }
  });
});

function framesAlike(): void {
  const messages = [
    signal(1, ['a'], 's'),
    signal(2, ['x'.repeat(70_000)], 's'),
    signal(3, [], ''),
    signal(4, [[1, 2, 3]], 'au'),
  ];
  const wire = Buffer.concat(messages);
  for (const chunking of ['bytes', 'whole', 'odd'] as const) {
    const stream = new EventEmitter() as EventEmitter & NodeJS.ReadableStream;
    const got: Array<Record<string, unknown>> = [];
    (
      messageModule as unknown as { unmarshalMessages(s: unknown, cb: (m: Record<string, unknown>) => void): void }
    ).unmarshalMessages(stream, (m) => got.push(m));
    if (chunking === 'whole') stream.emit('data', wire);
    else {
      const step = chunking === 'bytes' ? 1 : 4093;
      for (let o = 0; o < wire.length; o += step) stream.emit('data', wire.subarray(o, o + step));
    }
    assert.deepEqual(
      got.map((m) => m.serial),
      [1, 2, 3, 4],
      chunking,
    );
    assert.equal((got[1]!.body as string[])[0]!.length, 70_000);
    assert.equal(got[2]!.body, undefined);
  }
}
