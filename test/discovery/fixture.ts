/**
 * One discovery world per suite, in a network namespace of its own (netns.ts): outside, a
 * `before` runs the file again inside and each test reports what it did there; inside, the world
 * (dnsmasq, HTTPS, Dovecot…), a private session and the service pointed at them.
 */
import { startService, startSession, type ServiceProcess, type Session } from '../harness/session.js';
import { TestClient } from '../harness/client.js';
import { INSIDE, outcomeOf, runInside } from './netns.js';
import { ISPDB_URL, startWorld, type World, type Zone } from './world.js';

export interface DiscoveryFixture {
  world: World;
  session: Session;
  service: ServiceProcess;
  client: TestClient;
}

/** A test that runs in the namespace; outside, it reports what it did there. */
export function nsTest(title: string, fn: (this: Mocha.Context) => Promise<void>): void {
  it(
    title,
    INSIDE
      ? fn
      : function () {
          outcomeOf(this.test!.fullTitle());
        },
  );
}

/** Call inside a describe of `file` (import.meta.filename); the fields are set inside the namespace only. */
export function useDiscoveryWorld(
  file: string,
  zone: Zone,
  users: Record<string, string>,
  minutes = 5,
): DiscoveryFixture {
  const f = {} as DiscoveryFixture;
  if (!INSIDE) {
    before(async function () {
      this.timeout((minutes + 1) * 60_000);
      await runInside(file, minutes * 60_000);
    });
    return f;
  }
  before(async function () {
    this.timeout(60_000);
    f.world = await startWorld(zone, users);
    f.session = await startSession();
    f.service = await startService(f.session, [], {
      NODE_EXTRA_CA_CERTS: f.world.ca,
      PX_ACCOUNTS_ISPDB_URL: ISPDB_URL,
    });
    f.client = await TestClient.connect(f.session.address);
  });
  after(async function () {
    this.timeout(30_000);
    f.client?.disconnect();
    await f.service?.stop();
    await f.session?.stop();
    await f.world?.stop();
  });
  return f;
}
