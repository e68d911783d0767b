/**
 * A watched XRP Ledger account through a rippled WebSocket: the balance (account_info), the
 * history (account_tx, paged), and validated payments as they happen (the `transaction` stream
 * of `subscribe`). Amounts come from meta.delivered_amount only — a partial payment's `Amount`
 * is not what arrived. The ledger is final once validated: there are no reorgs to correct.
 */
import type { LiveContext } from '../plugin.js';
import { formatUnits, plainDecimal } from '../common/units.js';
import type { WalletTransaction } from '../common/wallet-book.js';
import { WalletSession } from '../common/wallet-session.js';
import { RpcInvalid } from '../common/backend-errors.js';
import { checkXrpAddress, xrpTarget, type XrpTarget } from './address.js';
import { XrplConnection, type XrplListener } from './connection.js';

/** Seconds between the Unix epoch and the XRP Ledger's (2000-01-01). */
const RIPPLE_EPOCH = 946_684_800;
const PAGE = 200;
const MAX_PAGES = 10;
const DROPS = /^\d{1,19}$/;
/** Trust-line pages read at most, of LINES_PAGE each: an account holding more is not a wallet a person watches. */
const MAX_LINE_PAGES = 10;
const LINES_PAGE = 400;
/** A currency code: three characters of the standard set, or 160 bits in hex. */
const CURRENCY = /^([A-Za-z0-9?!@#$%^&*<>(){}[\]|]{3}|[0-9A-Fa-f]{40})$/;
/** A classic address (base58, the Ledger's alphabet). */
const CLASSIC = /^r[1-9A-HJ-NP-Za-km-z]{24,34}$/;

/** `CURRENCY.issuer`, the name of an issued currency in the history and in AssetBalances; throws on anything else. */
function assetOf(currency: unknown, issuer: unknown): string {
  if (typeof currency !== 'string' || !CURRENCY.test(currency) || typeof issuer !== 'string' || !CLASSIC.test(issuer)) {
    throw new RpcInvalid('an issued amount with a malformed currency or issuer');
  }
  return `${currency}.${issuer}`;
}
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
  } else if (
    delivered &&
    typeof delivered === 'object' &&
    typeof (delivered as Entry).value === 'string' &&
    plainDecimal((delivered as Entry).value as string) !== undefined
  ) {
    const d = delivered as Entry;
    amount = plainDecimal(d.value as string)!;
    asset = assetOf(d.currency, d.issuer);
  } else if (delivered === 'unavailable') {
    return undefined; // before 2014 the ledger did not record it: nothing exact to say
  } else {
    throw new RpcInvalid('a payment without a valid delivered_amount');
  }
  const counterparty = incoming ? tx.Account : tx.Destination;
  // What reaches the bus is checked: a D-Bus string cannot hold everything a backend may send.
  if (typeof counterparty !== 'string' || !CLASSIC.test(counterparty))
    throw new RpcInvalid('a payment with a malformed counterparty');
  const at = ledger ?? entry.ledger_index ?? tx.ledger_index;
  const date = typeof tx.date === 'number' ? tx.date + RIPPLE_EPOCH : 0;
  return {
    txid: hash.toUpperCase(),
    direction: incoming ? 'in' : 'out',
    amount,
    asset,
    counterparty,
    time: date,
    block: typeof at === 'number' ? at : -1,
  };
}

export class XrpWatcher extends WalletSession implements XrplListener {
  private readonly target: XrpTarget;
  private readonly conn: XrplConnection;
  private syncing: Promise<void> | undefined;

  constructor(ctx: LiveContext) {
    super(ctx, { currency: 'XRP', decimals: 6, backend: 'XRP Ledger server' });
    // Looked up (or made, unconnected until its first listener): start() attaches this watcher to it.
    this.conn = XrplConnection.of(this.backendUrl);
    this.target = { classic: '', tag: undefined, test: false };
    if (this.problem !== undefined) return; // no API key: start() says so
    try {
      checkXrpAddress(ctx.username, 'the account'); // a hand-edited file may hold anything
      this.target = xrpTarget(ctx.username);
    } catch (err) {
      this.problem = (err as Error).message;
    }
  }

