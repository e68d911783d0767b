/**
 * Asks every source at once and takes the answer by priority, not by arrival: an answer is
 * used once every source before it has finished without one. Each request has its own bound
 * (requestMs) and the whole run another (totalMs): at that deadline the best answer in hand is
 * taken and everything still running is cancelled. The shipped sources answer without any
 * network, so when they know the domain nothing is asked of anyone.
 */
import { setMaxListeners } from 'node:events';
import { Dns } from './net/dns.js';
import type { Address, DavProtocol, Found, Source, SourceContext } from './types.js';

export interface NamedSource {
  readonly name: string;
  readonly run: Source;
  /** Asked only once every source before it has finished without an answer (plain HTTP). */
  readonly lastResort?: boolean;
  /** Never an answer of its own: only completes the answer's CalDAV/CardDAV (RFC 6764's well-known URIs). */
  readonly complement?: boolean;
}

export interface RunOptions {
  address: Address;
  probe: boolean;
  requestMs: number;
  totalMs: number;
  /** Shapes a source's answer (the protocols asked for, the plaintext rule); undefined when nothing is left. */
  finish(found: Found, ctx: SourceContext): Promise<Found | undefined>;
  /** DAV protocols wanted: an answer without them is completed from SRV of the same domain. */
  wantDav: readonly DavProtocol[];
}

export interface RunResult {
  found: Found | undefined;
  /** What was tried, in order of the sources, and how it went. */
  tried: string[];
  ms: number;
}

const DEADLINE = Symbol('deadline');

export async function runSources(
  shipped: readonly NamedSource[],
  network: readonly NamedSource[],
  o: RunOptions,
): Promise<RunResult> {
  const started = Date.now();
  const controller = new AbortController();
  // every request of every source listens to it: a few dozen at once
  setMaxListeners(200, controller.signal);
  const timer = setTimeout(() => controller.abort(), o.totalMs);
  const notes: Array<{ order: number; text: string }> = [];
  const contextFor = (order: number): SourceContext => ({
    address: o.address,
    signal: controller.signal,
    requestMs: o.requestMs,
    probe: o.probe,
    dns,
    note: (text) => notes.push({ order, text }),
  });
  const dns = new Dns(o.requestMs, controller.signal);
  const ask = (s: NamedSource, order: number): Promise<Found | undefined> => {
    const ctx = contextFor(order);
    return s
      .run(ctx)
      .then((f) => (f ? o.finish(f, ctx) : undefined))
      .catch((err: Error) => {
        ctx.note(`${s.name}: ${controller.signal.aborted ? 'cancelled' : err.message}`);
        return undefined;
      });
  };
  const done = (found: Found | undefined): RunResult => {
    clearTimeout(timer);
    controller.abort();
    return { found, tried: notes.sort((a, b) => a.order - b.order).map((n) => n.text), ms: Date.now() - started };
  };

  try {
    for (const [i, s] of shipped.entries()) {
      const found = await ask(s, i);
      if (found) return done(found);
    }
    const base = shipped.length;
    const settled: Array<Found | undefined | typeof DEADLINE> = network.map(() => DEADLINE);
    const start = (i: number) => ask(network[i]!, base + i).then((f) => (settled[i] = f));
    const answers: Array<Promise<Found | undefined> | undefined> = network.map((s, i) =>
      s.lastResort ? undefined : start(i),
    );
    const deadline = new Promise<typeof DEADLINE>((resolve) => {
      if (controller.signal.aborted) resolve(DEADLINE);
      controller.signal.addEventListener('abort', () => resolve(DEADLINE), { once: true });
    });
    let winner = -1;
    for (let i = 0; i < answers.length; i++) {
      if (network[i]!.complement) continue;
      answers[i] ??= start(i);
      const r = await Promise.race([answers[i]!, deadline]);
      if (r === DEADLINE) break;
      if (r) {
        winner = i;
        break;
      }
    }
    if (winner < 0) {
      // the deadline: the best answer in hand, and a note for every source still silent
      winner = settled.findIndex((f, i) => f !== DEADLINE && f !== undefined && !network[i]!.complement);
      for (const [i, f] of settled.entries()) {
        if (f === DEADLINE && !network[i]!.complement && (winner < 0 || i < winner)) {
          notes.push({
            order: base + i,
            text: `${network[i]!.name}: ${answers[i] ? `no answer within ${o.totalMs} ms` : 'not asked: no time left'}`,
          });
        }
      }
    }
    if (winner < 0) return done(undefined);
    const found = settled[winner] as Found;
    await completeDav(found, network, answers, winner, deadline, o.wantDav);
    return done(found);
  } catch (err) {
    done(undefined);
    throw err;
  }
}

/**
 * An answer without CalDAV/CardDAV takes them from the SRV records of the same domain, else
 * from its well-known URIs (the complement sources), if those arrive in time — and only when
 * that does not lower its trust.
 */
async function completeDav(
  found: Found,
  network: readonly NamedSource[],
  answers: Array<Promise<Found | undefined> | undefined>,
  winner: number,
  deadline: Promise<typeof DEADLINE>,
  want: readonly DavProtocol[],
): Promise<void> {
  if (found.source === 'catalogue' || found.source === 'database') return;
  const from = network
    .map((_, i) => i)
    .filter((i) => i !== winner && answers[i] && (network[i]!.name === 'srv' || network[i]!.complement));
  for (const i of from) {
    const missing = want.filter((p) => !found.urls[p]);
    if (missing.length === 0) return;
    const r = await Promise.race([answers[i]!, deadline]);
    if (r === DEADLINE) return;
    if (!r || r.domain !== found.domain || (found.trusted && !r.trusted)) continue;
    for (const p of missing) if (r.urls[p]) found.urls[p] = r.urls[p];
  }
}
