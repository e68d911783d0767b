/**
 * The two sources shipped with the service, asked before any network: the provider catalogue
 * (providers/*.ini, by their domain) and the provider database derived from Thunderbird's
 * ISPDB (providers/ispdb/ispdb.json, see NOTICE).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { substitute, BUILTIN_PROVIDER_DIR, type Catalogue, type Provider } from '../../providers/catalogue.js';
import { expand } from '../address.js';
import { trusted } from '../trust.js';
import type { Address, DavProtocol, Found, MailProtocol, MailServer, Security } from '../types.js';
import { DAV_PROTOCOLS, MAIL_PROTOCOLS } from '../types.js';

/**
 * A catalogue provider's settings for an address: the protocols it enables by default, or of
 * `want` those it offers.
 */
export function fromProvider(
  p: Provider,
  address: Address,
  domain: string,
  source: Found['source'],
  want?: readonly string[],
): Found {
  const found: Found = {
    source,
    domain,
    trusted: trusted([{ kind: 'shipped' }]),
    provider: p.id,
    auth: p.auth === 'oauth2' ? 'oauth2' : 'password',
    servers: {},
    urls: {},
  };
  for (const protocol of want ? p.supported.filter((x) => want.includes(x)) : p.protocols) {
    const raw = p.servers[protocol];
    if (!raw) continue;
    if ((MAIL_PROTOCOLS as readonly string[]).includes(protocol) && typeof raw.host === 'string') {
      found.servers[protocol as MailProtocol] = {
        host: raw.host,
        port: Number(raw.port),
        security: (raw.security as Security | undefined) ?? 'tls',
        username: address.address,
      };
    } else if ((DAV_PROTOCOLS as readonly string[]).includes(protocol) && typeof raw.url === 'string') {
      found.urls[protocol as DavProtocol] = String(substitute(raw, address.address).url);
    }
  }
  return found;
}

/** The catalogue provider for a domain (its `domain`), if any. */
export function catalogueFor(catalogue: Catalogue, domain: string): Provider | undefined {
  return catalogue.list().find((p) => p.domain === domain && p.protocols.length > 0);
}

/**
 * The catalogue provider these servers are: the one whose servers match most of them by host
 * (hotmail.com's IMAP and SMTP hosts are Outlook.com's; only its IMAP host is Office 365's too).
 */
export function catalogueByServers(catalogue: Catalogue, servers: Found['servers']): Provider | undefined {
  let best: Provider | undefined;
  let bestScore = 0;
  for (const p of catalogue.list()) {
    if (p.protocols.length === 0) continue;
    const score = MAIL_PROTOCOLS.filter((x) => servers[x] && p.servers[x]?.host === servers[x].host).length;
    if (score > bestScore) [best, bestScore] = [p, score];
  }
  return best;
}

type DbServer = [host: string, port: number, security: Security, username: string];
interface DbEntry {
  id: string;
  domains: string[];
  imap?: DbServer;
  pop3?: DbServer;
  smtp?: DbServer;
  auth?: 'oauth2';
}

export const DATABASE_FILE = join(BUILTIN_PROVIDER_DIR, 'ispdb', 'ispdb.json');
let database: Map<string, DbEntry> | undefined;

/** The database, read on first use (about 40 KiB). */
function load(): Map<string, DbEntry> {
  if (database) return database;
  const map = new Map<string, DbEntry>();
  const doc = JSON.parse(readFileSync(DATABASE_FILE, 'utf8')) as { providers: DbEntry[] };
  for (const p of doc.providers) for (const d of p.domains) map.set(d, p);
  return (database = map);
}

/** The database's settings for a domain, if it lists it. */
export function fromDatabase(
  domain: string,
  address: Address,
  source: Found['source'] = 'database',
): Found | undefined {
  const entry = load().get(domain);
  if (!entry) return undefined;
  const found: Found = {
    source,
    domain,
    trusted: trusted([{ kind: 'shipped' }]),
    provider: '',
    auth: entry.auth ?? 'password',
    servers: {},
    urls: {},
  };
  for (const protocol of MAIL_PROTOCOLS) {
    const s = entry[protocol];
    if (!s) continue;
    const server: MailServer = {
      host: expand(s[0], address).toLowerCase(),
      port: s[1],
      security: s[2],
      username: expand(s[3], address),
    };
    found.servers[protocol] = server;
  }
  return found;
}
