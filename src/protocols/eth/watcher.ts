/**
 * A watched Ethereum address: scans each new block (through the shared EthChain) for transfers
 * to and from it, keeps the balance, notices reorgs (the hash of the last block scanned changed:
 * what came after the fork is forgotten and scanned again, never counted twice), and tells the
 * user about money that arrived — never for what the first sync finds, never twice.
 */
import type { LiveContext } from '../plugin.js';
import { NotYet, RpcInvalid } from '../common/backend-errors.js';
import { WalletSession } from '../common/wallet-session.js';
import { formatUnits } from '../common/units.js';
import type { WalletTransaction } from '../common/wallet-book.js';
import { EthChain, type ChainWatcher } from './chain.js';
import { checkEthAddress } from './address.js';
import { CHAIN_IDS } from './networks.js';

const setting = (value: string | undefined, fallback: number) => {
  const n = Number(value ?? fallback);
  return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
};
/** Blocks the first sync looks back for history (a JSON-RPC node has no index by address). */
const BACKFILL = setting(process.env.PX_ACCOUNTS_ETH_BACKFILL, 128);
/** A watch that was away for more blocks than this starts over at the head (quietly) instead of crawling. */
const MAX_GAP = 10_000;
/** Blocks scanned per tick at most, so a long catch-up does not hold the others. */
const MAX_PER_TICK = 200;
/** The balance is read again after this many blocks even if no transaction touched the address. */
const BALANCE_EVERY = 20;
/** The state file is written when something changed, else after this many blocks (a crash rescans them). */
const SAVE_EVERY = 100;
const REORG_DEPTH = 64;

const ETH = (wei: bigint) => formatUnits(wei, 18);

export class EthWatcher extends WalletSession implements ChainWatcher {
  private readonly chain: EthChain;
  private readonly address: string;
  private balanceBlock = -1;
  private savedBlock = -1;
  private head = -1;
  /** Spreads the periodic balance reads of many wallets over the blocks. */
  private readonly phase: number;

  constructor(ctx: LiveContext) {
    super(ctx, { currency: 'ETH', decimals: 18, backend: 'Ethereum backend' });
    this.address = ctx.username.toLowerCase();
    this.phase = parseInt(this.address.slice(-4), 16) % BALANCE_EVERY || 0;
    // Looked up (or made, idle until its first watcher): start() attaches this watcher to it.
    this.chain = EthChain.of(this.backendUrl);
    if (this.problem !== undefined) return; // no API key
    try {
      checkEthAddress(ctx.username, 'the account'); // a hand-edited file may hold anything
    } catch (err) {
      this.problem = (err as Error).message;
    }
  }

  protected override watch(): void {
    this.chain.add(this);
  }

  protected override async refresh(): Promise<void> {
    this.balanceBlock = -1;
    await this.chain.refresh();
  }

  /** Counted from the head the node last reported. */
  protected override confirmations(t: WalletTransaction): number {
    return t.block < 0 ? 0 : Math.max(0, this.head - t.block + 1);
  }

  protected override assetName(asset: string): string {
    return `of token ${asset.slice(0, 8)}…${asset.slice(-4)}`;
  }

  stop(): void {
    this.stopped = true;
    this.chain.remove(this);
  }

  async advance(head: number | Error): Promise<void> {
    if (this.stopped) return;
    if (head instanceof Error) return this.failed(head);
    try {
      await this.catchUp(head);
    } catch (err) {
      this.failed(err as Error);
    }
  }

