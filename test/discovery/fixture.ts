/**
 * One discovery world per suite, in a network namespace of its own (netns.ts): outside, a
 * `before` runs the file again inside and each test reports what it did there; inside, the
 * harness's fixture (harness/fixture.ts) starts the world (dnsmasq, HTTPS, Dovecot…) as the
 * suite's own servers, then the private session and the service pointed at the world.
 */
import { useFixture, type Fixture, type FixtureOptions } from '../harness/fixture.js';
import { INSIDE, outcomeOf, runInside } from './netns.js';
import { ISPDB_URL, startWorld, type World, type Zone } from './world.js';

export interface DiscoveryFixture extends Fixture {
  readonly world: World;
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

export interface WorldOptions {
  /** How long the run inside may take (default 5 minutes). */
  minutes?: number;
  /** Runs once the service is up (useFixture's `seed`): what the suite reads from the world first. */
  seed?: FixtureOptions['seed'];
  /** The window and a browser at it, as useFixture's `window`. */
  window?: FixtureOptions['window'];
}

/** Call inside a describe of `file` (import.meta.filename); the parts are there inside the namespace only. */
export function useDiscoveryWorld(
  file: string,
  zone: Zone,
  users: Record<string, string>,
  options: WorldOptions = {},
): DiscoveryFixture {
  const minutes = options.minutes ?? 5;
  if (!INSIDE)
    before(async function () {
      this.timeout((minutes + 1) * 60_000);
      await runInside(file, minutes * 60_000);
    });
  let world: World | undefined;
  const fx = useFixture({
    active: INSIDE,
    start: async (t) => void (world = t.own(await startWorld(zone, users))),
    service: { env: () => ({ NODE_EXTRA_CA_CERTS: world!.ca, PX_ACCOUNTS_ISPDB_URL: ISPDB_URL }) },
    seed: options.seed,
    window: options.window,
  });
  return Object.defineProperty(fx, 'world', {
    get: () => {
      if (!world) throw new Error('the discovery world runs inside the namespace only, once the suite started');
      return world;
    },
  }) as DiscoveryFixture;
}