  protected override watch(): void {
    this.conn.add(this, this.target.classic);
  }

  /** A look that starts after the call (Refresh's promise), not the one already running. */
  protected override refresh(): Promise<void> {
    return (this.syncing ?? Promise.resolve()).then(() => this.sync());
  }

  /** An issued currency is named by its code. */
  protected override assetName(asset: string): string {
    return asset.split('.')[0]!;
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
    this.syncing ??= this.syncOnce()
      .catch((err: Error) => this.failed(err))
      .finally(() => (this.syncing = undefined));
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
      const r = await this.conn
        .request('account_tx', {
          account: this.target.classic,
          ledger_index_min: quiet ? -1 : this.book.lastBlock + 1,
          ledger_index_max: -1,
          limit: PAGE,
          forward: !quiet,
          ...(marker ? { marker } : {}),
        })
        .catch((err: Error & { code?: unknown }) => {
          if (err.code === 'actNotFound') return { transactions: [] }; // not funded yet
          throw err;
        });
      const list = (r as Entry).transactions;
      if (!Array.isArray(list) || list.length > PAGE * 2)
        throw new RpcInvalid('account_tx did not answer a list of transactions');
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
    const assets = await this.readBalance();
    this.looked();
    await this.book.save();
    if (this.stopped) return;
    this.ctx.status('online', '');
    if (!quiet) this.announce(fresh);
    this.synced(true, assets);
  }

  /** Reads the XRP balance and the trust lines' balances; true if the latter changed. */
  private async readBalance(): Promise<boolean> {
    const drops = async (ledger: string): Promise<bigint> => {
      try {
        const r = await this.conn.request('account_info', { account: this.target.classic, ledger_index: ledger });
        const balance = ((r as Entry).account_data as Entry | undefined)?.Balance;
        if (typeof balance !== 'string' || !DROPS.test(balance))
          throw new RpcInvalid('account_info answered no valid balance');
        return BigInt(balance);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'actNotFound') return 0n;
        throw err;
      }
    };
    const [validated, current, lines] = await Promise.all([drops('validated'), drops('current'), this.trustLines()]);
    this.book.setBalance(formatUnits(validated, 6), formatUnits(current, 6));
    return this.book.setAssets(lines);
  }

  /** Issued currencies held (account_lines, validated): `CURRENCY.issuer` → balance, as the history names them. */
  private async trustLines(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    let marker: unknown;
    for (let page = 0; page < MAX_LINE_PAGES; page++) {
      let r: unknown;
      try {
        r = await this.conn.request('account_lines', {
          account: this.target.classic,
          ledger_index: 'validated',
          limit: LINES_PAGE,
          ...(marker ? { marker } : {}),
        });
      } catch (err) {
        if ((err as { code?: unknown }).code === 'actNotFound') return {};
        throw err;
      }
      const lines = (r as Entry).lines;
      if (!Array.isArray(lines) || lines.length > LINES_PAGE)
        throw new RpcInvalid('account_lines answered no list of lines (or more than asked for)');
      for (const l of lines as Entry[]) {
        const balance = typeof l?.balance === 'string' ? plainDecimal(l.balance) : undefined;
        if (balance === undefined) throw new RpcInvalid('account_lines answered a malformed trust line');
        // Below zero the account is the issuer's side of the line: it owes, it does not hold.
        if (balance.startsWith('-')) continue;
        out[assetOf(l.currency, l.account)] = balance;
      }
      marker = (r as Entry).marker;
      if (!marker) break;
    }
    return out;
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
    let assets = false;
    void this.readBalance()
      .then((changed) => {
        assets = changed;
        this.looked();
        return this.book.save();
      })
      .then(
        () => {
          if (this.stopped) return;
          this.announce(fresh);
          this.synced(true, assets);
        },
        (err: Error) => this.failed(err),
      );
  }
}
