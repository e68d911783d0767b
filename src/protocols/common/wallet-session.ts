/**
 * What every watch-only wallet does the same way, whatever its chain: the Wallet interface's
 * properties and GetTransactions from its WalletBook, the TransferReceived signals and one
 * desktop notification per batch, and the account's status from how the backend failed.
 * A chain's session (eth, xrp) adds how it reads its backend.
 */
import type { LiveContext, LiveSession } from '../plugin.js';
import { RpcInvalid, RpcRefused, RpcUnreachable } from './backend-errors.js';
import { formatUnits, parseUnits } from './units.js';
import { WalletBook, type WalletTransaction } from './wallet-book.js';
import { backendUrl } from './wallet-settings.js';
import { withoutControls } from '../../control-characters.js';
import { redact } from '../../util/redact.js';
import { _, ngettext } from '../../i18n/index.js';
import { formatAmount, formatNumber } from '../../i18n/intl.js';

export interface Coin {
  /** ETH, XRP: the unit of Balance. */
  readonly currency: string;
  readonly decimals: number;
  /** For status messages: 'Ethereum backend', 'XRP Ledger server'. */
  readonly backend: string;
  /** What else decides what is watched (a Bitcoin key's script type and gap limit): part of the state's owner. */
  readonly watching?: string;
}

const short = (a: string) => `${a.slice(0, 8)}…${a.slice(-4)}`;

export abstract class WalletSession implements LiveSession {
  protected readonly book: WalletBook;
  protected stopped = false;
  /** Why this session cannot watch (no usable API key, a malformed address in a hand-edited file): start() says it. */
  protected problem: string | undefined;

  /** The backend's URL with the account's API key in it: for requests only, never for messages. */
  protected readonly backendUrl: string;

  constructor(
    protected readonly ctx: LiveContext,
    private readonly coin: Coin,
  ) {
    // The state belongs to this address on this network and backend: another starts afresh.
    this.book = WalletBook.load(
      ctx.stateFile,
      `${ctx.username} ${String(ctx.settings.network)} ${String(ctx.settings.url)}${coin.watching ? ` ${coin.watching}` : ''}`,
    );
    try {
      this.backendUrl = backendUrl(String(ctx.settings.url), ctx.secrets);
    } catch (err) {
      this.backendUrl = '';
      this.problem = (err as Error).message;
    }
  }

  /**
   * Begins watching. Called once by whoever made the session (the plugin's live.start), right
   * after the constructor, which changes nothing but its own object: attaching to a chain or
   * connection shared with other wallets, the first sync, timers and the account's status all
   * start here.
   */
  start(): this {
    if (this.problem === undefined) this.watch();
    else {
      this.stopped = true;
      this.ctx.status('error', this.problem);
    }
    return this;
  }

  /** Attaches to the backend: joins a shared chain or connection, or syncs and polls on its own. */
  protected abstract watch(): void;

  /** Looks at the backend now (Wallet.Refresh). */
  protected abstract refresh(): Promise<void>;
  abstract stop(): void;

  /** How many confirmations a transaction has (validated ledgers are final: 1). */
  protected confirmations(t: WalletTransaction): number {
    return t.block < 0 ? 0 : 1;
  }

  /** Transactions known but not settled enough for the book (newest first): shown, never announced. */
  protected unsettled(): readonly WalletTransaction[] {
    return [];
  }

  /** How a notification names a non-native asset ('of token 0x12…', 'USD'). */
  protected assetName(asset: string): string {
    return asset;
  }

  property(name: string): unknown {
    switch (name) {
      case 'Currency':
        return this.coin.currency;
      case 'Network':
        return String(this.ctx.settings.network);
      case 'Address':
        return this.ctx.username;
      case 'Balance':
        return this.book.balance;
      case 'PendingBalance':
        return this.book.pending;
      case 'LastUpdated':
        return this.book.updated;
      case 'AssetBalances':
        return this.book.assets;
    }
    throw new Error(`no wallet property ${name}`);
  }

