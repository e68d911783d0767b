/**
 * A watched Ethereum address: scans each new block (through the shared EthChain) for transfers
 * to and from it, keeps the balance, notices reorgs (the hash of the last block scanned changed:
 * what came after the fork is forgotten and scanned again, never counted twice), and tells the
 * user about money that arrived — never for what the first sync finds, never twice.
 */
import type { LiveContext, LiveSession } from '../plugin.js';
import { formatUnits, parseUnits } from '../common/units.js';
import { WalletBook, type WalletTransaction } from '../common/wallet-book.js';
import { EthChain, type ChainWatcher } from './chain.js';
import { NotYet, RpcInvalid, RpcUnreachable } from './rpc.js';
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
type Typed = { t: string; v: unknown };

export class EthWatcher implements LiveSession, ChainWatcher {
  private readonly book: WalletBook;
  private readonly chain: EthChain;
  private readonly address: string;
  private balanceBlock = -1;
  private savedBlock = -1;
  private head = -1;
  /** Spreads the periodic balance reads of many wallets over the blocks. */
  private readonly phase: number;
  private stopped = false;

  constructor(private readonly ctx: LiveContext) {
    this.address = ctx.username.toLowerCase();
    this.phase = parseInt(this.address.slice(-4), 16) % BALANCE_EVERY || 0;
    // The state belongs to this address on this chain: another network or node starts afresh.
    this.book = WalletBook.load(ctx.stateFile, `${this.address} ${String(ctx.settings.network)} ${String(ctx.settings.url)}`);
    this.chain = EthChain.of(String(ctx.settings.url));
    try {
      checkEthAddress(ctx.username, 'the account'); // a hand-edited file may hold anything
    } catch (err) {
      this.stopped = true;
      ctx.status('error', (err as Error).message);
      return;
    }
    this.chain.add(this);
  }

  property(name: string): unknown {
    switch (name) {
      case 'Currency': return 'ETH';
      case 'Network': return String(this.ctx.settings.network);
      case 'Address': return this.ctx.username;
      case 'Balance': return this.book.balance;
      case 'PendingBalance': return this.book.pending;
      case 'LastUpdated': return this.book.updated;
    }
    throw new Error(`no wallet property ${name}`);
  }

