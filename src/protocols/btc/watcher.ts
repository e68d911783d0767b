/**
 * A watched Bitcoin wallet: one address, or the receive and change addresses of an extended key
 * derived until `gap_limit` unused ones in a row. Each sync reads every watched address's view
 * from the backend (reusing what did not change), works out what each transaction did to the
 * wallet as a whole (received minus spent: a payment to oneself is not income), and reconciles:
 * transactions with enough confirmations go into the book (announced once, ever), younger ones
 * are shown as unsettled, and whatever the backend no longer has (a reorg, a dropped mempool
 * transaction) is gone from both — never counted twice.
 */
import type { LiveContext } from '../plugin.js';
import { mapLimit } from '../../util/map-limit.js';
import { RpcInvalid } from '../common/backend-errors.js';
import { formatUnits } from '../common/units.js';
import type { WalletTransaction } from '../common/wallet-book.js';
import { WalletSession } from '../common/wallet-session.js';
import { GENESIS, type AddressView, type BackendListener, type BtcBackend, type BtcTx, type Tip } from './backend.js';
import { ElectrumBackend } from './electrum.js';
import { EsploraBackend } from './esplora.js';
import { checkBtcIdentifier, watchTarget, type WatchTarget } from './keys.js';

const POLL_MS = Number(process.env.PX_ACCOUNTS_WALLET_POLL_MS) || 10_000;
/** An extended key on a polled backend reads its addresses on a new block, else every this many polls. */
const EXTENDED_EVERY = 6;
/** An Electrum wallet syncs every this many polls anyway. */
const ELECTRUM_POLLS = 30;
/** Transactions this deep are not moved by a reorg any more (as Esplora's reading assumes). */
const SETTLED = 10;
/** No wallet derives more addresses than this. */
const MAX_ADDRESSES = 10_000;
const BTC = (sats: bigint) => formatUnits(sats, 8);

export const isElectrum = (url: string) => /^(tcp|ssl|tls):/.test(url);

/** The backend an account's url names. */
export function backendFor(url: string, network: string, listener: BackendListener): BtcBackend {
  return isElectrum(url) ? new ElectrumBackend(new URL(url), network, listener) : new EsploraBackend(url);
}

export class BtcWatcher extends WalletSession implements BackendListener {
  private readonly target: WatchTarget | undefined;
  private readonly backend: BtcBackend | undefined;
  private readonly chains: [string[], string[]] = [[], []];
  private readonly views = new Map<string, AddressView>();
  private readonly firstSeen = new Map<string, number>();
  private pending: WalletTransaction[] = [];
  private tipNow: Tip | undefined;
  /** The tip of the last sync that succeeded: a failed one is done again in full. */
  private syncedTip: string | undefined;
  private genesisChecked = false;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private reread = false;
  private polls = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(ctx: LiveContext) {
    const url = String(ctx.settings.url);
    // Other addresses derived are another wallet: its state starts afresh (and quietly).
    super(ctx, {
      currency: 'BTC',
      decimals: 8,
      backend: isElectrum(url) ? 'Electrum server' : 'Esplora backend',
      watching: `${String(ctx.settings.script_type ?? '')} ${String(ctx.settings.gap_limit ?? '')}`,
    });
    const network = String(ctx.settings.network);
    if (this.problem !== undefined) return; // no API key: start() says so
    try {
      checkBtcIdentifier(ctx.username, 'the account', network); // a hand-edited file may hold anything
      this.target = watchTarget(ctx.username, network, String(ctx.settings.script_type ?? ''));
    } catch (err) {
      this.problem = (err as Error).message;
      return;
    }
    // Its own backend (not shared): made here, it connects on the first sync.
    this.backend = backendFor(this.backendUrl, network, this);
  }

  protected override watch(): void {
    void this.sync();
    // A poll while a sync is still running (a slow backend) is skipped, not queued.
    // An Electrum server pushes; a slow poll still notices a connection that died quietly.
    this.timer = setInterval(
      () => void (this.running ?? this.sync()),
      isElectrum(String(this.ctx.settings.url)) ? POLL_MS * ELECTRUM_POLLS : POLL_MS,
    ).unref();
  }

  /** Refresh: the next sync reads every address again, reusing nothing. */
  protected override refresh(): Promise<void> {
    this.reread = true;
    return this.sync();
  }

  protected override confirmations(t: WalletTransaction): number {
    return t.block < 0 || !this.tipNow ? 0 : Math.max(0, this.tipNow.height - t.block + 1);
  }

  protected override unsettled(): readonly WalletTransaction[] {
    return this.pending;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.backend?.close();
  }

  changed(): void {
    void this.sync();
  }

  lost(err: Error): void {
    this.failed(err);
  }