  private async catchUp(head: number): Promise<void> {
    const expected = CHAIN_IDS[String(this.ctx.settings.network)];
    if (expected !== undefined && this.chain.chainId !== undefined && this.chain.chainId !== expected) {
      throw new RpcInvalid(
        `it serves chain ${this.chain.chainId}, not ${String(this.ctx.settings.network)} (${expected})`,
      );
    }
    this.head = head;
    const confirmations = Math.max(1, Number(this.ctx.settings.confirmations) || 1);
    const confirmed = head - (confirmations - 1);
    // A first sync, or a watch away for long, starts near the head and tells nobody.
    const quiet = this.book.firstSync || confirmed - this.book.lastBlock > MAX_GAP;
    // After a reorg the balance is read again whatever the new blocks hold.
    const reorged = quiet ? false : await this.checkReorg(confirmed);
    if (quiet) this.book.startAt(Math.max(0, confirmed - BACKFILL + 1));
    const fresh: WalletTransaction[] = [];
    let touched = quiet || reorged;
    const last = Math.min(confirmed, this.book.lastBlock + MAX_PER_TICK);
    const firstScanned = this.book.lastBlock + 1;
    for (let n = this.book.lastBlock + 1; n <= last && !this.stopped; n++) {
      let block;
      try {
        block = await this.chain.block(n);
      } catch (err) {
        if (err instanceof NotYet) break; // the node is a block behind its own head: next tick
        throw err;
      }
      const mine: WalletTransaction[] = [];
      for (const tx of block.transactions) {
        if (tx.to === this.address)
          mine.push({
            txid: tx.hash,
            direction: 'in',
            amount: ETH(tx.value),
            asset: '',
            counterparty: tx.from,
            time: block.timestamp,
            block: n,
          });
        if (tx.from === this.address)
          mine.push({
            txid: tx.hash,
            direction: 'out',
            amount: ETH(tx.value),
            asset: '',
            counterparty: tx.to ?? '',
            time: block.timestamp,
            block: n,
          });
      }
      if (mine.length) touched = true;
      fresh.push(...this.book.add(mine));
      this.book.scanned(n, block.hash);
    }
    // ERC-20 transfers of the listed tokens in the blocks just scanned.
    const tokens = String(this.ctx.settings.tokens ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean);
    if (tokens.length && this.book.lastBlock >= firstScanned && !this.stopped) {
      const found = await this.tokenTransfers(tokens, firstScanned, this.book.lastBlock);
      if (found.length) touched = true;
      fresh.push(...this.book.add(found));
    }
    let changed = false;
    let assetsChanged = false;
    if (
      touched ||
      this.balanceBlock < 0 ||
      (head - this.balanceBlock >= BALANCE_EVERY && head % BALANCE_EVERY === this.phase) ||
      head - this.balanceBlock >= 2 * BALANCE_EVERY
    ) {
      const [balance, pending, assets] = await Promise.all([
        this.chain.balance(this.address, 'latest'),
        this.chain.balance(this.address, 'pending'),
        this.tokenBalances(tokens),
      ]);
      assetsChanged = this.book.setAssets(assets);
      changed = this.book.setBalance(ETH(balance), ETH(pending)) || assetsChanged;
      this.balanceBlock = head;
    }
    if (this.stopped) return; // removed or replaced meanwhile: its file is not ours to write
    this.looked();
    // Seen transfers are written before anyone is told (never twice); quiet blocks only now and then.
    if (touched || changed || this.book.lastBlock - this.savedBlock >= SAVE_EVERY) {
      await this.book.save();
      this.savedBlock = this.book.lastBlock;
    }
    if (this.stopped) return;
    this.ctx.status('online', '');
    if (!quiet) this.announce(fresh);
    this.synced(changed, assetsChanged);
  }

  /** The listed tokens' balances, exact in each token's decimals; a contract that is not a token is left out. */
  private async tokenBalances(tokens: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    await Promise.all(
      tokens.map(async (token) => {
        const [raw, decimals] = await Promise.all([
          this.chain.tokenBalance(token, this.address),
          this.chain.decimals(token),
        ]);
        if (raw !== undefined) out[token] = formatUnits(raw, decimals);
      }),
    );
    return out;
  }

  private async tokenTransfers(tokens: string[], from: number, to: number): Promise<WalletTransaction[]> {
    const [incoming, outgoing] = await Promise.all([
      this.chain.transferLogs(tokens, from, to, this.address, 'to'),
      this.chain.transferLogs(tokens, from, to, this.address, 'from'),
    ]);
    const out: WalletTransaction[] = [];
    for (const [logs, direction] of [
      [incoming, 'in'],
      [outgoing, 'out'],
    ] as const) {
      for (const l of logs) {
        const time = (await this.chain.block(l.block)).timestamp;
        out.push({
          txid: l.txid,
          direction,
          amount: formatUnits(l.value, await this.chain.decimals(l.token)),
          asset: l.token,
          counterparty: direction === 'in' ? l.from : l.to,
          time,
          block: l.block,
        });
      }
    }
    return out;
  }

  /** The last block scanned is not on the chain any more: find the fork and forget what followed. True if it was not. */
  private async checkReorg(confirmed: number): Promise<boolean> {
    const last = this.book.lastBlock;
    if (last > confirmed) {
      this.book.rollback(confirmed + 1);
      return true;
    }
    const stored = this.book.hashOf(last);
    if (!stored || (await this.chain.freshHash(last)) === stored) return false;
    let fork = Math.max(0, last - REORG_DEPTH);
    for (let n = last - 1; n >= last - REORG_DEPTH && n >= 0; n--) {
      const known = this.book.hashOf(n);
      if (known && (await this.chain.freshHash(n)) === known) {
        fork = n + 1;
        break;
      }
    }
    this.book.rollback(fork);
    return true;
  }
}
