/**
 * One rippled WebSocket connection per URL, shared by every XRP wallet watched through it:
 * requests with ids and a deadline, the `transaction` stream handed to the wallets of the
 * accounts it names, and reconnection with backoff (wallets re-sync when it is back). Messages
 * are bounded in size; what is not JSON is a protocol error, not a crash.
 */
import { createRequire } from 'node:module';
import type WebSocketType from 'ws';
import { RpcInvalid, RpcUnreachable } from '../common/backend-errors.js';
import { WALLET_RPC_TIMEOUT_MS as TIMEOUT_MS } from '../common/bounded-fetch.js';
import { textOf } from '../../util/text.js';

// ws takes ~75 ms to load: with the first XRP wallet, not at start-up.
let WebSocketClass: typeof WebSocketType | undefined;
/** A WebSocket message as UTF-8 text (ws hands a Buffer, an ArrayBuffer or a list of fragments). */
export const wsText = (data: WebSocketType.RawData): string =>
  (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');

export const webSocket = (): typeof WebSocketType =>
  (WebSocketClass ??= createRequire(import.meta.url)('ws') as typeof WebSocketType);

const MAX_MESSAGE = 8 * 1024 * 1024;

export interface XrplListener {
  /** The connection is (again) up: subscribe and sync. */
  connected(): void;
  /** It went down or failed: the status to show. */
  lost(err: Error): void;
  /** A validated transaction that names the listener's account. */
  transaction(message: Record<string, unknown>): void;
}

const connections = new Map<string, XrplConnection>();

export class XrplConnection {
  private ws: WebSocketType | undefined;
  private open = false;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private readonly listeners = new Map<XrplListener, string>();
  private retry: NodeJS.Timeout | undefined;
  private backoff = 1000;
  private closed = false;
  /** Why the connection is being dropped (nonsense from the server), for the wallets' status. */
  private failure: Error | undefined;

  private constructor(readonly url: string) {}

  static of(url: string): XrplConnection {
    let c = connections.get(url);
    if (!c) connections.set(url, (c = new XrplConnection(url)));
    return c;
  }

  add(l: XrplListener, account: string): void {
    this.listeners.set(l, account);
    if (this.open) l.connected();
    else this.connect();
  }

  remove(l: XrplListener): void {
    this.listeners.delete(l);
    if (this.listeners.size) return;
    this.closed = true;
    clearTimeout(this.retry);
    this.ws?.terminate();
    connections.delete(this.url);
  }

  private connect(): void {
    if (this.ws || this.closed) return;
    const ws = new (webSocket())(this.url, { maxPayload: MAX_MESSAGE, handshakeTimeout: TIMEOUT_MS });
    this.ws = ws;
    ws.on('open', () => {
      this.open = true;
      this.backoff = 1000;
      for (const l of this.listeners.keys()) l.connected();
    });
    ws.on('message', (data) => this.received(wsText(data)));
    ws.on('error', () => undefined); // 'close' follows and says what happened
    ws.on('close', (code) => {
      const was = this.open;
      this.ws = undefined;
      this.open = false;
      const err = this.failure ?? new RpcUnreachable(was ? `closed the connection (${code})` : 'cannot be reached');
      this.failure = undefined;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
      if (this.closed) return;
      for (const l of this.listeners.keys()) l.lost(err);
      this.retry = setTimeout(() => this.connect(), this.backoff);
      this.retry.unref();
      this.backoff = Math.min(this.backoff * 2, 30_000);
    });
  }

  private received(text: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.broken(new RpcInvalid('the server sent something that is not JSON'));
    }
    if (typeof m !== 'object' || m === null)
      return this.broken(new RpcInvalid('the server sent a message that is not an object'));
    if (m.type === 'response' && typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.status === 'success' && typeof m.result === 'object' && m.result !== null)
        p.resolve(m.result as Record<string, unknown>);
      else
        p.reject(
          Object.assign(
            new RpcInvalid(`${textOf(m.error, 'error').slice(0, 80)}: ${textOf(m.error_message).slice(0, 200)}`),
            { code: m.error },
          ),
        );
      return;
    }
    if (m.type === 'transaction' && m.validated === true) {
      const tx = (m.transaction ?? m.tx_json) as Record<string, unknown> | undefined;
      for (const [l, account] of this.listeners)
        if (tx && (tx.Account === account || tx.Destination === account)) l.transaction(m);
    }
  }

  /** A server that speaks nonsense: every wallet says so, and the connection starts over. */
  private broken(err: Error): void {
    this.failure = err;
    this.ws?.terminate();
  }

  request(command: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!this.open || !this.ws) return Promise.reject(new RpcUnreachable('is not connected'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcUnreachable(`did not answer ${command} within ${TIMEOUT_MS / 1000} s`));
      }, TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws!.send(JSON.stringify({ id, command, ...params }));
    });
  }
}
