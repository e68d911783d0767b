// A TEST SERVER, not ElectrumX/electrs: no Bitcoin node or indexer runs on these machines, so the
// wallet tests read the test chain (chain.ts) through this stand-in for the Electrum protocol 1.4
// as the ElectrumX docs describe it — newline-delimited JSON-RPC 2.0 over TCP (batches too),
// headers and script hash subscriptions with their notifications, history, balance, mempool and
// raw transactions. `mode` makes it misbehave: not JSON, a 50 MB line, no answer, negative or
// 10^80 amounts.
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { type Chain, HUGE, json, type Mode, type Out, type Placed, sats } from './chain.js';

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
const BAD_REQUEST = 1; // ElectrumX's codes for bad parameters and for what the daemon refuses
const DAEMON_ERROR = 2;

export function electrumServer(chain: Chain, mode: () => Mode): Server {
  let huge: Buffer | undefined;
  return createServer((sock) => {
    const subs = new Map<string, string | null>(); // script hash → last status sent
    let tip: string | undefined; // the tip last sent, once blockchain.headers.subscribe was called
    const send = (msg: unknown) => {
      const m = mode();
      if (m === 'silent') return;
      if (m === 'huge') sock.write((huge ??= Buffer.alloc(HUGE, '[')));
      else sock.write(m === 'garbage' ? '<html><body>502 Bad Gateway</body></html>\n' : `${json(msg)}\n`);
    };
    const notify = (method: string, params: unknown[]) => send({ jsonrpc: '2.0', method, params });
    const off = chain.onChange(() => {
      if (tip !== undefined && tip !== chain.tip.hash) {
        tip = chain.tip.hash;
        notify('blockchain.headers.subscribe', [header()]);
      }
      for (const [sh, last] of subs) {
        const now = status(sh);
        if (now !== last) notify('blockchain.scripthash.subscribe', [sh, now]);
        subs.set(sh, now);
      }
    });
    sock.on('close', off);
    sock.on('error', () => sock.destroy());

    const header = () => ({ height: chain.tip.height, hex: chain.tip.header.toString('hex') });
    const history = (sh: string): Placed[] => {
      const v = chain.view();
      const script = v.byScriptHash.get(sh);
      return script === undefined ? [] : v.history.get(script)!;
    };
    const height = (p: Placed) => p.height ?? (p.unconfirmedParent ? -1 : 0);
    const status = (sh: string) => {
      const h = history(sh);
      return h.length
        ? createHash('sha256')
            .update(h.map((p) => `${p.tx.id}:${height(p)}:`).join(''))
            .digest('hex')
        : null;
    };
    const entry = (p: Placed) => ({
      height: height(p),
      tx_hash: p.tx.id,
      ...(p.block ? {} : { fee: sats(mode(), p.fee) }),
    });
    /** What the confirmed (or the mempool) transactions add to and take from the script's coins. */
    const balance = (sh: string, confirmed: boolean) => {
      const script = chain.view().byScriptHash.get(sh);
      const sum = (outs: Out[]) => outs.reduce((s, o) => (o.script === script ? s + o.value : s), 0n);
      return sats(
        mode(),
        history(sh)
          .filter((p) => !!p.block === confirmed)
          .reduce((s, p) => s + sum(p.tx.outs) - sum(p.prevouts), 0n),
      );
    };

    const hash = (x: unknown) => {
      if (typeof x !== 'string' || !/^[0-9a-f]{64}$/.test(x))
        throw new RpcError(BAD_REQUEST, `${String(x)} should be a hash`);
      return x;
    };
    const methods: Record<string, (...p: unknown[]) => unknown> = {
      'server.version': () => ['TestElectrum 0', '1.4'],
      'server.ping': () => null,
      'blockchain.headers.subscribe': () => {
        tip = chain.tip.hash;
        return header();
      },
      'blockchain.block.header': (h) => {
        const b = Number.isInteger(h) ? chain.blocks[h as number] : undefined;
        if (!b) throw new RpcError(BAD_REQUEST, `height ${String(h)} out of range`);
        return b.header.toString('hex');
      },
      'blockchain.scripthash.subscribe': (sh) => {
        const s = status(hash(sh));
        subs.set(sh as string, s);
        return s;
      },
      'blockchain.scripthash.unsubscribe': (sh) => subs.delete(hash(sh)),
      'blockchain.scripthash.get_history': (sh) => history(hash(sh)).map(entry),
      'blockchain.scripthash.get_mempool': (sh) =>
        history(hash(sh))
          .filter((p) => !p.block)
          .map(entry),
      'blockchain.scripthash.get_balance': (sh) => ({
        confirmed: balance(hash(sh), true),
        unconfirmed: balance(sh as string, false),
      }),
      'blockchain.scripthash.listunspent': (sh) => {
        const v = chain.view();
        const script = v.byScriptHash.get(hash(sh));
        return [...v.utxos.values()]
          .filter((u) => u.script === script)
          .map((u) => ({
            tx_hash: u.txid,
            tx_pos: u.vout,
            height: height(v.txs.get(u.txid)!),
            value: sats(mode(), u.value),
          }));
      },
      'blockchain.transaction.get': (txid, verbose) => {
        const p = chain.view().txs.get(hash(txid));
        if (!p)
          throw new RpcError(
            DAEMON_ERROR,
            'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.',
          );
        if (!verbose) return p.tx.hex;
        return {
          txid: p.tx.id,
          hex: p.tx.hex,
          size: p.tx.size,
          vsize: Math.ceil(p.tx.weight / 4),
          weight: p.tx.weight,
          version: p.tx.version,
          locktime: p.tx.locktime,
          ...(p.block
            ? {
                blockhash: p.block.hash,
                confirmations: chain.tip.height - p.block.height + 1,
                time: p.block.time,
                blocktime: p.block.time,
              }
            : {}),
        };
      },
    };

    const call = (req: unknown) => {
      const {
        id = null,
        method,
        params = [],
      } = (typeof req === 'object' && req !== null ? req : {}) as { id?: unknown; method?: unknown; params?: unknown };
      try {
        const f = typeof method === 'string' && Object.hasOwn(methods, method) ? methods[method]! : undefined;
        if (!f) throw new RpcError(-32601, `unknown method "${String(method)}"`);
        if (!Array.isArray(params)) throw new RpcError(-32602, 'params must be an array');
        return { jsonrpc: '2.0', id, result: f(...(params as unknown[])) };
      } catch (err) {
        return {
          jsonrpc: '2.0',
          id,
          error: { code: err instanceof RpcError ? err.code : -32603, message: (err as Error).message },
        };
      }
    };
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (data: string) => {
      buf += data;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let req: unknown;
        try {
          req = JSON.parse(line);
        } catch {
          send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'invalid JSON' } });
          continue;
        }
        send(Array.isArray(req) ? req.map(call) : call(req));
      }
    });
  }).on('connection', (s: Socket) => s.setNoDelay(true));
}
