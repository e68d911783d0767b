/**
 * Manager.Discover and AddAccount with an empty provider: the settings of an e-mail address,
 * from the sources in src/discovery/sources in this order of preference — catalogue,
 * database, HTTPS autoconfig, SRV, online ISPDB, MX, guessing host names, plain-HTTP
 * autoconfig — asked in parallel and bounded in time (runner.ts), with the trust rules of
 * trust.ts. Nothing is saved and nobody is logged in to.
 */
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import type { Catalogue } from '../providers/catalogue.js';
import { parseAddress } from './address.js';
import { offersStartTls } from './net/greeting.js';
import { runSources, type NamedSource } from './runner.js';
import { autoconfigSource, plainHttpSource } from './sources/autoconfig.js';
import { davWellKnown } from './sources/dav.js';
import { guessSource } from './sources/guess.js';
import { ispdbBase, ispdbSource } from './sources/ispdb.js';
import { mxSource } from './sources/mx.js';
import { catalogueByServers, catalogueFor, fromDatabase, fromProvider } from './sources/shipped.js';
import { srvSource } from './sources/srv.js';
import { noPlaintext, offersSomething } from './trust.js';
import {
  DAV_PROTOCOLS,
  DISCOVERABLE,
  MAIL_PROTOCOLS,
  type Address,
  type Discoverable,
  type Found,
  type SourceContext,
} from './types.js';
import { parseDiscoverOptions, type DiscoverOptions, type VariantLike } from './options.js';

export { parseDiscoverOptions, type DiscoverOptions };

/** Each request's bound, and the whole discovery's. */
export const REQUEST_MS = 5_000;
export const TOTAL_MS = 8_000;
/** Discoveries one caller (an app) may have running at once: each opens a few dozen connections. */
export const MAX_PER_CALLER = 4;

export interface Discovered extends Found {
  address: Address;
  protocols: Discoverable[];
  /** What was tried before the answer, for people (the CLI's discover). */
  tried: string[];
  ms: number;
}

export class Discovery {
  constructor(
    private readonly catalogue: Catalogue,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly bounds = { requestMs: REQUEST_MS, totalMs: TOTAL_MS },
  ) {}

  private readonly running = new Map<string, number>();

  /** Discover(s address, a{sv} options) for `caller` (an app). */
  discover(address: string, options: Record<string, VariantLike>, caller: string): Promise<Discovered> {
    return this.find(parseAddress(address), parseDiscoverOptions(options), caller);
  }

  /**
   * Throws NotFound, naming the domain and what was tried, when no source has an answer;
   * LimitExceeded when `caller` has MAX_PER_CALLER discoveries running already.
   */
  async find(address: Address, options: DiscoverOptions, caller: string): Promise<Discovered> {
    const n = this.running.get(caller) ?? 0;
    if (n >= MAX_PER_CALLER)
      throw new AccountsError(
        'LimitExceeded',
        `${caller} has ${n} discoveries running already (at most ${MAX_PER_CALLER} at once)`,
      );
    this.running.set(caller, n + 1);
    try {
      return await this.run(address, options);
    } finally {
      const left = (this.running.get(caller) ?? 1) - 1;
      if (left > 0) this.running.set(caller, left);
      else this.running.delete(caller);
    }
  }

  private async run(address: Address, options: DiscoverOptions): Promise<Discovered> {
    const d = address.domain;
    const shipped: NamedSource[] = [
      {
        name: 'catalogue',
        // eslint-disable-next-line @typescript-eslint/require-await -- a source answers a promise; async keeps a throw a rejection
        run: async (ctx) => {
          const p = catalogueFor(this.catalogue, d);
          if (!p) ctx.note(`catalogue: no provider for ${d}`);
          return p && fromProvider(p, ctx.address, d, 'catalogue', options.protocols);
        },
      },
      {
        name: 'database',
        // eslint-disable-next-line @typescript-eslint/require-await -- as the catalogue's above
        run: async (ctx) => {
          const f = fromDatabase(d, ctx.address);
          if (!f) ctx.note(`database: ${d} is not listed`);
          return f;
        },
      },
    ];
    const base = ispdbBase(this.env);
    const network: NamedSource[] = [
      { name: 'autoconfig', run: autoconfigSource },
      { name: 'srv', run: srvSource },
      { name: 'ispdb', run: ispdbSource(base) },
      { name: 'mx', run: mxSource(this.catalogue, base, options.protocols) },
      { name: 'guess', run: guessSource },
      { name: 'autoconfig over plain HTTP', run: plainHttpSource, lastResort: true },
    ];
    const wantDav = DAV_PROTOCOLS.filter((p) => !options.protocols || options.protocols.includes(p));
    if (wantDav.length) network.push({ name: 'dav', run: davWellKnown, complement: true });
    const result = await runSources(shipped, network, {
      address,
      probe: options.probe,
      ...this.bounds,
      wantDav,
      finish: (found, ctx) => this.shape(found, options, ctx),
    });
    if (!result.found) {
      log.info(`discovery for ${d}: nothing found in ${result.ms} ms`);
      throw new AccountsError(
        'NotFound',
        `no settings found for ${d}${options.protocols ? ` (${options.protocols.join(', ')})` : ''}: ${result.tried.join('; ')}`,
      );
    }
    const f = result.found;
    log.info(
      `discovery for ${d}: ${f.source} (${f.domain}, ${f.trusted ? 'trusted' : 'not trusted'}) in ${result.ms} ms`,
    );
    const protocols = DISCOVERABLE.filter((p) => (p === 'caldav' || p === 'carddav' ? f.urls[p] : f.servers[p]));
    return { ...f, address, protocols, tried: result.tried, ms: result.ms };
  }

  /** One source's answer as Discover gives it: the protocols asked for, no plaintext, a known provider named. */
  private async shape(found: Found, options: DiscoverOptions, ctx: SourceContext): Promise<Found | undefined> {
    const want = options.protocols;
    for (const p of MAIL_PROTOCOLS) if (want && !want.includes(p)) delete found.servers[p];
    for (const p of DAV_PROTOCOLS) if (want && !want.includes(p)) delete found.urls[p];
    // POP3 only when asked for, or where there is no IMAP
    if (!want && found.servers.imap) delete found.servers.pop3;
    const probe = ctx.probe
      ? (p: Parameters<typeof offersStartTls>[0], host: string, port: number) =>
          offersStartTls(p, host, port, ctx.requestMs, ctx.signal)
      : undefined;
    for (const n of await noPlaintext(found, probe)) ctx.note(`${found.source}: ${n}`);
    if (!offersSomething(found)) {
      ctx.note(`${found.source}: ${found.domain} offers none of ${want?.join(', ') ?? 'the protocols'} usable`);
      return undefined;
    }
    if (!found.provider) {
      const known = catalogueByServers(this.catalogue, found.servers);
      if (known) {
        found.provider = known.id;
        if (known.auth === 'oauth2') found.auth = 'oauth2';
      }
    }
    return found;
  }
}
