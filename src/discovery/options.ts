/**
 * Discover's options, checked key by key. Kept apart from discovery.ts so that AddAccount can
 * check them without loading discovery (and its libraries) at start-up.
 */
import { invalidArgument } from '../errors.js';
import { DISCOVERABLE, type Discoverable } from './types.js';

export interface DiscoverOptions {
  /** Only these protocols (default: every one found; POP3 only where there is no IMAP). */
  protocols?: Discoverable[];
  /** Connect to servers (guessing host names, asking for STARTTLS). Default true. */
  probe: boolean;
}

export interface VariantLike {
  signature: string;
  value: unknown;
}

/** The a{sv} options of Discover: protocols (as), probe (b); anything else is refused. */
export function parseDiscoverOptions(options: Record<string, VariantLike>): DiscoverOptions {
  const out: DiscoverOptions = { probe: true };
  for (const [key, v] of Object.entries(options ?? {})) {
    if (key === 'protocols') {
      if (v.signature !== 'as')
        throw invalidArgument(`option protocols must be a list of strings (type 'as'), got type '${v.signature}'`);
      const list = [...new Set(v.value as string[])];
      for (const p of list) {
        if (!(DISCOVERABLE as readonly string[]).includes(p))
          throw invalidArgument(
            `option protocols: discovery finds ${DISCOVERABLE.join(', ')}, not '${String(p).slice(0, 40)}'`,
          );
      }
      if (list.length === 0) throw invalidArgument('option protocols must name at least one protocol');
      out.protocols = list as Discoverable[];
    } else if (key === 'probe') {
      if (v.signature !== 'b')
        throw invalidArgument(`option probe must be a boolean (type 'b'), got type '${v.signature}'`);
      out.probe = v.value as boolean;
    } else {
      throw invalidArgument(`unknown option '${key.slice(0, 60)}' (known: protocols, probe)`);
    }
  }
  return out;
}
