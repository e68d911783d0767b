/** Discover's answer as a{sv}: the keys AddAccount takes, plus auth, source, domain and trusted. */
import dbus from 'dbus-next';
import type { Discovered } from '../discovery/discovery.js';

const { Variant } = dbus;

export function discoveredToDBus(d: Discovered): Record<string, unknown> {
  const out: Record<string, unknown> = {
    provider: new Variant('s', d.provider),
    protocols: new Variant('as', [...d.protocols]),
    auth: new Variant('s', d.auth),
    source: new Variant('s', d.source),
    domain: new Variant('s', d.domain),
    trusted: new Variant('b', d.trusted),
  };
  for (const [p, s] of Object.entries(d.servers)) {
    out[`${p}.host`] = new Variant('s', s.host);
    out[`${p}.port`] = new Variant('q', s.port);
    out[`${p}.security`] = new Variant('s', s.security);
    out[`${p}.username`] = new Variant('s', s.username);
  }
  for (const [p, url] of Object.entries(d.urls)) {
    out[`${p}.url`] = new Variant('s', url);
    out[`${p}.username`] = new Variant('s', d.address.address);
  }
  return out;
}