  async call(method: string, args: unknown[]): Promise<unknown> {
    if (method === 'Refresh') {
      this.balanceBlock = -1;
      await this.chain.refresh();
      return undefined;
    }
    if (method === 'GetTransactions') {
      const [offset, limit] = args as [number, number];
      const head = this.head;
      return this.book.page(offset, Math.min(limit, 1000)).map((t): Record<string, Typed> => ({
        txid: { t: 's', v: t.txid }, direction: { t: 's', v: t.direction }, amount: { t: 's', v: t.amount }, asset: { t: 's', v: t.asset },
        counterparty: { t: 's', v: t.counterparty }, time: { t: 't', v: BigInt(t.time) },
        confirmations: { t: 'u', v: t.block < 0 ? 0 : Math.max(0, head - t.block + 1) },
      }));
    }
    throw new Error(`no wallet method ${method}`);
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
      throw new RpcInvalid(`it serves chain ${this.chain.chainId}, not ${String(this.ctx.settings.network)} (${expected})`);
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
        if (tx.to === this.address) mine.push({ txid: tx.hash, direction: 'in', amount: ETH(tx.value), asset: '', counterparty: tx.from, time: block.timestamp, block: n });
        if (tx.from === this.address) mine.push({ txid: tx.hash, direction: 'out', amount: ETH(tx.value), asset: '', counterparty: tx.to ?? '', time: block.timestamp, block: n });
      }
      if (mine.length) touched = true;
      fresh.push(...this.book.add(mine));
      this.book.scanned(n, block.hash);
    }
    // ERC-20 transfers of the listed tokens in the blocks just scanned.
    const tokens = String(this.ctx.settings.tokens ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
    if (tokens.length && this.book.lastBlock >= firstScanned && !this.stopped) {
      const found = await this.tokenTransfers(tokens, firstScanned, this.book.lastBlock);
      if (found.length) touched = true;
      fresh.push(...this.book.add(found));
    }
    let changed = false;
    if (touched || this.balanceBlock < 0 || (head - this.balanceBlock >= BALANCE_EVERY && head % BALANCE_EVERY === this.phase) || head - this.balanceBlock >= 2 * BALANCE_EVERY) {
      const [balance, pending] = await Promise.all([this.chain.balance(this.address, 'latest'), this.chain.balance(this.address, 'pending')]);
      changed = this.book.setBalance(ETH(balance), ETH(pending));
      this.balanceBlock = head;
    }
    if (this.stopped) return; // removed or replaced meanwhile: its file is not ours to write
    // Seen transfers are written before anyone is told (never twice); quiet blocks only now and then.
    if (touched || changed || this.book.lastBlock - this.savedBlock >= SAVE_EVERY) {
      await this.book.save();
      this.savedBlock = this.book.lastBlock;
    }
    if (this.stopped) return;
    this.ctx.status('online', '');
    if (changed) this.ctx.changed(['Balance', 'PendingBalance', 'LastUpdated']);
    const received = quiet ? [] : fresh.filter((t) => t.direction === 'in');
    // A token's amount names the token (its contract): the signal's amount is not in ETH then.
    for (const t of received) this.ctx.emit('TransferReceived', [t.txid, t.asset ? `${t.amount} ${t.asset}` : t.amount, t.counterparty]);
    if (received.length && String(this.ctx.settings.notify) !== 'false') this.tell(received);
  }

  private async tokenTransfers(tokens: string[], from: number, to: number): Promise<WalletTransaction[]> {
    const [incoming, outgoing] = await Promise.all([
      this.chain.transferLogs(tokens, from, to, this.address, 'to'), this.chain.transferLogs(tokens, from, to, this.address, 'from'),
    ]);
    const out: WalletTransaction[] = [];
    for (const [logs, direction] of [[incoming, 'in'], [outgoing, 'out']] as const) {
      for (const l of logs) {
        const time = (await this.chain.block(l.block)).timestamp;
        out.push({
          txid: l.txid, direction, amount: formatUnits(l.value, await this.chain.decimals(l.token)), asset: l.token,
          counterparty: direction === 'in' ? l.from : l.to, time, block: l.block,
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

  private tell(received: WalletTransaction[]): void {
    const short = (a: string) => `${a.slice(0, 8)}…${a.slice(-4)}`;
    const unit = (t: WalletTransaction) => (t.asset ? `of token ${short(t.asset)}` : 'ETH');
    if (received.length === 1) {
      const t = received[0]!;
      this.ctx.notify(`Received ${t.amount} ${unit(t)}`, `From ${short(t.counterparty)} to ${short(this.ctx.username)}`);
      return;
    }
    const eth = received.filter((t) => !t.asset);
    const total = eth.reduce((sum, t) => sum + parseUnits(t.amount, 18), 0n);
    const tokens = received.length - eth.length;
    const parts = [...(eth.length ? [`${ETH(total)} ETH in total`] : []), ...(tokens ? [`${tokens} token transfer${tokens > 1 ? 's' : ''}`] : [])];
    this.ctx.notify(`Received ${received.length} transfers`, `${parts.join(' and ')} to ${short(this.ctx.username)}`);
  }

  private failed(err: Error): void {
    if (this.stopped) return;
    // What a backend says goes into a status message: printable and short.
    const said = err.message.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 300);
    if (err instanceof RpcInvalid) this.ctx.status('error', `the Ethereum backend answered nonsense: ${said}`);
    else if (err instanceof RpcUnreachable) this.ctx.status('offline', `the Ethereum backend ${new URL(String(this.ctx.settings.url)).host} ${said}`);
    else this.ctx.status('error', `watching the wallet failed: ${said}`);
  }
}

