/**
 * One Ethereum backend (a JSON-RPC URL) shared by every wallet that watches through it: one
 * timer, one eth_blockNumber per tick, and each block fetched once whatever the number of
 * wallets (1 000 addresses on one node cost one block fetch per block, not 1 000).
 */
import { hexQuantity } from '../common/units.js';
import { NotYet, RpcInvalid } from '../common/backend-errors.js';
import { RpcCallError, rpc, rpcBatch } from './rpc.js';

export interface EthTx {
  hash: string;
  from: string;
  to: string | null;
  value: bigint;
}
/** An ERC-20 Transfer(from, to, value) event. */
export interface TokenLog {
  token: string;
  txid: string;
  block: number;
  from: string;
  to: string;
  value: bigint;
}
/** keccak256("Transfer(address,address,uint256)") */
export const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
export interface EthBlock {
  number: number;
  hash: string;
  timestamp: number;
  transactions: EthTx[];
}

/** How often the head is polled (a local node: a transfer shows within this plus a round trip). */
export const POLL_MS = Number(process.env.PX_ACCOUNTS_WALLET_POLL_MS) || 10_000;
const BLOCKS_KEPT = 256;

export interface ChainWatcher {
  /** Called once per tick with the head (or the error getting it); resolves when it has caught up. */
  advance(head: number | Error): Promise<void>;
}

const chains = new Map<string, EthChain>();

