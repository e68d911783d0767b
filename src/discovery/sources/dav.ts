/**
 * RFC 6764's fallback for calendars and contacts when the domain has no SRV records for them:
 * `https://<domain>/.well-known/caldav` and `/carddav`, asked with a PROPFIND and no
 * credentials; a DAV server answers 401 (or 207), after any redirects (HTTPS only). Such an
 * answer only completes another source's — it never stands alone — and is trusted as HTTPS is.
 */
import { davStatus } from '../net/http.js';
import { trusted } from '../trust.js';
import type { Found, SourceContext } from '../types.js';

export async function davWellKnown(ctx: SourceContext): Promise<Found | undefined> {
  const d = ctx.address.domain;
  // the source name is SRV's: RFC 6764 is the SRV-based discovery of DAV, this its fallback
  const found: Found = {
    source: 'srv',
    domain: d,
    trusted: trusted([{ kind: 'https' }]),
    provider: '',
    auth: 'password',
    servers: {},
    urls: {},
  };
  await Promise.all(
    (['caldav', 'carddav'] as const).map(async (p) => {
      const url = `https://${d}/.well-known/${p}`;
      try {
        const r = await davStatus(url, { timeoutMs: ctx.requestMs, signal: ctx.signal });
        if (r.status === 401 || r.status === 207) found.urls[p] = r.url;
        else ctx.note(`dav: ${url}: HTTP ${r.status}, not a DAV server`);
      } catch (err) {
        ctx.note(`dav: ${url}: ${(err as Error).message}`);
      }
    }),
  );
  return Object.keys(found.urls).length ? found : undefined;
}
