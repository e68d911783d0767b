/**
 * An Esplora REST backend (Blockstream's esplora, mempool.space, or one's own electrs with its
 * HTTP API): polled. An address's stats tell whether anything changed, so a quiet address costs
 * one request per poll; its history is read newest first, 25 confirmed transactions a page, and
 * only as far back as what is already known and settled.
 */
import { RpcInvalid } from '../common/backend-errors.js';
import { fetchBounded } from '../common/bounded-fetch.js';
import { TXID, height, sats, type AddressView, type BtcBackend, type BtcTx, type Coin, type Tip } from './backend.js';

const PAGE = 25;
/** At most this many pages of an address's history (25 transactions each). */
const MAX_PAGES = 40;
/** Transactions this deep are settled: a page that reaches one known this deep ends the reading. */
const SETTLED = 10;

type Json = Record<string, unknown>;

export class EsploraBackend implements BtcBackend {
  readonly name: string;
  private readonly base: string;
  private tipHeight = 0;

  constructor(url: string) {
    const base = new URL(url);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base.href;
    this.name = `Esplora backend ${new URL(url).host}`;
  }

  private async get(path: string, json: boolean): Promise<unknown> {
    // Under the base's path, keeping its query (a key may be there: ?key=…).
    const url = new URL(this.base);
    url.pathname += path;
    const res = await fetchBounded(
      url.href,
      { headers: { accept: json ? 'application/json' : 'text/plain' } },
      `GET /${path}`,
    );
    // Esplora says what is wrong in a short text (`Invalid Bitcoin address`); a long body is no message.
    if (res.status !== 200)
      throw new RpcInvalid(
        `HTTP ${res.status} to GET /${path}${res.text.length < 100 ? `: ${res.text.replace(/[^\x20-\x7e]/g, ' ')}` : ''}`,
      );
    if (!json) return res.text.trim();
    try {
      return JSON.parse(res.text) as unknown;
    } catch {
      throw new RpcInvalid(`the answer to GET /${path} is not JSON (is this an Esplora API?)`);
    }
  }

  async tip(): Promise<Tip> {
    const [h, hash] = await Promise.all([this.get('blocks/tip/height', false), this.get('blocks/tip/hash', false)]);
    if (!/^\d{1,9}$/.test(String(h)) || !TXID.test(String(hash)))
      throw new RpcInvalid('the chain tip is not a height and a block hash');
    this.tipHeight = Number(h);
    return { height: this.tipHeight, hash: String(hash) };
  }

  async genesis(): Promise<string> {
    const hash = String(await this.get('block-height/0', false));
    if (!TXID.test(hash)) throw new RpcInvalid('block 0 has no valid hash');
    return hash;
  }

  async address(address: string, previous: AddressView | undefined): Promise<AddressView> {
    const info = (await this.get(`address/${address}`, true)) as Json;
    const chain = stats(info?.chain_stats, 'chain_stats');
    const mempool = stats(info?.mempool_stats, 'mempool_stats');
    const tag = [chain.funded, chain.spent, chain.count, mempool.funded, mempool.spent, mempool.count].join(':');
    if (previous?.tag === tag) return previous;
    const view = {
      tag,
      used: chain.count + mempool.count > 0,
      confirmed: chain.funded - chain.spent,
      unconfirmed: mempool.funded - mempool.spent,
    };
    if (view.confirmed < 0n) throw new RpcInvalid(`${address} has spent more than it received`);
    if (!view.used) return { ...view, txs: [], complete: true };
    return { ...view, ...(await this.history(address, previous)) };
  }

  /** The newest transactions first: until the end, MAX_PAGES, or what the previous view settled. */
  private async history(
    address: string,
    previous: AddressView | undefined,
  ): Promise<{ txs: BtcTx[]; complete: boolean }> {
    const known = new Map(previous?.txs.map((t) => [t.txid, t]));
    const txs: BtcTx[] = [];
    let path = `address/${address}/txs`;
    for (let page = 0; page < MAX_PAGES; page++) {
      const list = await this.get(path, true);
      if (!Array.isArray(list) || list.length > PAGE + 50)
        throw new RpcInvalid(`GET /${path} did not answer a list of transactions`);
      const parsed = list.map((t) => parseTx(t as Json));
      txs.push(...parsed);
      const confirmed = parsed.filter((t) => t.height > 0);
      const settled = confirmed.find(
        (t) => known.get(t.txid)?.height === t.height && this.tipHeight - t.height >= SETTLED,
      );
      if (settled && previous) {
        const seen = new Set(txs.map((t) => t.txid));
        txs.push(...previous.txs.filter((t) => t.height > 0 && t.height <= settled.height && !seen.has(t.txid)));
        return { txs, complete: previous.complete };
      }
      if (confirmed.length < PAGE) return { txs, complete: true };
      path = `address/${address}/txs/chain/${confirmed[confirmed.length - 1]!.txid}`;
    }
    return { txs, complete: false };
  }

  close(): void {
    // nothing held between polls
  }
}

function stats(value: unknown, what: string): { funded: bigint; spent: bigint; count: number } {
  const s = value as Json | undefined;
  if (!s || typeof s !== 'object') throw new RpcInvalid(`the address has no ${what}`);
  const count = s.tx_count;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
    throw new RpcInvalid(`${what}.tx_count is not a count`);
  return {
    funded: sats(s.funded_txo_sum, `${what}.funded_txo_sum`),
    spent: sats(s.spent_txo_sum, `${what}.spent_txo_sum`),
    count,
  };
}

/**
 * What an address can look like (base58 or bech32: letters and digits). The backend's word for it
 * becomes a transfer's counterparty on the bus and in a notification: a NUL there failed
 * TransferReceived and every GetTransactions of the wallet from then on, escape sequences reached
 * terminals. Anything else is an address not known ('').
 */
const ADDRESS = /^[A-Za-z0-9]{1,100}$/;

function coin(o: Json | undefined, what: string): Coin {
  if (!o || typeof o !== 'object') throw new RpcInvalid(`${what} is missing`);
  const claimed = o.scriptpubkey_address;
  const address = typeof claimed === 'string' && ADDRESS.test(claimed) ? claimed : '';
  return { address, value: sats(o.value, `${what}.value`) };
}

function parseTx(t: Json): BtcTx {
  if (!t || typeof t !== 'object' || typeof t.txid !== 'string' || !TXID.test(t.txid))
    throw new RpcInvalid('a transaction without a valid txid');
  if (!Array.isArray(t.vin) || !Array.isArray(t.vout))
    throw new RpcInvalid(`transaction ${t.txid} has no inputs or outputs`);
  const status = t.status as Json | undefined;
  const confirmed = status?.confirmed === true;
  return {
    txid: t.txid,
    height: confirmed ? height(status.block_height, 'block_height') : 0,
    time: confirmed && typeof status.block_time === 'number' ? status.block_time : 0,
    inputs: (t.vin as Json[]).map((i) =>
      i?.is_coinbase ? { address: '', value: 0n } : coin(i?.prevout as Json, "an input's prevout"),
    ),
    outputs: (t.vout as Json[]).map((o) => coin(o, 'an output')),
  };
}