  async call(method: string, args: unknown[]): Promise<unknown> {
    if (method === 'Refresh') return this.refresh();
    if (method !== 'GetTransactions') throw new Error(`no wallet method ${method}`);
    const [offset, limit] = args as [number, number];
    const max = Math.min(limit, 1000);
    // Not yet settled ones (a Bitcoin mempool) come first, then the book's, newest first.
    const all = this.unsettled();
    const unsettled = all.slice(offset, offset + max);
    const settled = this.book.page(Math.max(0, offset - all.length), max - unsettled.length);
    // Typed for the bus layer, which turns them into variants.
    return [...unsettled, ...settled].map((t) => ({
      txid: { t: 's', v: t.txid },
      direction: { t: 's', v: t.direction },
      amount: { t: 's', v: t.amount },
      asset: { t: 's', v: t.asset },
      counterparty: { t: 's', v: t.counterparty },
      time: { t: 't', v: BigInt(t.time) },
      confirmations: { t: 'u', v: this.confirmations(t) },
    }));
  }

  /**
   * A look at the backend succeeded (a poll, a push, Refresh), whether or not it found anything:
   * LastUpdated is now. Called as soon as the look has read all it reads and before the book is
   * saved, so the saved LastUpdated is this look's own (it was the look before's, so a restart
   * showed a time one look old).
   */
  protected looked(): void {
    this.book.synced();
  }

  /**
   * Tells of a successful look (after `looked()`, and the save): one PropertiesChanged carries
   * LastUpdated with whatever else changed (the balance; other assets' balances with `assets`),
   * every time: a status widget shows "updated 2 min ago", and whoever waits for the next look (a
   * test) has an event even when nothing was new. Called last, after the look's transfers were
   * announced.
   */
  protected synced(balance: boolean, assets = false): void {
    this.ctx.changed([
      ...(balance ? ['Balance', 'PendingBalance'] : []),
      ...(assets ? ['AssetBalances'] : []),
      'LastUpdated',
    ]);
  }

  /** New transactions (already saved as seen): a signal each for what arrived, one notification for all. */
  protected announce(fresh: WalletTransaction[]): void {
    const received = fresh.filter((t) => t.direction === 'in');
    // An asset's amount names the asset: the signal's amount is never read as the coin's.
    for (const t of received)
      this.ctx.emit('TransferReceived', [t.txid, t.asset ? `${t.amount} ${t.asset}` : t.amount, t.counterparty]);
    if (!received.length || String(this.ctx.settings.notify) === 'false') return;
    const { currency, decimals } = this.coin;
    if (received.length === 1) {
      const t = received[0]!;
      this.ctx.notify(
        _('Received {amount} {currency}', {
          amount: formatAmount(t.amount),
          currency: t.asset ? this.assetName(t.asset) : currency,
        }),
        _('From {from} to {to}', { from: short(t.counterparty), to: short(this.ctx.username) }),
      );
      return;
    }
    const native = received.filter((t) => !t.asset);
    const total = native.reduce((sum, t) => sum + parseUnits(t.amount, decimals), 0n);
    const others = received.length - native.length;
    const values = {
      amount: formatAmount(formatUnits(total, decimals)),
      currency,
      n: formatNumber(others),
      to: short(this.ctx.username),
    };
    const body = !others
      ? _('{amount} {currency} in total to {to}', values)
      : native.length
        ? ngettext(
            '{amount} {currency} in total and {n} token transfer to {to}',
            '{amount} {currency} in total and {n} token transfers to {to}',
            others,
            values,
          )
        : ngettext('{n} token transfer to {to}', '{n} token transfers to {to}', others, values);
    this.ctx.notify(
      ngettext('Received {n} transfer', 'Received {n} transfers', received.length, {
        n: formatNumber(received.length),
      }),
      body,
    );
  }

  /** The backend failed: offline when it cannot be reached, error when it answers nonsense. */
  protected failed(err: Error): void {
    if (this.stopped) return;
    // What a backend says goes into a status message: printable and short.
    const said = withoutControls(redact(err.message, Object.values(this.ctx.secrets))).slice(0, 300);
    const backend = `the ${this.coin.backend} ${new URL(String(this.ctx.settings.url)).host}`;
    if (err instanceof RpcUnreachable) this.ctx.status('offline', `${backend} ${said}`);
    else if (err instanceof RpcRefused) this.ctx.status('error', `${backend} ${said}`);
    else if (err instanceof RpcInvalid) this.ctx.status('error', `${backend} answered nonsense: ${said}`);
    else this.ctx.status('error', `watching the wallet failed: ${said}`);
  }
}
