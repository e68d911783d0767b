/**
 * Thunderbird's online ISPDB: GET <base><domain>, HTTPS only. It is sent the domain and
 * nothing else. The base URL is PX_ACCOUNTS_ISPDB_URL (default https://autoconfig.thunderbird.net/v1.1/).
 */
import { configAt } from './autoconfig.js';
import type { Found, SourceContext } from '../types.js';

export const DEFAULT_ISPDB_URL = 'https://autoconfig.thunderbird.net/v1.1/';

export function ispdbBase(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.PX_ACCOUNTS_ISPDB_URL || DEFAULT_ISPDB_URL;
  return base.endsWith('/') ? base : `${base}/`;
}

export function onlineIspdb(
  domain: string,
  ctx: SourceContext,
  base: string,
  source: Found['source'] = 'ispdb',
): Promise<Found | undefined> {
  if (!base.startsWith('https://')) {
    ctx.note(`ispdb: ${base} is not an HTTPS URL: not asked`);
    return Promise.resolve(undefined);
  }
  return configAt(
    `${base}${encodeURIComponent(domain)}`,
    domain,
    ctx,
    source,
    source === 'ispdb' ? 'ispdb' : `${source} ispdb`,
  );
}

export const ispdbSource = (base: string) => (ctx: SourceContext) => onlineIspdb(ctx.address.domain, ctx, base);
