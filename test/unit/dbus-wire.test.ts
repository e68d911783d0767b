/** The service's D-Bus encoder: what it writes is what dbus-next reads back, whichever form the values take. */
import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import dbus from 'dbus-next';
import { DictSource, encodeMessage, MessageKind, PropertyHeads, PropertySource } from '../../src/dbus-wire.js';

const { Variant } = dbus;
type Decoded = { body: [Record<string, Record<string, Record<string, { signature: string; value: unknown }>>>] };
// dbus-next's own reader (the service replaces it with src/bus/fast-reader.ts), and the conversion its clients get
const require = createRequire(import.meta.url);
const { unmarshall } = require('dbus-next/lib/message.js') as { unmarshall: (b: Buffer) => unknown };
const { messageToJsFmt } = require('dbus-next/lib/marshall-compat.js') as { messageToJsFmt: (m: unknown) => Decoded };

/** Properties of every type the contract uses and the rest the encoder knows, in an order that moves alignment about. */
const PROPERTIES: Array<[string, string, unknown]> = [
  ['Id', 's', 'bench_7'],
  ['Port', 'q', 993],
  ['Name', 's', 'Ünïcode – ok'],
  ['Enabled', 'b', true],
  ['Protocols', 'as', ['imap', 'smtp']],
  ['Time', 't', 1_733_000_000_000n],
  ['Flags', 'y', 7],
  ['Parent', 'o', '/org/pantherx/Accounts/account/vpn'],
  ['Data', 'a{ss}', { note: 'x', other: '' }],
  ['Offset', 'x', -5n],
  ['Count', 'u', 4_000_000_000],
  ['Delta', 'i', -7],
  ['Small', 'n', -300],
  ['Ratio', 'd', 0.25],
  ['Sig', 'g', 'a{sv}'],
  ['Empty', 'as', []],
  ['Last', 's', ''],
];

class Source {
  constructor(private readonly values: Map<string, unknown>) {}
  getProperty(name: string): unknown {
    return this.values.get(name);
  }
}

const reply = (body: unknown[]) =>
  encodeMessage({
    kind: MessageKind.MethodReturn,
    serial: 9,
    replySerial: 4,
    destination: ':1.7',
    signature: 'a{oa{sa{sv}}}',
    body,
  });

describe('wire encoder', () => {
  it('writes properties from their encoded keys exactly as from a dict of variants, which dbus-next reads back', () => {
    const heads = new PropertyHeads(PROPERTIES.map(([name, type]) => ({ name, type })));
    const values = new Map(PROPERTIES.map(([name, , value]) => [name, value]));
    // Two objects, two interfaces each: the entries start at different offsets.
    const paths = ['/org/pantherx/Accounts/account/a', '/org/pantherx/Accounts/account/bb'];
    const asSources = new DictSource((put) => {
      for (const path of paths)
        put(
          path,
          new DictSource((putIface) => {
            putIface('org.pantherx.Accounts.Account', new PropertySource(heads, new Source(values)));
            putIface('org.pantherx.Accounts.Imap', new PropertySource(heads, new Source(values)));
          }),
        );
    });
    const variants = Object.fromEntries(PROPERTIES.map(([name, type, value]) => [name, new Variant(type, value)]));
    const asObjects = Object.fromEntries(
      paths.map((p) => [p, { 'org.pantherx.Accounts.Account': variants, 'org.pantherx.Accounts.Imap': variants }]),
    );
    const bytes = reply([asSources]);
    assert.deepEqual(bytes, reply([asObjects]));

    const objects = messageToJsFmt(unmarshall(bytes)).body[0];
    assert.deepEqual(Object.keys(objects), paths);
    for (const path of paths) {
      for (const props of Object.values(objects[path]!)) {
        assert.deepEqual(
          Object.entries(props).map(([name, v]) => [name, v.signature, v.value]),
          PROPERTIES.map(([name, type, value]) => [name, type, value]),
        );
      }
    }
  });

  it('refuses a number out of its type’s range, a string with NUL and a type it cannot send, as it did', () => {
    const one = (signature: string, value: unknown) =>
      encodeMessage({
        kind: MessageKind.Signal,
        serial: 1,
        path: '/a',
        iface: 'a.b',
        member: 'C',
        signature,
        body: [value],
      });
    assert.throws(() => one('q', 70_000), RangeError);
    assert.throws(() => one('u', -1), RangeError);
    assert.throws(() => one('i', 2 ** 31), RangeError);
    assert.throws(() => one('s', 'a\u0000b'), /cannot contain NUL/);
    assert.throws(() => one('h', 3), /cannot send values of type 'h'/);
    const heads = new PropertyHeads([{ name: 'Port', type: 'q' }]);
    assert.throws(() => one('a{sv}', new PropertySource(heads, new Source(new Map([['Port', -1]])))), RangeError);
    assert.throws(() => one('a{ss}', new PropertySource(heads, new Source(new Map()))), /sent as a\{sv\}/);
  });
});
