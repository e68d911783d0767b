// The Bitcoin peers of the wallet tests: one test chain (chain.ts) read through two TEST SERVERS
// of our own, an Esplora REST one (esplora.ts) and an Electrum protocol one (electrum.ts), both
// on 127.0.0.1 — not electrs/Esplora/ElectrumX, none of which runs on these machines.
import type { AddressInfo, Server, Socket } from 'node:net';
import { Chain, type Mode, REGTEST } from './chain.js';
import { electrumServer } from './electrum.js';
import { esploraServer } from './esplora.js';

export { REGTEST };

export interface TestBitcoin {
  /** 'http://127.0.0.1:P': the Esplora REST base; /blocks/tip/height and the others directly under it. */
  readonly esploraUrl: string;
  /** 'tcp://127.0.0.1:Q' */
  readonly electrumUrl: string;
  /** The tip's height. */
  readonly height: number;
  /** A payment from the chain's own faucet (a P2WPKH key generated at start, funded by coinbase outputs) to any regtest address(es); into the mempool; returns the txid. */
  pay(outputs: Array<{ address: string; sats: bigint }>): string;
  /** Spends UTXOs of the P2WPKH key `fromKey` to `to`, change (if any) back to the key's own address or `change`; fee default 1000 sats; into the mempool; returns the txid. */
  send(fromKey: Uint8Array, to: string, sats: bigint, options?: { change?: string; fee?: bigint }): string;
  /** Mines `n` (default 1) blocks; the first takes the whole mempool; returns the new tip height. */
  mine(n?: number): number;
  /** Replaces the newest `depth` blocks by depth+1 new ones: the txids in `drop` vanish (not confirmed, not in the mempool); the other transactions of the replaced blocks are confirmed again in the first new block. */
  reorg(depth: number, drop?: string[]): void;
  /** Drops a mempool transaction (expired or replaced). */
  evict(txid: string): void;
  /** How both servers answer from now on. */
  mode: Mode;
  /** Closes both servers (connections dropped); start() opens them again on the same ports. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Blocks at start: 120 coinbases, the first 21 of them mature (spendable by the faucet at once). */
const INITIAL_BLOCKS = 120;

/** Listens on `port` (0: a free one) and destroys its connections on close. */
function listening(server: Server, port: number) {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    port,
    async open() {
      await new Promise<void>((resolve, reject) =>
        server.once('error', reject).listen(this.port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        }),
      );
      this.port = (server.address() as AddressInfo).port;
    },
    async close() {
      if (!server.listening) return;
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

export async function startTestBitcoin(): Promise<TestBitcoin> {
  const chain = new Chain(INITIAL_BLOCKS);
  const mode = () => peer.mode;
  const esplora = listening(esploraServer(chain, mode), 0);
  const electrum = listening(electrumServer(chain, mode), 0);
  const peer: TestBitcoin = {
    get esploraUrl() {
      return `http://127.0.0.1:${esplora.port}`;
    },
    get electrumUrl() {
      return `tcp://127.0.0.1:${electrum.port}`;
    },
    get height() {
      return chain.tip.height;
    },
    mode: 'normal',
    pay: (outputs) => chain.spend(chain.faucetKey, outputs),
    send: (key, to, sats, options = {}) => chain.spend(key, [{ address: to, sats }], options.fee, options.change),
    mine: (n = 1) => chain.mine(n),
    reorg: (depth, drop = []) => chain.reorg(depth, drop),
    evict: (txid) => chain.evict(txid),
    async start() {
      await esplora.open();
      await electrum.open();
    },
    async stop() {
      await Promise.all([esplora.close(), electrum.close()]);
    },
  };
  await peer.start();
  return peer;
}
