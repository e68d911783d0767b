/**
 * The domain's own autoconfig file (Thunderbird's format): over HTTPS at
 * autoconfig.<domain> and <domain>/.well-known/autoconfig, and — the very last resort — over
 * plain HTTP at autoconfig.<domain>, which is never trusted. Only the domain is in the URL:
 * the address is sent to nobody.
 */
import { ConfigError, MAX_XML, parseConfig } from '../autoconfig-xml.js';
import { fetchText } from '../net/http.js';
import { trusted } from '../trust.js';
import type { Found, SourceContext } from '../types.js';

export const autoconfigUrls = (domain: string): string[] => [
  `https://autoconfig.${domain}/mail/config-v1.1.xml`,
  `https://${domain}/.well-known/autoconfig/mail/config-v1.1.xml`,
];
export const plainHttpUrl = (domain: string): string => `http://autoconfig.${domain}/mail/config-v1.1.xml`;

/** Fetches and parses one config URL for `domain`; undefined (with a note) when it cannot be used. */
export async function configAt(
  url: string,
  domain: string,
  ctx: SourceContext,
  source: Found['source'],
  label: string,
): Promise<Found | undefined> {
  let body: string;
  let https: boolean;
  try {
    ({ body, https } = await fetchText(url, {
      timeoutMs: ctx.requestMs,
      signal: ctx.signal,
      maxBytes: MAX_XML,
      allowHttp: url.startsWith('http:'),
    }));
  } catch (err) {
    ctx.note(`${label}: ${url}: ${(err as Error).message}`);
    return undefined;
  }
  try {
    const config = parseConfig(body, domain, ctx.address);
    return {
      source,
      domain,
      provider: '',
      urls: {},
      servers: config.servers,
      auth: config.oauth2Only ? 'oauth2' : 'password',
      trusted: trusted([{ kind: https ? 'https' : 'http' }]),
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    ctx.note(`${label}: ${url}: ${err.message}`);
    return undefined;
  }
}

/** HTTPS autoconfig of `domain`: both places asked at once, autoconfig.<domain> preferred. */
export async function httpsAutoconfig(
  domain: string,
  ctx: SourceContext,
  source: Found['source'] = 'autoconfig',
): Promise<Found | undefined> {
  const answers = autoconfigUrls(domain).map((url) =>
    configAt(url, domain, ctx, source, source === 'autoconfig' ? 'autoconfig' : `${source} autoconfig`),
  );
  for (const a of answers) {
    const found = await a;
    if (found) return found;
  }
  return undefined;
}

export const autoconfigSource = (ctx: SourceContext) => httpsAutoconfig(ctx.address.domain, ctx);

/** The last resort: plain HTTP, never trusted, never sent the address. */
export const plainHttpSource = (ctx: SourceContext) =>
  configAt(plainHttpUrl(ctx.address.domain), ctx.address.domain, ctx, 'autoconfig', 'autoconfig over plain HTTP');