const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** A quantity that must fit a JavaScript number exactly (block numbers, times). */
export function safeNumber(value: unknown, what: string): number {
  const n = hexQuantity(value, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RpcInvalid(`${what} is out of range`);
  return Number(n);
}

function parseBlock(raw: unknown, n: number): EthBlock {
  if (raw === null) throw new NotYet(`block ${n} is not there yet`);
  const b = raw as { number?: unknown; hash?: unknown; timestamp?: unknown; transactions?: unknown };
  if (!b || typeof b !== 'object') throw new RpcInvalid(`block ${n} is missing`);
  if (typeof b.hash !== 'string' || !HASH.test(b.hash)) throw new RpcInvalid(`block ${n} has no valid hash`);
  if (b.number !== undefined && safeNumber(b.number, `the number of block ${n}`) !== n)
    throw new RpcInvalid(`the node answered another block for ${n}`);
  if (!Array.isArray(b.transactions) || b.transactions.length > 100_000)
    throw new RpcInvalid(`block ${n} has no valid transaction list`);
  const transactions = b.transactions.map((t: { hash?: unknown; from?: unknown; to?: unknown; value?: unknown }) => {
    if (
      typeof t?.hash !== 'string' ||
      !HASH.test(t.hash) ||
      typeof t.from !== 'string' ||
      !ADDRESS.test(t.from) ||
      (t.to != null && (typeof t.to !== 'string' || !ADDRESS.test(t.to)))
    ) {
      throw new RpcInvalid(`block ${n} has a malformed transaction`);
    }
    return {
      hash: t.hash.toLowerCase(),
      from: t.from.toLowerCase(),
      to: typeof t.to === 'string' ? t.to.toLowerCase() : null,
      value: hexQuantity(t.value, `a transaction value in block ${n}`),
    };
  });
  return {
    number: n,
    hash: b.hash.toLowerCase(),
    timestamp: safeNumber(b.timestamp, `the time of block ${n}`),
    transactions,
  };
}

/** Wallets advanced at once in a tick: a slow one does not hold all the others. */
const CONCURRENCY = 16;

/** A read the wallets of a tick ask together (eth_getBalance, a token's balanceOf). */
interface Question {
  method: string;
  params: unknown[];
  parse(v: unknown): unknown;
  resolve(v: unknown): void;
  reject(e: Error): void;
}
/** Questions per JSON-RPC batch (public endpoints take 50–100). */
const BATCH = 50;
/** ERC-20 balanceOf(address) */
const BALANCE_OF = '0x70a08231';

export class EthChain {
  private readonly watchers = new Set<ChainWatcher>();
  private readonly questions: Question[] = [];
  /** False once the endpoint has answered a batch with something other than a list. */
  private batches: boolean | undefined;
  private readonly blocks = new Map<number, Promise<EthBlock>>();
  /** Blocks fetched again this tick (reorg checks): every wallet asks, the node is asked once. */
  private readonly rechecked = new Map<number, Promise<string>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly tokenDecimals = new Map<string, Promise<number>>();
  /** eth_chainId, asked once (a node does not change chains; a restarted one is a new EthChain only if its URL changes). */
  chainId: bigint | undefined;

  private constructor(readonly url: string) {}

  static of(url: string): EthChain {
    let c = chains.get(url);
    if (!c) chains.set(url, (c = new EthChain(url)));
    return c;
  }

  add(w: ChainWatcher): void {
    this.watchers.add(w);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), POLL_MS);
      this.timer.unref();
    }
    void this.tick();
  }

  remove(w: ChainWatcher): void {
    this.watchers.delete(w);
    if (this.watchers.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      chains.delete(this.url);
    }
  }

  /** One round: the head, then every watcher catches up. A round in progress is joined, not doubled. */
  tick(): Promise<void> {
    this.ticking ??= (async () => {
      this.rechecked.clear();
      let head: number | Error;
      try {
        this.chainId ??= hexQuantity(await rpc(this.url, 'eth_chainId', []), 'the chain id');
        head = safeNumber(await rpc(this.url, 'eth_blockNumber', []), 'the block number');
      } catch (err) {
        head = err as Error;
      }
      const all = [...this.watchers];
      for (let i = 0; i < all.length; i += CONCURRENCY) {
        await Promise.all(all.slice(i, i + CONCURRENCY).map((w) => w.advance(head).catch(() => undefined)));
      }
    })().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  block(n: number): Promise<EthBlock> {
    let b = this.blocks.get(n);
    if (!b) {
      b = rpc(this.url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, true]).then((raw) => parseBlock(raw, n));
      this.blocks.set(n, b);
      b.catch(() => {
        if (this.blocks.get(n) === b) this.blocks.delete(n);
      });
      for (const k of this.blocks.keys()) if (k < n - BLOCKS_KEPT || k > n + BLOCKS_KEPT) this.blocks.delete(k);
    }
    return b;
  }

  /** A block's hash now (fetched again once per tick: a reorg replaces blocks). */
  freshHash(n: number): Promise<string> {
    let h = this.rechecked.get(n);
    if (!h) {
      this.blocks.delete(n);
      h = this.block(n).then((b) => b.hash);
      this.rechecked.set(n, h);
      h.catch(() => this.rechecked.delete(n));
    }
    return h;
  }

  /** Refresh: after a tick in progress (which may have started before the call), one more. */
  async refresh(): Promise<void> {
    if (this.ticking) await this.ticking;
    await this.tick();
  }

  /** ERC-20 Transfer logs of `tokens` in a range, to (`topic` 2) or from (`topic` 1) an address. */
  async transferLogs(
    tokens: string[],
    from: number,
    to: number,
    address: string,
    side: 'to' | 'from',
  ): Promise<TokenLog[]> {
    const padded = `0x${address.slice(2).padStart(64, '0')}`;
    const topics = side === 'to' ? [TRANSFER_TOPIC, null, padded] : [TRANSFER_TOPIC, padded];
    const raw = await rpc(this.url, 'eth_getLogs', [
      { fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}`, address: tokens, topics },
    ]);
    if (!Array.isArray(raw) || raw.length > 10_000) throw new RpcInvalid('eth_getLogs did not answer a list of logs');
    return raw.map(
      (l: {
        address?: unknown;
        topics?: unknown;
        data?: unknown;
        transactionHash?: unknown;
        blockNumber?: unknown;
        removed?: unknown;
      }) => {
        const t = Array.isArray(l?.topics) ? l.topics : [];
        if (
          typeof l?.address !== 'string' ||
          !ADDRESS.test(l.address) ||
          t.length !== 3 ||
          t.some((x) => typeof x !== 'string' || !HASH.test(x)) ||
          typeof l.transactionHash !== 'string' ||
          !HASH.test(l.transactionHash)
        ) {
          throw new RpcInvalid('eth_getLogs answered a malformed Transfer log');
        }
        return {
          token: l.address.toLowerCase(),
          txid: l.transactionHash.toLowerCase(),
          block: safeNumber(l.blockNumber, "a log's block"),
          from: `0x${(t[1] as string).slice(26)}`.toLowerCase(),
          to: `0x${(t[2] as string).slice(26)}`.toLowerCase(),
          value: hexQuantity(
            typeof l.data === 'string' && l.data.length > 2
              ? `0x${l.data.slice(2).replace(/^0+(?=.)/, '') || '0'}`
              : '0x0',
            'a token amount',
          ),
        };
      },
    );
  }

  /**
   * A token's decimals (ERC-20 decimals()), kept once known; 18 when the contract does not say
   * (no answer, a revert). A node that could not be asked (down, a rate limit) is asked again
   * next time: a guess cached then would scale the token's amounts wrongly until a restart.
   */
  decimals(token: string): Promise<number> {
    let d = this.tokenDecimals.get(token);
    if (!d) {
      d = rpc(this.url, 'eth_call', [{ to: token, data: '0x313ce567' }, 'latest']).then(
        (r) => {
          if (typeof r !== 'string' || !HASH.test(r)) return 18;
          const n = Number(BigInt(r));
          return n <= 36 ? n : 18;
        },
        (err: Error) => {
          if (err instanceof RpcCallError && err.reverted) return 18;
          this.tokenDecimals.delete(token);
          throw err;
        },
      );
      this.tokenDecimals.set(token, d);
    }
    return d;
  }

  /**
   * A balance. The wallets of a tick ask together: their questions go in JSON-RPC batches of
   * BATCH (1 000 wallets every 20 blocks: 2 requests a block instead of 100), or one by one to
   * an endpoint that takes no batches.
   */
  balance(address: string, tag: 'latest' | 'pending'): Promise<bigint> {
    return this.ask('eth_getBalance', [address, tag], (v) => hexQuantity(v, 'the balance'));
  }

  /**
   * A token balance (ERC-20 balanceOf), batched like balances. Undefined when the contract does
   * not answer like a token (no code, a revert, not 32 bytes): a wrong entry in `tokens` is not
   * a broken backend. Any other error (the node down, a rate limit) is the backend's, as usual.
   */
  tokenBalance(token: string, address: string): Promise<bigint | undefined> {
    return this.ask(
      'eth_call',
      [{ to: token, data: `${BALANCE_OF}${address.slice(2).toLowerCase().padStart(64, '0')}` }, 'latest'],
      (v) => (typeof v === 'string' && HASH.test(v) ? BigInt(v) : undefined),
    ).catch((err: Error) => {
      if (err instanceof RpcCallError && err.reverted) return undefined;
      throw err;
    });
  }

  private ask<T>(method: string, params: unknown[], parse: (v: unknown) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.questions.push({ method, params, parse, resolve, reject });
      if (this.questions.length === 1) setImmediate(() => void this.askAll());
    });
  }

  private async askAll(): Promise<void> {
    const asked = this.questions.splice(0);
    const settle = (q: Question, r: PromiseSettledResult<unknown>) => {
      if (r.status === 'rejected') return q.reject(r.reason as Error);
      try {
        q.resolve(q.parse(r.value));
      } catch (err) {
        q.reject(err instanceof RpcInvalid ? err : new RpcInvalid((err as Error).message));
      }
    };
    const one = (q: Question) =>
      rpc(this.url, q.method, q.params).then(
        (value) => settle(q, { status: 'fulfilled', value }),
        (err: Error) => q.reject(err),
      );
    for (let i = 0; i < asked.length; i += BATCH) {
      const part = asked.slice(i, i + BATCH);
      if (part.length === 1 || this.batches === false) {
        await Promise.all(part.map(one));
        continue;
      }
      try {
        const results = await rpcBatch(
          this.url,
          part.map((q) => ({ method: q.method, params: q.params })),
        );
        if (!results) {
          this.batches = false; // this endpoint answers batches with something else: one by one from now on
          await Promise.all(part.map(one));
          continue;
        }
        part.forEach((q, j) => settle(q, results[j]!));
      } catch (err) {
        for (const q of part) q.reject(err as Error);
      }
    }
  }
}
