// A TEST SERVER, not electrs/Esplora: no Bitcoin node or indexer runs on these machines, so the
// wallet tests read the test chain (chain.ts) through this stand-in for the Esplora REST API in
// the shapes Blockstream's API.md documents — blocks, addresses with chain_stats/mempool_stats,
// address transactions paged by last seen txid, transactions with their prevouts and status.
// `mode` makes it misbehave: not JSON, a 50 MB body, no answer, negative or 10^80 amounts.
import { createServer, type Server } from 'node:http';
import {
  describe,
  type Block,
  type Chain,
  HUGE,
  json,
  type Mode,
  type Out,
  type Placed,
  sats,
  scriptOf,
} from './chain.js';

const TYPES: Record<string, string> = {
  pkh: 'p2pkh',
  sh: 'p2sh',
  wpkh: 'v0_p2wpkh',
  wsh: 'v0_p2wsh',
  tr: 'v1_p2tr',
  pk: 'p2pk',
  ms: 'multisig',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function esploraServer(chain: Chain, mode: () => Mode): Server {
  let huge: Buffer | undefined;
  const amount = (v: bigint) => sats(mode(), v);

  const out = (o: Out) => {
    const { type, address } = describe(o.script);
    const kind = o.script.startsWith('6a') ? 'op_return' : (TYPES[type] ?? 'unknown');
    return {
      scriptpubkey: o.script,
      scriptpubkey_type: kind,
      ...(address ? { scriptpubkey_address: address } : {}),
      value: amount(o.value),
    };
  };
  const status = (p: Placed) =>
    p.block
      ? { confirmed: true, block_height: p.block.height, block_hash: p.block.hash, block_time: p.block.time }
      : { confirmed: false };
  const tx = (p: Placed) => ({
    txid: p.tx.id,
    version: p.tx.version,
    locktime: p.tx.locktime,
    size: p.tx.size,
    weight: p.tx.weight,
    fee: amount(p.fee),
    vin: p.tx.ins.map((i, n) => ({
      txid: i.txid,
      vout: i.vout,
      prevout: p.tx.coinbase ? null : out(p.prevouts[n]!),
      scriptsig: i.scriptSig,
      ...(i.witness.length ? { witness: i.witness } : {}), // Esplora leaves an empty witness out
      is_coinbase: p.tx.coinbase,
      sequence: i.sequence,
    })),
    vout: p.tx.outs.map(out),
    status: status(p),
  });
  const block = (b: Block) => ({
    id: b.hash,
    height: b.height,
    version: b.header.readUInt32LE(0),
    timestamp: b.time,
    tx_count: b.txs.length,
    size: b.size,
    weight: b.weight,
    merkle_root: Buffer.from(b.header.subarray(36, 68)).reverse().toString('hex'),
    previousblockhash: chain.blocks[b.height - 1]?.hash ?? null,
    mediantime: median(chain.blocks.slice(Math.max(0, b.height - 10), b.height + 1).map((x) => x.time)),
    nonce: b.header.readUInt32LE(76),
    bits: b.header.readUInt32LE(72),
    difficulty: 4.656542373906925e-10,
  });
  const findBlock = (hash: string) => chain.blocks.find((b) => b.hash === hash) ?? raise(404, 'Block not found');
  const findTx = (txid: string) => chain.view().txs.get(txid) ?? raise(404, 'Transaction not found');

  /** The address's transactions: mempool newest first, confirmed newest first. */
  const addressTxs = (address: string) => {
    let script: string;
    try {
      script = scriptOf(address);
    } catch (err) {
      raise(400, `Invalid Bitcoin address: ${(err as Error).message}`);
    }
    const all = chain.view().history.get(script) ?? [];
    return { script, mempool: all.filter((p) => !p.block).reverse(), confirmed: all.filter((p) => p.block).reverse() };
  };
  const stats = (script: string, list: Placed[]) => {
    const funded = list.flatMap((p) => p.tx.outs.filter((o) => o.script === script));
    const spent = list.flatMap((p) => p.prevouts.filter((o) => o.script === script));
    const sum = (os: Out[]) => amount(os.reduce((s, o) => s + o.value, 0n));
    return {
      funded_txo_count: funded.length,
      funded_txo_sum: sum(funded),
      spent_txo_count: spent.length,
      spent_txo_sum: sum(spent),
      tx_count: list.length,
    };
  };

  const routes: Array<[RegExp, (m: string[]) => unknown]> = [
    [/^\/blocks\/tip\/height$/, () => String(chain.tip.height)],
    [/^\/blocks\/tip\/hash$/, () => chain.tip.hash],
    [/^\/block-height\/(\d+)$/, ([h]) => chain.blocks[Number(h)]?.hash ?? raise(404, 'Block not found')],
    [/^\/block\/(\w+)$/, ([h]) => block(findBlock(h!))],
    [/^\/block\/(\w+)\/header$/, ([h]) => findBlock(h!).header.toString('hex')],
    [/^\/block\/(\w+)\/txids$/, ([h]) => findBlock(h!).txs.map((t) => t.id)],
    [
      /^\/address\/(\w+)$/,
      ([a]) => {
        const { script, mempool, confirmed } = addressTxs(a!);
        return { address: a, chain_stats: stats(script, confirmed), mempool_stats: stats(script, mempool) };
      },
    ],
    [
      /^\/address\/(\w+)\/txs$/,
      ([a]) => {
        const { mempool, confirmed } = addressTxs(a!);
        return [...mempool.slice(0, 50), ...confirmed.slice(0, 25)].map(tx);
      },
    ],
    [
      /^\/address\/(\w+)\/txs\/chain(?:\/(\w+))?$/,
      ([a, last]) => {
        const { confirmed } = addressTxs(a!);
        const seen = last === undefined ? -1 : confirmed.findIndex((p) => p.tx.id === last);
        return (seen === -1 && last !== undefined ? [] : confirmed.slice(seen + 1, seen + 26)).map(tx);
      },
    ],
    [/^\/address\/(\w+)\/txs\/mempool$/, ([a]) => addressTxs(a!).mempool.slice(0, 50).map(tx)],
    [
      /^\/address\/(\w+)\/utxo$/,
      ([a]) => {
        const { script } = addressTxs(a!);
        const v = chain.view();
        return [...v.utxos.values()]
          .filter((u) => u.script === script)
          .map((u) => ({ txid: u.txid, vout: u.vout, status: status(v.txs.get(u.txid)!), value: amount(u.value) }));
      },
    ],
    [/^\/tx\/(\w+)$/, ([t]) => tx(findTx(t!))],
    [/^\/tx\/(\w+)\/hex$/, ([t]) => findTx(t!).tx.hex],
    [/^\/tx\/(\w+)\/status$/, ([t]) => status(findTx(t!))],
  ];

  return createServer((req, res) => {
    const m = mode();
    if (m === 'silent') return; // the socket stays open until the client gives up or stop()
    if (m === 'huge')
      return res.writeHead(200, { 'content-type': 'application/json' }).end((huge ??= Buffer.alloc(HUGE, '[')));
    if (m === 'garbage')
      return res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let status = 200;
    let body: unknown;
    try {
      const route = req.method === 'GET' ? routes.find(([re]) => re.test(path)) : undefined;
      body = route ? route[1](route[0].exec(path)!.slice(1)) : raise(404, 'Not Found');
    } catch (err) {
      [status, body] = [err instanceof HttpError ? err.status : 500, (err as Error).message];
    }
    const text = typeof body === 'string';
    res.writeHead(status, { 'content-type': text ? 'text/plain' : 'application/json' }).end(text ? body : json(body));
  });
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;

function raise(status: number, message: string): never {
  throw new HttpError(status, message);
}
