// A TEST SERVER, not rippled: no XRP Ledger node runs on these machines (none in Debian or npm),
// so the wallet tests talk to this stand-in. It speaks rippled's WebSocket API in the shapes
// xrpl.js documents — requests {id, command, ...} answered {id, type: 'response', status,
// result | error}, account_info, account_lines and account_tx (paged with a marker), subscribe and the
// `transaction` stream of validated payments with meta.delivered_amount — over a ledger of its
// own that only moves when a test pays.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

const wsText = (data: RawData): string =>
  (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');

/** Seconds between the Unix epoch and the XRP Ledger's (2000-01-01). */
const RIPPLE_EPOCH = 946_684_800;

interface Tx {
  tx: Record<string, unknown>;
  meta: Record<string, unknown>;
  ledger: number;
}

export interface TestRippled {
  readonly url: string;
  /** Funds an account (drops). */
  fund(account: string, drops: bigint): void;
  /** Sets what `account` holds of an issued currency (a trust line to `issuer`); '' removes the line. */
  trust(account: string, currency: string, issuer: string, balance: string): void;
  /** A validated payment; `delivered` differs from `amount` for a partial payment. */
  pay(
    from: string,
    to: string,
    amount: bigint,
    options?: { delivered?: bigint; tag?: number; quiet?: boolean },
  ): string;
  /** What the next answers are: `garbage` is not JSON. */
  mode: 'normal' | 'garbage';
  /** Closes the server (connections drop); start() opens it again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startTestRippled(): Promise<TestRippled> {
  const balances = new Map<string, bigint>();
  const lines = new Map<string, Array<{ account: string; currency: string; balance: string }>>();
  const txs: Tx[] = [];
  const subscribers = new Map<WebSocket, Set<string>>();
  let ledger = 1000;
  let server: WebSocketServer | undefined;
  let port = 0;

  const answer = (ws: WebSocket, id: unknown, result: unknown, error?: string) => {
    if (peer.mode === 'garbage') return ws.send('<html>not json');
    ws.send(
      JSON.stringify(
        error
          ? {
              id,
              type: 'response',
              status: 'error',
              error,
              error_message: error === 'actNotFound' ? 'Account not found.' : error,
            }
          : { id, type: 'response', status: 'success', result },
      ),
    );
  };

  const handle = (ws: WebSocket, m: Record<string, unknown>) => {
    const account = typeof m.account === 'string' ? m.account : '';
    switch (m.command) {
      case 'subscribe':
        for (const a of (m.accounts as string[] | undefined) ?? []) subscribers.get(ws)!.add(a);
        return answer(ws, m.id, {});
      case 'account_info':
        if (!balances.has(account)) return answer(ws, m.id, null, 'actNotFound');
        return answer(ws, m.id, {
          account_data: { Account: account, Balance: String(balances.get(account)) },
          ledger_index: ledger,
          validated: m.ledger_index === 'validated',
        });
      case 'account_lines': {
        if (!balances.has(account)) return answer(ws, m.id, null, 'actNotFound');
        const all = lines.get(account) ?? [];
        const start = Number(m.marker ?? 0);
        const limit = Number(m.limit ?? 200);
        return answer(ws, m.id, {
          account,
          lines: all
            .slice(start, start + limit)
            .map((l) => ({ ...l, limit: '1000000', limit_peer: '0', quality_in: 0, quality_out: 0 })),
          ...(start + limit < all.length ? { marker: start + limit } : {}),
        });
      }
      case 'account_tx': {
        if (!balances.has(account)) return answer(ws, m.id, null, 'actNotFound');
        const min = Number(m.ledger_index_min ?? -1);
        let mine = txs.filter(
          (t) => (t.tx.Account === account || t.tx.Destination === account) && (min < 0 || t.ledger >= min),
        );
        if (!m.forward) mine = mine.reverse();
        const start = Number(m.marker ?? 0);
        const limit = Number(m.limit ?? 200);
        const page = mine.slice(start, start + limit);
        return answer(ws, m.id, {
          account,
          transactions: page.map((t) => ({ tx: { ...t.tx, ledger_index: t.ledger }, meta: t.meta, validated: true })),
          ...(start + limit < mine.length ? { marker: start + limit } : {}),
        });
      }
      default:
        return answer(ws, m.id, null, 'unknownCmd');
    }
  };

  const peer: TestRippled = {
    url: '',
    mode: 'normal',
    trust(account, currency, issuer, balance) {
      const rest = (lines.get(account) ?? []).filter((l) => !(l.account === issuer && l.currency === currency));
      lines.set(account, balance === '' ? rest : [...rest, { account: issuer, currency, balance }]);
    },
    fund(account, drops) {
      balances.set(account, (balances.get(account) ?? 0n) + drops);
    },
    pay(from, to, amount, options = {}) {
      const delivered = options.delivered ?? amount;
      const hash = randomBytes(32).toString('hex').toUpperCase();
      ledger++;
      balances.set(from, (balances.get(from) ?? 0n) - delivered - 12n);
      balances.set(to, (balances.get(to) ?? 0n) + delivered);
      const tx = {
        TransactionType: 'Payment',
        Account: from,
        Destination: to,
        Amount: String(amount),
        Fee: '12',
        hash,
        date: Math.floor(Date.now() / 1000) - RIPPLE_EPOCH,
        ...(options.tag !== undefined ? { DestinationTag: options.tag } : {}),
        ...(delivered !== amount ? { Flags: 0x00020000 } : {}), // tfPartialPayment
      };
      const meta = { TransactionResult: 'tesSUCCESS', delivered_amount: String(delivered), TransactionIndex: 0 };
      txs.push({ tx, meta, ledger });
      if (!options.quiet) {
        for (const [ws, accounts] of subscribers) {
          if (accounts.has(from) || accounts.has(to)) {
            ws.send(
              JSON.stringify({
                type: 'transaction',
                validated: true,
                engine_result: 'tesSUCCESS',
                ledger_index: ledger,
                transaction: tx,
                meta,
              }),
            );
          }
        }
      }
      return hash;
    },
    async start() {
      server = new WebSocketServer({ host: '127.0.0.1', port });
      await new Promise<void>((r) => server!.once('listening', () => r()));
      port = (server.address() as AddressInfo).port;
      (peer as { url: string }).url = `ws://127.0.0.1:${port}/`;
      server.on('connection', (ws) => {
        subscribers.set(ws, new Set());
        ws.on('close', () => subscribers.delete(ws));
        ws.on('message', (data) => {
          try {
            handle(ws, JSON.parse(wsText(data)) as Record<string, unknown>);
          } catch {
            ws.close();
          }
        });
      });
    },
    async stop() {
      if (!server) return;
      for (const ws of server.clients) ws.terminate();
      await new Promise((r) => server!.close(r));
      server = undefined;
    },
  };
  await peer.start();
  return peer;
}
