/**
 * The one way the code calls out over D-Bus (src/dbus-next-adapter.ts, callWithTimeout), against
 * a peer of our own on a private bus that answers, fails, or stays silent as each test asks.
 */
import { strict as assert } from 'node:assert';
import dbus from 'dbus-next';
import { BusTimeout, callWithTimeout, type BusCall, type DBusMessage } from '../../src/dbus-next-adapter.js';
import { useFixture } from '../harness/fixture.js';

const { Message } = dbus;
const PEER = 'org.example.Peer';
const call = (member: string, body: unknown[] = []): BusCall => ({
  destination: PEER,
  path: '/org/example/Peer',
  interface: 'org.example.Peer',
  member,
  signature: body.length ? 's' : '',
  body,
});

describe('bus layer: every outgoing call has a timeout (callWithTimeout)', () => {
  let peer: dbus.MessageBus;
  let bus: dbus.MessageBus;
  /** Calls the peer received and has not answered yet, by member. */
  const held = new Map<string, DBusMessage>();
  let received: ((msg: DBusMessage) => void) | undefined;

  // Only the private bus: the peer and the caller are this test's own connections.
  useFixture({
    keyring: 'none',
    prepare: async (fx) => {
      peer = dbus.sessionBus({ busAddress: fx.session.address });
      fx.onStop(() => peer.disconnect());
      peer.addMethodHandler((msg: DBusMessage) => {
        if (msg.interface !== 'org.example.Peer') return false;
        if (msg.member === 'Echo') peer.send(Message.newMethodReturn(msg, 's', [msg.body[0]]));
        // dbus-next's typings say newError takes a string; it takes the call, as newMethodReturn does.
        else if (msg.member === 'Fail')
          peer.send(Message.newError(msg as unknown as string, 'org.example.Error.Refused', 'not today'));
        else held.set(msg.member, msg); // Silent: answered later, or never
        received?.(msg);
        return true;
      });
      await peer.requestName(PEER, 0);
      bus = dbus.sessionBus({ busAddress: fx.session.address });
      fx.onStop(() => bus.disconnect());
    },
  });

  it('resolves with the reply', async () => {
    const reply = await callWithTimeout(bus, call('Echo', ['hello']), 5000);
    assert.deepEqual(reply.body, ['hello']);
  });

  it('passes an error reply on with its D-Bus error name and text', async () => {
    await assert.rejects(callWithTimeout(bus, call('Fail'), 5000), {
      type: 'org.example.Error.Refused',
      text: 'not today',
    });
  });

  it('rejects with BusTimeout when no answer comes; the late answer is then ignored and calls go on', async () => {
    const late = new Promise<DBusMessage>((resolve) => (received = (msg) => msg.member === 'Silent1' && resolve(msg)));
    const err: unknown = await callWithTimeout(bus, call('Silent1'), 200).catch((e: unknown) => e);
    assert.ok(err instanceof BusTimeout, String(err));
    assert.equal(err.message, `org.example.Peer.Silent1 got no answer from ${PEER} within 200 ms`);
    // dbus-next keeps a handler per call until its reply: the one given up on is gone (no leak).
    assert.deepEqual(Object.keys((bus as unknown as { _methodReturnHandlers: object })._methodReturnHandlers), []);
    // The answer arrives after the call was given up: dropped, not delivered to anyone.
    peer.send(Message.newMethodReturn(await late, 's', ['too late']));
    assert.deepEqual((await callWithTimeout(bus, call('Echo', ['after']), 5000)).body, ['after']);
  });

  it('rejects with the reason as soon as its signal is aborted, and at once when it already was', async () => {
    const controller = new AbortController();
    const arrived = new Promise<void>((resolve) => (received = (msg) => msg.member === 'Silent2' && resolve()));
    const pending = callWithTimeout(bus, call('Silent2'), 60_000, controller.signal);
    await arrived;
    const reason = new Error('the bus went away');
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    await assert.rejects(callWithTimeout(bus, call('Echo', ['x']), 60_000, controller.signal), (e) => e === reason);
  });
});
