/**
 * A domain whose mail another provider receives (a custom domain at Google, Microsoft 365,
 * Fastmail, …): the most preferred MX host's domain — first in full, then its registrable
 * domain (after the public-suffix list) — asked through the same sources: the catalogue, the
 * database, that domain's HTTPS autoconfig and the online ISPDB. Never trusted: whoever runs the
 * address's DNS chose the MX, and `domain` says whose settings these are.
 */
import { getDomain } from 'tldts';
import type { Catalogue } from '../../providers/catalogue.js';
import { trusted } from '../trust.js';
import type { Found, SourceContext } from '../types.js';
import { httpsAutoconfig } from './autoconfig.js';
import { onlineIspdb } from './ispdb.js';
import { catalogueFor, fromDatabase, fromProvider } from './shipped.js';

/** The domains an MX host stands for, most specific first, not the address's own (a parent domain may be one). */
export function mxDomains(mxHost: string, own: string): string[] {
  const labels = mxHost.split('.');
  const out: string[] = [];
  if (labels.length > 2) out.push(labels.slice(1).join('.'));
  const registrable = getDomain(mxHost, { allowPrivateDomains: false });
  if (registrable) out.push(registrable);
  return [...new Set(out)].filter((d) => d !== own && d.includes('.'));
}

export const mxSource =
  (catalogue: Catalogue, ispdbBase: string, want?: readonly string[]) =>
  async (ctx: SourceContext): Promise<Found | undefined> => {
    const d = ctx.address.domain;
    const hosts = await ctx.dns.mx(d);
    if (hosts.length === 0) {
      ctx.note(`mx: no MX record for ${d}`);
      return undefined;
    }
    const candidates = mxDomains(hosts[0]!, d);
    if (candidates.length === 0) {
      ctx.note(`mx: ${hosts[0]} is in ${d} itself`);
      return undefined;
    }
    // every candidate through every source at once, taken in order
    const lookups = candidates
      .map((c) => {
        const provider = catalogueFor(catalogue, c);
        return [
          Promise.resolve(provider ? fromProvider(provider, ctx.address, c, 'mx', want) : undefined),
          Promise.resolve(fromDatabase(c, ctx.address, 'mx')),
          httpsAutoconfig(c, ctx, 'mx'),
          onlineIspdb(c, ctx, ispdbBase, 'mx'),
        ];
      })
      .flat();
    for (const lookup of lookups) {
      const found = await lookup.catch(() => undefined);
      if (found) return { ...found, source: 'mx', trusted: trusted([{ kind: 'mx' }]) };
    }
    ctx.note(`mx: nothing known for ${candidates.join(' or ')} (MX ${hosts[0]})`);
    return undefined;
  };
