/** Check results on the wire: a{sv}, one entry per protocol, each a variant of a{sv}. */
import dbus from 'dbus-next';
import type { CheckResults } from './check.js';

const { Variant } = dbus;

export function resultsToDBus(results: CheckResults): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(results).map(([protocol, r]) => [
      protocol,
      new Variant('a{sv}', {
        ok: new Variant('b', r.ok),
        code: new Variant('s', r.code),
        message: new Variant('s', r.message),
        ...(r.fingerprint && r.server
          ? { fingerprint: new Variant('s', r.fingerprint), server: new Variant('s', r.server) }
          : {}),
      }),
    ]),
  );
}
