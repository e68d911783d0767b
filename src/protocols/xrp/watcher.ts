/**
 * A watched XRP Ledger account through a rippled WebSocket: the balance (account_info), the
 * history (account_tx, paged), and validated payments as they happen (the `transaction` stream
 * of `subscribe`). Amounts come from meta.delivered_amount only — a partial payment's `Amount`
 * is not what arrived. The ledger is final once validated: there are no reorgs to correct.
 */
import type { LiveContext, LiveSession } from '../plugin.js';
import { formatUnits, parseUnits } from '../common/units.js';
import { WalletBook, type WalletTransaction } from '../common/wallet-book.js';
import { RpcInvalid, RpcUnreachable } from '../eth/rpc.js';
import { checkXrpAddress, xrpTarget, type XrpTarget } from './address.js';
import { XrplConnection, type XrplListener } from './connection.js';

/** Seconds between the Unix epoch and the XRP Ledger's (2000-01-01). */
const RIPPLE_EPOCH = 946_684_800;
const PAGE = 200;
const MAX_PAGES = 10;
const DROPS = /^\d{1,19}$/;
const DECIMAL = /^-?\d{1,40}(\.\d{1,40})?([eE][-+]?\d{1,3})?$/;
const HASH = /^[0-9A-Fa-f]{64}$/;

type Entry = Record<string, unknown>;

/** A payment to or from the account, as a wallet transaction; undefined for anything else. */
export function transferOf(entry: Entry, target: XrpTarget, ledger?: number): WalletTransaction | undefined {
  const tx = (entry.tx ?? entry.tx_json ?? entry.transaction) as Entry | undefined;
  const meta = entry.meta as Entry | undefined;
  if (!tx || typeof tx !== 'object' || tx.TransactionType !== 'Payment') return undefined;
  if (!meta || typeof meta !== 'object' || meta.TransactionResult !== 'tesSUCCESS') return undefined;
  const hash = tx.hash ?? entry.hash;
  if (typeof hash !== 'string' || !HASH.test(hash)) throw new RpcInvalid('a payment without a valid hash');
  const incoming = tx.Destination === target.classic && (target.tag === undefined || tx.DestinationTag === target.tag);
  const outgoing = tx.Account === target.classic;
  if (!incoming && !outgoing) return undefined;
  const delivered = meta.delivered_amount ?? meta.DeliveredAmount;
  let amount: string;
  let asset = '';
  if (typeof delivered === 'string' && DROPS.test(delivered)) {
    amount = formatUnits(BigInt(delivered), 6);
  } else if (delivered && typeof delivered === 'object' && typeof (delivered as Entry).value === 'string' && DECIMAL.test((delivered as Entry).value as string)) {
    const d = delivered as Entry;
    amount = d.value as string;
    asset = `${String(d.currency).slice(0, 40)}.${String(d.issuer).slice(0, 40)}`;
  } else if (delivered === 'unavailable') {
    return undefined; // before 2014 the ledger did not record it: nothing exact to say
  } else {
    throw new RpcInvalid('a payment without a valid delivered_amount');
  }
  const at = ledger ?? entry.ledger_index ?? tx.ledger_index;
  const date = typeof tx.date === 'number' ? tx.date + RIPPLE_EPOCH : 0;
  return {
    txid: hash.toUpperCase(), direction: incoming ? 'in' : 'out', amount, asset,
    counterparty: String(incoming ? tx.Account : tx.Destination).slice(0, 64), time: date, block: typeof at === 'number' ? at : -1,
  };
}

export class XrpWatcher implements LiveSession, XrplListener {
  private readonly book: WalletBook;
  private readonly target: XrpTarget;
  private readonly conn: XrplConnection;
  private stopped = false;
  private syncing: Promise<void> | undefined;

  constructor(private readonly ctx: LiveContext) {
    this.book = WalletBook.load(ctx.stateFile, `${ctx.username} ${String(ctx.settings.network)} ${String(ctx.settings.url)}`);
    this.conn = XrplConnection.of(String(ctx.settings.url));
    try {
      checkXrpAddress(ctx.username, 'the account'); // a hand-edited file may hold anything
      this.target = xrpTarget(ctx.username);
    } catch (err) {
      this.stopped = true;
      this.target = { classic: '', tag: undefined, test: false };
      ctx.status('error', (err as Error).message);
      return;
    }
    this.conn.add(this, this.target.classic);
  }

  property(name: string): unknown {
    switch (name) {
      case 'Currency': return 'XRP';
      case 'Network': return String(this.ctx.settings.network);
      case 'Address': return this.ctx.username;
      case 'Balance': return this.book.balance;
      case 'PendingBalance': return this.book.pending;
      case 'LastUpdated': return this.book.updated;
    }
    throw new Error(`no wallet property ${name}`);
  }

  async call(method: string, args: unknown[]): Promise<unknown> {
    if (method === 'Refresh') return this.sync();
    if (method === 'GetTransactions') {
      const [offset, limit] = args as [number, number];
      return this.book.page(offset, Math.min(limit, 1000)).map((t) => ({
        txid: { t: 's', v: t.txid }, direction: { t: 's', v: t.direction }, amount: { t: 's', v: t.amount }, asset: { t: 's', v: t.asset },
        counterparty: { t: 's', v: t.counterparty }, time: { t: 't', v: BigInt(t.time) },
        // validated ledgers are final
        confirmations: { t: 'u', v: t.block < 0 ? 0 : 1 },
      }));
    }
    throw new Error(`no wallet method ${method}`);
  }