  /**
   * A fresh look at the backend. One runs at a time; asked meanwhile (a push, Refresh), one more
   * runs after it, shared by everyone who asked.
   */
  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.syncOnce()
        .catch((err: Error) => this.failed(err))
        .finally(() => (this.running = undefined));
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.sync();
    });
    return this.queued;
  }

  private async syncOnce(): Promise<void> {
    const backend = this.backend!;
    if (this.stopped) return;
    if (this.reread) this.views.clear();
    this.reread = false;
    if (!this.genesisChecked) await this.checkGenesis();
    const tip = await backend.tip();
    const newBlock = tip.hash !== this.syncedTip;
    this.tipNow = tip;
    // On a polled backend an extended key's many addresses are read when a block came (or the
    // last sync failed), and now and then for the mempool; one address is cheap enough to read
    // every time.
    const electrum = isElectrum(String(this.ctx.settings.url));
    if (!newBlock && this.target!.extended && !electrum && this.polls++ % EXTENDED_EVERY !== 0) {
      this.looked();
      this.synced(false); // the tip answered: no new block, nothing to read this time
      return;
    }
    // A new block may have moved young transactions (a reorg re-mining them elsewhere) without
    // changing what an Esplora address's stats say: read those addresses' histories again.
    if (newBlock && !electrum) {
      for (const [a, v] of this.views)
        if (v.txs.some((t) => t.height === 0 || tip.height - t.height < SETTLED)) this.views.set(a, { ...v, tag: '' });
    }
    this.syncedTip = undefined;
    await this.readAddresses();
    if (this.stopped) return;
    const quiet = this.book.firstSync;
    const fresh = this.reconcile(tip, quiet);
    this.looked();
    await this.book.save();
    if (this.stopped) return;
    this.syncedTip = tip.hash;
    this.ctx.status('online', '');
    if (!quiet) this.announce(fresh);
    this.synced(true);
  }

  /** The backend serves the network the account names (a mainnet wallet on a testnet server is wrong, not empty). */
  private async checkGenesis(): Promise<void> {
    const expected = GENESIS[String(this.ctx.settings.network)];
    if (expected) {
      const genesis = await this.backend!.genesis();
      if (!expected.includes(genesis))
        throw new RpcInvalid(
          `it serves another chain than Bitcoin ${String(this.ctx.settings.network)} (block 0 is ${genesis.slice(0, 16)}…)`,
        );
    }
    this.genesisChecked = true;
  }

  /** Views of every watched address; an extended key derives more until the gap is unused. */
  private async readAddresses(): Promise<void> {
    const target = this.target!;
    const gap = Math.max(1, Number(this.ctx.settings.gap_limit) || 20);
    const read = new Set<string>();
    for (;;) {
      // An extended key's chains reach `gap` addresses past the last used one.
      for (const chain of target.extended ? ([0, 1] as const) : ([0] as const)) {
        const list = this.chains[chain];
        let lastUsed = -1;
        list.forEach((a, i) => (this.views.get(a)?.used ? (lastUsed = i) : undefined));
        const want = target.extended ? Math.min(lastUsed + 1 + gap, MAX_ADDRESSES / 2) : 1;
        while (list.length < want) list.push(target.address(chain, list.length));
      }
      // Each address once a sync; a round after the gap moved reads only the new ones.
      const todo = [...this.chains[0], ...this.chains[1]].filter((a) => !read.has(a));
      if (todo.length === 0) return;
      const views = await mapLimit(todo, 8, (a) => this.backend!.address(a, this.views.get(a)));
      todo.forEach((a, i) => {
        this.views.set(a, views[i]!);
        read.add(a);
      });
    }
  }

  /** Works out the wallet's transactions and balance from the views; returns the settled ones never seen before. */
  private reconcile(tip: Tip, quiet: boolean): WalletTransaction[] {
    const ours = new Set([...this.chains[0], ...this.chains[1]]);
    const txs = new Map<string, BtcTx>();
    let confirmed = 0n;
    let unconfirmed = 0n;
    let complete = true;
    let window = Infinity;
    for (const a of ours) {
      const v = this.views.get(a)!;
      confirmed += v.confirmed;
      unconfirmed += v.unconfirmed;
      for (const t of v.txs) txs.set(t.txid, t);
      if (!v.complete) {
        complete = false;
        for (const t of v.txs) if (t.height > 0) window = Math.min(window, t.height);
      }
    }
    const needed = Math.max(1, Number(this.ctx.settings.confirmations) || 1);
    const now = Math.floor(Date.now() / 1000);
    const settled: WalletTransaction[] = [];
    const pending: WalletTransaction[] = [];
    let young = 0n;
    for (const t of txs.values()) {
      const received = t.outputs.filter((o) => ours.has(o.address)).reduce((s, o) => s + o.value, 0n);
      const spent = t.inputs.filter((i) => ours.has(i.address)).reduce((s, i) => s + i.value, 0n);
      const delta = received - spent;
      const incoming = delta > 0n;
      const counterparty = incoming
        ? t.inputs.find((i) => !ours.has(i.address))?.address || (t.inputs.every((i) => !i.address) ? 'coinbase' : '')
        : (t.outputs.find((o) => o.address && !ours.has(o.address))?.address ?? '');
      if (!this.firstSeen.has(t.txid)) this.firstSeen.set(t.txid, now);
      const entry: WalletTransaction = {
        txid: t.txid,
        direction: incoming ? 'in' : 'out',
        amount: BTC(incoming ? delta : -delta),
        asset: '',
        counterparty,
        time: t.time || this.firstSeen.get(t.txid)!,
        block: t.height > 0 ? t.height : -1,
      };
      const depth = t.height > 0 ? tip.height - t.height + 1 : 0;
      if (depth >= needed) settled.push(entry);
      else {
        pending.push(entry);
        if (depth > 0) young += delta;
      }
    }
    const balance = confirmed - young;
    const total = confirmed + unconfirmed;
    if (balance < 0n || total < 0n) throw new RpcInvalid('its balances add up to less than nothing');
    // What the backend has is the truth from `window` on: anything else there is gone (a
    // reorg, a dropped transaction); the seen ids stay, so nothing is told twice.
    const fresh = this.book.reconcile(complete ? 0 : window, settled);
    // What a first sync finds unsettled is history too, not news when it settles.
    if (quiet) this.book.markSeen(pending);
    this.book.scanned(tip.height, tip.hash);
    this.pending = pending.sort((a, b) => b.time - a.time);
    for (const id of this.firstSeen.keys()) if (!txs.has(id)) this.firstSeen.delete(id);
    this.book.setBalance(BTC(balance), BTC(total));
    return fresh;
  }
}
