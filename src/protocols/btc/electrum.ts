/**
 * An Electrum server backend (ElectrumX, Fulcrum, electrs; protocol 1.4): JSON-RPC over TCP or
 * TLS, one line per message. The server pushes: a new tip (`blockchain.headers.subscribe`) and
 * any change to a watched script's history (`blockchain.scripthash.subscribe`), so the wallet
 * syncs when something happened, not on a timer. Transactions come raw and are parsed here
 * (@scure/btc-signer); what an input spent is read from the transaction it spends. Lines are
 * bounded, every request has a deadline, and the connection is retried with backoff.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { mapLimit } from '../../util/map-limit.js';
import { textOf } from '../../util/text.js';
import { RpcInvalid, RpcUnreachable } from '../common/backend-errors.js';
import { WALLET_RPC_TIMEOUT_MS as TIMEOUT_MS } from '../common/bounded-fetch.js';
import {
  MAX_MONEY,
  TXID,
  hash256,
  height,
  sats,
  type AddressView,
  type BackendListener,
  type BtcBackend,
  type BtcTx,
  type Tip,
} from './backend.js';
import { addressOf, btcSigner, scriptOf } from './keys.js';

const MAX_LINE = 8 * 1024 * 1024;
const MAX_HISTORY = 5000;
/** Parsed transactions kept, by the bytes they came in: a server cannot fill the memory. */
const CACHE_BYTES = 32 * 1024 * 1024;
const CACHE = 5000;
/** Larger than any standard transaction (400 000 weight units). */
const MAX_TX_BYTES = 400_000;
const PING_MS = 60_000;
const ZERO = '0'.repeat(64);

/** Electrum's name of a script: SHA-256 of the output script, bytes reversed, hex. */
export function electrumScriptHash(script: Uint8Array): string {
  return Buffer.from(createHash('sha256').update(script).digest()).reverse().toString('hex');
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}
interface RawTx {
  inputs: { txid: string; index: number }[];
  outputs: { script: Uint8Array; value: bigint }[];
  bytes: number;
}

export class ElectrumBackend implements BtcBackend {
  readonly name: string;
  private socket: net.Socket | undefined;
  private ready: Promise<void> | undefined;
  /** The pieces of a line not complete yet, and their length. */
  private pieces: string[] = [];
  private pieceLength = 0;
  private rawBytes = 0;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly raw = new Map<string, RawTx>();
  private readonly times = new Map<number, number>();
  private tipNow: Tip | undefined;
  private backoff = 1000;
  private retry: NodeJS.Timeout | undefined;
  private ping: NodeJS.Timeout | undefined;
  private closed = false;
  /** Why we dropped the connection (nonsense, silence), for the wallet's status. */
  private failure: Error | undefined;
  /** The socket's last error code, for the message. */
  private cause: string | undefined;

  constructor(
    private readonly url: URL,
    private readonly network: string,
    private readonly listener: BackendListener,
  ) {
    this.name = `Electrum server ${url.host}`;
  }

  /** Connects (once at a time) and subscribes to new tips. */
  private connect(): Promise<void> {
    if (this.closed) return Promise.reject(new RpcUnreachable('is closed'));
    this.ready ??= new Promise<void>((resolve, reject) => {
      const port = Number(this.url.port) || (this.url.protocol === 'ssl:' ? 50002 : 50001);
      const host = this.url.hostname.replace(/^\[|\]$/g, '');
      const socket =
        this.url.protocol === 'tcp:'
          ? net.connect({ host, port })
          : tls.connect({ host, port, servername: net.isIP(host) ? undefined : host });
      this.socket = socket;
      socket.setEncoding('utf8');
      socket.setKeepAlive(true, 30_000);
      socket.setTimeout(TIMEOUT_MS, () => {
        if (!this.tipNow) socket.destroy(new RpcUnreachable(`did not answer within ${TIMEOUT_MS / 1000} s`));
      });
      socket.on('data', (chunk: string) => this.received(chunk));
      socket.on('error', (err: NodeJS.ErrnoException) => (this.cause = err.code ?? err.name)); // 'close' follows
      socket.on('close', () => this.dropped(socket, reject));
      socket.once(this.url.protocol === 'tcp:' ? 'connect' : 'secureConnect', () => {
        socket.setTimeout(0);
        this.request('server.version', ['px-accounts', '1.4'])
          .then(() => this.request('blockchain.headers.subscribe', []))
          .then(
            (h) => {
              this.tipNow = header(h);
              this.backoff = 1000;
              this.ping = setInterval(
                () => void this.request('server.ping', []).catch(() => undefined),
                PING_MS,
              ).unref();
              resolve();
            },
            (err: Error) => {
              socket.destroy();
              reject(err);
            },
          );
      });
    });
    return this.ready;
  }