  stop(): void {
    this.stopped = true;
    this.conn.remove(this);
  }

  connected(): void {
    void this.sync();
  }

  lost(err: Error): void {
    this.failed(err);
  }

  /** Subscribes, reads the balance and the history since the last ledger seen. One at a time. */
  sync(): Promise<void> {
    this.syncing ??= this.syncOnce().catch((err: Error) => this.failed(err)).finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    if (this.stopped) return;
    await this.conn.request('subscribe', { accounts: [this.target.classic] });
    const quiet = this.book.firstSync;
    const fresh: WalletTransaction[] = [];
    let marker: unknown;
    let highest = this.book.lastBlock;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await this.conn.request('account_tx', {
        account: this.target.classic, ledger_index_min: quiet ? -1 : this.book.lastBlock + 1, ledger_index_max: -1,
        limit: PAGE, forward: !quiet, ...(marker ? { marker } : {}),
      }).catch((err: Error & { code?: unknown }) => {
        if (err.code === 'actNotFound') return { transactions: [] }; // not funded yet
        throw err;
      });
      const list = (r as Entry).transactions;
      if (!Array.isArray(list) || list.length > PAGE * 2) throw new RpcInvalid('account_tx did not answer a list of transactions');
      for (const e of list as Entry[]) {
        if (e.validated !== true) continue;
        const t = transferOf(e, this.target);
        if (!t) continue;
        highest = Math.max(highest, t.block);
        fresh.push(...this.book.add([t]));
      }
      marker = (r as Entry).marker;
      if (!marker || quiet) break; // the first sync reads the latest page only
    }
    if (this.stopped) return;
    if (highest > this.book.lastBlock) this.book.scanned(highest, '');
    else if (quiet) this.book.scanned(Math.max(0, highest), '');
    await this.readBalance();
    await this.book.save();
    if (this.stopped) return;
    this.ctx.status('online', '');
    this.ctx.changed(['Balance', 'PendingBalance', 'LastUpdated']);
    if (!quiet) this.tell(fresh);
  }

  private async readBalance(): Promise<void> {
    const drops = async (ledger: string): Promise<bigint> => {
      try {
        const r = await this.conn.request('account_info', { account: this.target.classic, ledger_index: ledger });
        const balance = ((r as Entry).account_data as Entry | undefined)?.Balance;
        if (typeof balance !== 'string' || !DROPS.test(balance)) throw new RpcInvalid('account_info answered no valid balance');
        return BigInt(balance);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'actNotFound') return 0n;
        throw err;
      }
    };
    const [validated, current] = await Promise.all([drops('validated'), drops('current')]);
    this.book.setBalance(formatUnits(validated, 6), formatUnits(current, 6));
  }

  transaction(message: Record<string, unknown>): void {
    if (this.stopped) return;
    let t: WalletTransaction | undefined;
    try {
      t = transferOf(message, this.target, typeof message.ledger_index === 'number' ? message.ledger_index : undefined);
    } catch (err) {
      return this.failed(err as Error);
    }
    if (!t) return;
    const fresh = this.book.add([t]);
    if (t.block > this.book.lastBlock) this.book.scanned(t.block, '');
    void this.readBalance().then(() => this.book.save()).then(() => {
      if (this.stopped) return;
      this.ctx.changed(['Balance', 'PendingBalance', 'LastUpdated']);
      this.tell(fresh);
    }, (err: Error) => this.failed(err));
  }

  private tell(fresh: WalletTransaction[]): void {
    const received = fresh.filter((t) => t.direction === 'in');
    for (const t of received) this.ctx.emit('TransferReceived', [t.txid, t.asset ? `${t.amount} ${t.asset}` : t.amount, t.counterparty]);
    if (!received.length || String(this.ctx.settings.notify) === 'false') return;
    const short = (a: string) => `${a.slice(0, 8)}…${a.slice(-4)}`;
    const xrp = received.filter((t) => !t.asset);
    if (received.length === 1) {
      const t = received[0]!;
      this.ctx.notify(`Received ${t.amount} ${t.asset ? t.asset.split('.')[0] : 'XRP'}`, `From ${short(t.counterparty)} to ${short(this.ctx.username)}`);
    } else {
      const total = xrp.reduce((sum, t) => sum + parseUnits(t.amount, 6), 0n);
      this.ctx.notify(`Received ${received.length} transfers`, `${xrp.length ? `${formatUnits(total, 6)} XRP in total` : 'tokens'} to ${short(this.ctx.username)}`);
    }
  }

  private failed(err: Error): void {
    if (this.stopped) return;
    const said = err.message.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 300);
    const host = new URL(String(this.ctx.settings.url)).host;
    if (err instanceof RpcUnreachable) this.ctx.status('offline', `the XRP Ledger server ${host} ${said}`);
    else this.ctx.status('error', `the XRP Ledger server ${host} answered nonsense: ${said}`);
  }
}

