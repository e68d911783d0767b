/**
 * What a watch-only wallet remembers between runs, outside the account file (runtime state, like
 * the status): the transactions seen, the block scanned last and its hash (to notice a reorg),
 * and the balance. Seen transaction ids survive restarts, so nobody is told twice about a
 * transfer. Written atomically, never through a link; an unreadable file starts a fresh first
 * sync, and so does a symbolic link in its place (not read, with a log line).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { log } from '../../log.js';
import { writeFileNoFollow } from '../../util/atomic-write.js';
import { readRegularFile } from '../../util/regular-file.js';

export interface WalletTransaction {
  txid: string;
  direction: 'in' | 'out';
  /** Exact decimal in the unit of `asset`. */
  amount: string;
  /** '' for the chain's own coin; a token's contract address otherwise. */
  asset: string;
  counterparty: string;
  /** Seconds since the epoch (the block's time). */
  time: number;
  /** The block it is in; -1 while pending. */
  block: number;
}

interface State {
  v: 1;
  /** What the state belongs to (the address and the chain): anything else starts afresh. */
  owner: string;
  /** The last block scanned, and the hashes of the latest ones (reorg detection). */
  lastBlock: number;
  hashes: Record<string, string>;
  seen: string[];
  transactions: WalletTransaction[];
  balance: string;
  pending: string;
  /** Balances of other assets (ERC-20 tokens) by asset id; absent in files of older versions. */
  assets?: Record<string, string>;
  /** µs since the epoch of the last successful update; 0 never. */
  updated: number;
}

const MAX_TRANSACTIONS = 10_000;
const MAX_SEEN = 20_000;
const HASHES_KEPT = 64;
/** Far above what the caps above let a state file hold (a few MB); a larger file is not ours. */
const MAX_STATE_FILE = 64 * 1024 * 1024;

export class WalletBook {
  private constructor(
    private readonly file: string,
    private state: State,
  ) {}

  /** `owner` names what the state is of (address and chain): a file of another starts afresh. */
  static load(file: string, owner: string): WalletBook {
    let state: State | undefined;
    try {
      const s = JSON.parse(readRegularFile(file, { maxSize: MAX_STATE_FILE })) as State;
      if (
        s?.v === 1 &&
        s.owner === owner &&
        Array.isArray(s.transactions) &&
        Array.isArray(s.seen) &&
        typeof s.hashes === 'object' &&
        s.hashes !== null &&
        Number.isSafeInteger(s.lastBlock)
      )
        state = s;
    } catch (err) {
      // absent or unreadable: a first sync
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warning(`wallet state ${file} not read (${(err as Error).message}); starting a fresh sync`);
    }
    return new WalletBook(
      file,
      state ?? {
        v: 1,
        owner,
        lastBlock: -1,
        hashes: {},
        seen: [],
        transactions: [],
        balance: '0',
        pending: '0',
        updated: 0,
      },
    );
  }

  /**
   * A first sync (or a watch that was away for too long): scanning starts at `block`; what was
   * scanned is forgotten (the seen ids stay, so nothing is told twice).
   */
  startAt(block: number): void {
    this.state.hashes = {};
    this.state.lastBlock = Math.max(-1, block - 1);
  }

  /** True until the first sync has been saved: transfers found then are history, not news. */
  get firstSync(): boolean {
    return this.state.lastBlock < 0;
  }

  get lastBlock(): number {
    return this.state.lastBlock;
  }
  get balance(): string {
    return this.state.balance;
  }
  get pending(): string {
    return this.state.pending;
  }
  get assets(): Record<string, string> {
    return { ...this.state.assets };
  }
  get updated(): bigint {
    return BigInt(this.state.updated);
  }
  get count(): number {
    return this.state.transactions.length;
  }

  hashOf(block: number): string | undefined {
    return this.state.hashes[String(block)];
  }

  /** Marks `block` (with its hash) as scanned. */
  scanned(block: number, hash: string): void {
    this.state.lastBlock = block;
    this.state.hashes[String(block)] = hash;
    for (const k of Object.keys(this.state.hashes)) if (Number(k) <= block - HASHES_KEPT) delete this.state.hashes[k];
  }

