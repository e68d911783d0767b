/**
 * Which of an account's servers are not its catalogue provider's (docs/policy.md): a fastmail
 * account pointed at another IMAP host is set up by hand, whatever its provider says. Hosts are
 * compared without case; URLs by origin (scheme, host, port), since a DAV home set or a
 * `{username}` path below the provider's server is still the provider's.
 */
import type { Settings } from '../protocols/plugin.js';
import { findProtocol } from '../protocols/registry.js';
import { substitute, type Provider } from '../providers/catalogue.js';

function origin(url: string): string {
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return url;
  }
}

/** `protocol.key` of each host or URL setting that differs from the catalogue's; [] for a manual provider. */
export function overriddenServers(
  provider: Provider | undefined,
  config: { username: string; protocols: readonly string[]; settings?: Readonly<Record<string, Settings>> },
): string[] {
  if (!provider || provider.manual || !config.settings) return [];
  const out: string[] = [];
  for (const protocol of config.protocols) {
    const plugin = findProtocol(protocol);
    const own = config.settings[protocol];
    if (!plugin || !own) continue;
    const catalogue = substitute(provider.servers[protocol] ?? {}, config.username);
    for (const spec of plugin.settings) {
      if (spec.kind !== 'host' && spec.kind !== 'url') continue;
      const want = catalogue[spec.key];
      const have = own[spec.key];
      // A catalogue that leaves a server to the account (a VPN's) has nothing to compare.
      if (typeof want !== 'string' || want === '' || have === undefined) continue;
      const same =
        spec.kind === 'url' ? origin(String(have)) === origin(want) : String(have).toLowerCase() === want.toLowerCase();
      if (!same) out.push(`${protocol}.${spec.key}`);
    }
  }
  return out;
}