  private dropped(socket: net.Socket, reject: (e: Error) => void): void {
    if (this.socket !== socket) return;
    // Nonsense from the server is why it ended, for every request waiting too.
    const err =
      this.failure ??
      new RpcUnreachable(this.tipNow ? 'closed the connection' : `cannot be reached (${this.cause ?? 'closed'})`);
    this.cause = undefined;
    this.failure = undefined;
    this.socket = undefined;
    this.ready = undefined;
    this.tipNow = undefined;
    this.pieces = [];
    this.pieceLength = 0;
    clearInterval(this.ping);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    reject(err);
    if (this.closed) return;
    this.listener.lost(err);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.connect().then(
        () => this.listener.changed(),
        () => undefined,
      );
    }, this.backoff).unref();
    this.backoff = Math.min(this.backoff * 2, 30_000);
  }

  /** A server that speaks nonsense: the wallet says so, and the connection starts over. */
  private broken(err: Error): void {
    this.failure = err;
    this.socket?.destroy();
  }

  /** Lines are looked for in each new chunk only: a server trickling a long line costs linear time. */
  private received(chunk: string): void {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      const line = (this.pieces.length ? this.pieces.join('') + chunk.slice(start, nl) : chunk.slice(start, nl)).trim();
      this.pieces = [];
      this.pieceLength = 0;
      start = nl + 1;
      if (line && !this.handle(line)) return;
    }
    if (start < chunk.length) {
      this.pieces.push(chunk.slice(start));
      this.pieceLength += chunk.length - start;
      if (this.pieceLength > MAX_LINE)
        this.broken(new RpcInvalid(`sent a message longer than ${MAX_LINE / 1024 / 1024} MB`));
    }
  }

  /** One message; false when the server proved it speaks nonsense (the connection is over). */
  private handle(line: string): boolean {
    let m: { id?: unknown; result?: unknown; error?: { message?: unknown }; method?: unknown; params?: unknown };
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      this.broken(new RpcInvalid('sent something that is not JSON (is this an Electrum server?)'));
      return false;
    }
    if (typeof m !== 'object' || m === null) {
      this.broken(new RpcInvalid('sent a message that is not an object'));
      return false;
    }
    if (typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      if (!p) return true;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) p.reject(new RpcInvalid(textOf(m.error.message, 'error').slice(0, 200)));
      else p.resolve(m.result);
    } else if (m.method === 'blockchain.headers.subscribe' || m.method === 'blockchain.scripthash.subscribe') {
      this.listener.changed();
    }
    return true;
  }

  private request(method: string, params: unknown[]): Promise<unknown> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new RpcUnreachable('is not connected'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const err = new RpcUnreachable(`did not answer ${method} within ${TIMEOUT_MS / 1000} s`);
        reject(err);
        // A server that stopped answering (or a connection that died quietly) is connected to afresh.
        if (this.socket === socket) {
          this.failure ??= err;
          socket.destroy();
        }
      }, TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      socket.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  private async call(method: string, params: unknown[]): Promise<unknown> {
    await this.connect();
    return this.request(method, params);
  }

  async tip(): Promise<Tip> {
    await this.connect();
    // The subscription's answer, then its notifications, keep the tip current; ask anyway, as
    // the notification may be on its way.
    this.tipNow = header(await this.request('blockchain.headers.subscribe', []));
    return this.tipNow;
  }

  async genesis(): Promise<string> {
    return header(await this.call('blockchain.block.header', [0]), 0).hash;
  }

  async address(address: string, previous: AddressView | undefined): Promise<AddressView> {
    const sh = electrumScriptHash(scriptOf(address, this.network));
    const status = await this.call('blockchain.scripthash.subscribe', [sh]);
    if (status !== null && (typeof status !== 'string' || !/^[0-9a-f]{64}$/.test(status)))
      throw new RpcInvalid('a script status that is not a hash');
    const tag = status ?? '';
    if (previous?.tag === tag) return previous;
    if (status === null) return { tag, used: false, confirmed: 0n, unconfirmed: 0n, txs: [], complete: true };
    const [history, balance] = await Promise.all([
      this.call('blockchain.scripthash.get_history', [sh]),
      this.call('blockchain.scripthash.get_balance', [sh]),
    ]);
    if (!Array.isArray(history) || history.length > MAX_HISTORY * 4)
      throw new RpcInvalid('get_history did not answer a list');
    const b = balance as { confirmed?: unknown; unconfirmed?: unknown } | null;
    const confirmed = sats(b?.confirmed, 'the confirmed balance');
    const unconfirmed = sats(b?.unconfirmed, 'the unconfirmed balance', true);
    // The newest only, when the history is longer than a wallet reads.
    const entries = history.slice(-MAX_HISTORY) as { tx_hash?: unknown; height?: unknown }[];
    // What did not move (same transaction, same height) is taken from the previous view as it is.
    const before = new Map(previous?.txs.map((t) => [`${t.txid}:${t.height}`, t]));
    const txs = await mapLimit(
      entries,
      8,
      async (e): Promise<BtcTx> =>
        before.get(`${String(e?.tx_hash)}:${Math.max(0, Number(e?.height))}`) ?? this.transaction(e),
    );
    return { tag, used: true, confirmed, unconfirmed, txs, complete: entries.length === history.length };
  }

  private async transaction(e: { tx_hash?: unknown; height?: unknown }): Promise<BtcTx> {
    if (typeof e?.tx_hash !== 'string' || !TXID.test(e.tx_hash))
      throw new RpcInvalid('a history entry without a valid tx_hash');
    if (typeof e.height !== 'number' || !Number.isSafeInteger(e.height) || e.height < -1)
      throw new RpcInvalid('a history entry without a valid height');
    const at = Math.max(0, height(Math.max(0, e.height), "a history entry's height"));
    const tx = await this.rawTx(e.tx_hash);
    const inputs = await mapLimit(tx.inputs, 4, async (i) => {
      if (i.txid === ZERO) return { address: '', value: 0n }; // a coinbase
      const prev = (await this.rawTx(i.txid)).outputs[i.index];
      if (!prev) throw new RpcInvalid(`transaction ${e.tx_hash as string} spends an output that does not exist`);
      return { address: addressOf(prev.script, this.network), value: prev.value };
    });
    return {
      txid: e.tx_hash,
      height: at,
      time: at > 0 ? await this.blockTime(at) : 0,
      inputs,
      outputs: tx.outputs.map((o) => ({ address: addressOf(o.script, this.network), value: o.value })),
    };
  }

  /** A transaction, parsed; checked against its id (a server cannot swap one for another). */
  private async rawTx(txid: string): Promise<RawTx> {
    const cached = this.raw.get(txid);
    if (cached) return cached;
    const hex = await this.call('blockchain.transaction.get', [txid, false]);
    if (typeof hex !== 'string' || hex.length > 2 * MAX_TX_BYTES)
      throw new RpcInvalid(`transaction ${txid} is not a transaction of at most ${MAX_TX_BYTES} bytes`);
    if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new RpcInvalid(`transaction ${txid} is not hex`);
    let tx: InstanceType<ReturnType<typeof btcSigner>['Transaction']>;
    try {
      tx = btcSigner().Transaction.fromRaw(Buffer.from(hex, 'hex'), {
        allowUnknownInputs: true,
        allowUnknownOutputs: true,
        disableScriptCheck: true,
        allowLegacyWitnessUtxo: true,
      });
    } catch (err) {
      throw new RpcInvalid(`transaction ${txid} does not parse (${(err as Error).message.slice(0, 80)})`);
    }
    if (tx.id !== txid) throw new RpcInvalid(`the server answered another transaction for ${txid}`);
    const parsed: RawTx = { inputs: [], outputs: [], bytes: hex.length / 2 };
    for (let i = 0; i < tx.inputsLength; i++) {
      const input = tx.getInput(i);
      parsed.inputs.push({ txid: Buffer.from(input.txid!).toString('hex'), index: input.index! });
    }
    for (let i = 0; i < tx.outputsLength; i++) {
      const output = tx.getOutput(i);
      if (output.amount! > MAX_MONEY) throw new RpcInvalid(`transaction ${txid} pays more than 21 million coins`);
      parsed.outputs.push({ script: output.script!, value: output.amount! });
    }
    // The oldest go first, by count and by bytes.
    while (this.raw.size > 0 && (this.raw.size >= CACHE || this.rawBytes + parsed.bytes > CACHE_BYTES)) {
      const [oldest, entry] = this.raw.entries().next().value!;
      this.raw.delete(oldest);
      this.rawBytes -= entry.bytes;
    }
    this.raw.set(txid, parsed);
    this.rawBytes += parsed.bytes;
    return parsed;
  }

  private async blockTime(at: number): Promise<number> {
    const cached = this.times.get(at);
    if (cached !== undefined) return cached;
    const hex = await this.call('blockchain.block.header', [at]);
    const time = Buffer.from(header(hex, at).hex, 'hex').readUInt32LE(68);
    if (this.times.size >= CACHE) this.times.delete(this.times.keys().next().value!);
    this.times.set(at, time);
    return time;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.ping);
    this.socket?.destroy();
  }
}

/** A block header as the server gives it (`{height, hex}` or the hex alone), checked. */
function header(value: unknown, at?: number): Tip & { hex: string } {
  const v = (typeof value === 'string' ? { hex: value, height: at } : value) as {
    hex?: unknown;
    height?: unknown;
  } | null;
  if (typeof v?.hex !== 'string' || !/^[0-9a-f]{160}$/i.test(v.hex))
    throw new RpcInvalid('a block header that is not 80 bytes of hex');
  return { height: height(v.height, "the tip's height"), hash: hash256(Buffer.from(v.hex, 'hex')), hex: v.hex };
}