  /** A reorg (or a chain started over): everything from `block` on is forgotten and rescanned. */
  rollback(block: number): void {
    this.state.transactions = this.state.transactions.filter((t) => t.block >= 0 && t.block < block);
    for (const k of Object.keys(this.state.hashes)) if (Number(k) >= block) delete this.state.hashes[k];
    this.state.lastBlock = Math.min(this.state.lastBlock, block - 1);
  }

  /** Adds transactions; returns those never seen before (ids are remembered across reorgs). */
  add(txs: WalletTransaction[]): WalletTransaction[] {
    if (txs.length === 0) return [];
    const seen = new Set(this.state.seen);
    const known = new Set(this.state.transactions.map((t) => `${t.txid}:${t.asset}:${t.direction}`));
    const fresh: WalletTransaction[] = [];
    for (const t of txs) {
      const key = `${t.txid}:${t.asset}:${t.direction}`;
      if (!known.has(key)) {
        this.state.transactions.push(t);
        known.add(key);
      }
      if (!seen.has(key)) {
        seen.add(key);
        this.state.seen.push(key);
        fresh.push(t);
      }
    }
    this.trim();
    return fresh;
  }

  /**
   * The book from block `from` on becomes `txs` (what the backend has now): those it no longer
   * has leave (a reorg, a dropped transaction), known ones take their new block and time, new
   * ones are added. Returns those never seen and not in the book before.
   */
  reconcile(from: number, txs: WalletTransaction[]): WalletTransaction[] {
    const keyOf = (t: WalletTransaction) => `${t.txid}:${t.asset}:${t.direction}`;
    const before = new Map(this.state.transactions.map((t) => [keyOf(t), t]));
    const now = new Map(txs.map((t) => [keyOf(t), t]));
    this.state.transactions = this.state.transactions.filter(
      (t) => t.block >= 0 && t.block < from && !now.has(keyOf(t)),
    );
    this.state.transactions.push(...now.values());
    const seen = new Set(this.state.seen);
    const fresh: WalletTransaction[] = [];
    for (const [key, t] of now) {
      if (seen.has(key)) continue;
      seen.add(key);
      this.state.seen.push(key);
      if (!before.has(key)) fresh.push(t);
    }
    this.trim();
    return fresh;
  }

  /** Remembers transactions as seen without keeping them (what a first sync found unsettled is not news later). */
  markSeen(txs: readonly WalletTransaction[]): void {
    const seen = new Set(this.state.seen);
    for (const t of txs) {
      const key = `${t.txid}:${t.asset}:${t.direction}`;
      if (!seen.has(key)) this.state.seen.push(key);
    }
    this.trim();
  }

  /** The oldest go first: transactions by block, seen ids by when they were seen. */
  private trim(): void {
    if (this.state.transactions.length > MAX_TRANSACTIONS) {
      this.state.transactions.sort((a, b) => a.block - b.block);
      this.state.transactions.splice(0, this.state.transactions.length - MAX_TRANSACTIONS);
    }
    if (this.state.seen.length > MAX_SEEN) this.state.seen.splice(0, this.state.seen.length - MAX_SEEN);
  }

  setBalance(balance: string, pending: string): boolean {
    const changed = balance !== this.state.balance || pending !== this.state.pending;
    this.state.balance = balance;
    this.state.pending = pending;
    return changed;
  }

  /** The backend was looked at successfully, now (LastUpdated). */
  synced(): void {
    this.state.updated = Date.now() * 1000;
  }

  /** Replaces the balances of other assets; true if any changed. */
  setAssets(assets: Record<string, string>): boolean {
    const before = this.state.assets ?? {};
    const keys = new Set([...Object.keys(before), ...Object.keys(assets)]);
    const changed = [...keys].some((k) => before[k] !== assets[k]);
    this.state.assets = { ...assets };
    return changed;
  }

  /** Newest first. */
  page(offset: number, limit: number): WalletTransaction[] {
    const all = [...this.state.transactions].sort((a, b) =>
      b.block === a.block ? b.time - a.time : (b.block < 0 ? Infinity : b.block) - (a.block < 0 ? Infinity : a.block),
    );
    return all.slice(offset, offset + limit);
  }

  save(): Promise<void> {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    return writeFileNoFollow(this.file, JSON.stringify(this.state), { mode: 0o600 });
  }
}
