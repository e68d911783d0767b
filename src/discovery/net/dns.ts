/** DNS look-ups with a time limit, cancelled with the discovery. */
import { promises as dns } from 'node:dns';

export interface Srv {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export class Dns {
  private readonly resolver: dns.Resolver;

  constructor(timeoutMs: number, signal: AbortSignal) {
    // c-ares retries within its own timeout; two tries of half the bound each
    this.resolver = new dns.Resolver({ timeout: Math.max(100, Math.floor(timeoutMs / 2)), tries: 2 });
    signal.addEventListener('abort', () => this.resolver.cancel(), { once: true });
  }

  /** SRV records, lowest priority first and within one priority heaviest first; [] when none. */
  async srv(name: string): Promise<Srv[]> {
    const records = await none(this.resolver.resolveSrv(name));
    return records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  }

  /** MX hosts, most preferred first; [] when none. */
  async mx(name: string): Promise<string[]> {
    const records = await none(this.resolver.resolveMx(name));
    return records
      .sort((a, b) => a.priority - b.priority)
      .map((r) => r.exchange.toLowerCase().replace(/\.$/, ''))
      .filter(Boolean);
  }

  /** TXT records, each joined from its strings; [] when none. */
  async txt(name: string): Promise<string[]> {
    return (await none(this.resolver.resolveTxt(name))).map((parts) => parts.join(''));
  }
}

/** No such name or no such record is an empty answer, not an error. */
async function none<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'NOTFOUND' || code === 'NODATA') return [];
    throw err;
  }
}
