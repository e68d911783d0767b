/**
 * Background checks follow NetworkManager (a stand-in of the test's own on a second private bus
 * used as the system bus), against the real Dovecot behind a door the test opens and closes (a
 * TCP forwarder on a port of its own): while NetworkManager says the network is gone, a failed
 * account is not retried; when it says the network is back, the offline account is checked at
 * once and turns online. Without a system bus, retries back off as before.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Peers } from '../harness/peers.js';
import { peers } from '../verify/fixture.js';
import { ACCOUNT, ROOT, TestClient } from '../harness/client.js';
import {
  startNetworkManager,
  startSystemBus,
  type NetworkManagerStandIn,
  type SystemBus,
} from '../harness/network-manager.js';
import { run } from '../harness/process.js';
import { startService, startSession, waitFor, type ServiceProcess, type Session } from '../harness/session.js';

/** A port of our own that forwards to `target` while open, and refuses connections while closed. */
async function door(target: number): Promise<{ port: number; open(): Promise<void>; close(): Promise<void> }> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  return {
    port,
    async open() {
      server = net.createServer((sock) => {
        const up = net.connect(target, '127.0.0.1');
        sockets.add(sock).add(up);
        for (const s of [sock, up]) s.on('error', () => undefined).on('close', () => sockets.delete(s));
        sock.pipe(up).pipe(sock);
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server) await new Promise((r) => server!.close(r));
      server = undefined;
    },
  };
}

describe('background checks follow NetworkManager (a stand-in on a private system bus, the real Dovecot)', function () {
  this.timeout(60_000);
  let p: Peers;
  let session: Session;
  let system: SystemBus | undefined;
  let nm: NetworkManagerStandIn | undefined;
  let service: ServiceProcess | undefined;
  let client: TestClient | undefined;
  let gate: Awaited<ReturnType<typeof door>>;
  const path = `${ROOT}/account/away`;
  const status = () => client!.get(path, ACCOUNT, 'Status');
  const checks = () =>
    service!
      .log()
      .split('\n')
      .filter((l) => l.includes('account away checked')).length;

  beforeEach(async function () {
    this.timeout(60_000);
    p = await peers();
    session = await startSession('unlocked');
    gate = await door(p.ports.imap);
    mkdirSync(session.accountsDir, { recursive: true });
    writeFileSync(
      join(session.accountsDir, 'away.ini'),
      `[account]\nprovider = imap\nusername = ${p.user}\nprotocols = imap\ncredentials = password\n[imap]\nhost = 127.0.0.1\nport = ${gate.port}\nsecurity = none\n`,
    );
    await run(
      'secret-tool',
      ['store', '--label=test', 'service', 'org.pantherx.Accounts', 'username', 'away/password'],
      session.env,
      p.password,
    );
  });
  afterEach(async function () {
    this.timeout(30_000);
    client?.disconnect();
    await service?.stop();
    nm?.stop();
    await system?.stop();
    await gate?.close();
    await session?.stop();
    client = service = nm = system = undefined;
  });

  it('no retry while the network is gone; checked at once when it is back, and online', async () => {
    system = await startSystemBus(session.dir);
    nm = await startNetworkManager(system.address, true);
    // Retries every 300 ms, doubling: without NetworkManager's word, they would reach Dovecot within 2 s.
    service = await startService(session, [], {
      PX_ACCOUNTS_NO_BACKGROUND_CHECK: '0',
      DBUS_SYSTEM_BUS_ADDRESS: system.address,
      PX_ACCOUNTS_FIRST_RETRY_MS: '300',
    });
    client = await TestClient.connect(session.address);
    await waitFor('network followed', () => service!.log().includes('network: online'), 10_000);
    await waitFor('the start-up check: offline (nothing listens)', async () => (await status()) === 'offline', 10_000);
    nm.setOnline(false);
    await waitFor('network gone', () => service!.log().includes('network: offline'), 5000);
    // A check on demand still runs (Verify answers once it is done); when it fails, its retry is held, not put on a timer.
    const held = () =>
      service!
        .log()
        .split('\n')
        .filter((l) => l.includes('account away: not retried while the network is down')).length;
    const heldBefore = held();
    await client.call(path, ACCOUNT, 'Verify');
    await waitFor('the retry held', () => held() > heldBefore, 5000);
    const before = checks();
    await gate.open();
    assert.equal(await status(), 'offline');
    assert.equal(checks(), before, 'checked while the network was gone');
    const mark = client.signals.length;
    const back = Date.now();
    nm.setOnline(true);
    await client.waitSignal(
      (x) => x.member === 'StatusChanged' && x.path === path && x.body[0] === 'online',
      5000,
      mark,
    );
    assert.ok(Date.now() - back < 5000);
    assert.match(service.log(), /network back: checking 1 account\(s\) again/);
    assert.ok(!service.log().includes(p.password));
  });

  it('a network that comes back checks offline accounts even when their next retry is far away', async () => {
    system = await startSystemBus(session.dir);
    nm = await startNetworkManager(system.address, false);
    // The default backoff: the next retry would be a minute away.
    service = await startService(session, [], {
      PX_ACCOUNTS_NO_BACKGROUND_CHECK: '0',
      DBUS_SYSTEM_BUS_ADDRESS: system.address,
    });
    client = await TestClient.connect(session.address);
    await waitFor('offline', async () => (await status()) === 'offline', 10_000);
    await waitFor('network followed', () => service!.log().includes('network: offline'), 10_000);
    await gate.open();
    const mark = client.signals.length;
    nm.setOnline(true);
    await client.waitSignal(
      (x) => x.member === 'StatusChanged' && x.path === path && x.body[0] === 'online',
      5000,
      mark,
    );
  });

  it('without a system bus: no error, and retries back off as before', async () => {
    service = await startService(session, [], {
      PX_ACCOUNTS_NO_BACKGROUND_CHECK: '0',
      DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${join(session.dir, 'no-such-bus')}`,
      PX_ACCOUNTS_FIRST_RETRY_MS: '300',
    });
    client = await TestClient.connect(session.address);
    await waitFor('offline', async () => (await status()) === 'offline', 10_000);
    await gate.open();
    await waitFor('online by a retry', async () => (await status()) === 'online', 10_000);
    assert.doesNotMatch(service.log(), /network: (online|offline)/);
    assert.doesNotMatch(service.log(), /<3>/);
  });
});
