// The Bitcoin test chain behind the Esplora and Electrum TEST SERVERS (esplora.ts, electrum.ts):
// regtest blocks with real 80-byte headers and real transactions built and signed by
// @scure/btc-signer, a mempool, and no proof of work, fees rules or script checks — it trusts
// itself. Everything is recomputed from the blocks and the mempool (view()) after each change:
// the chains of the tests are a few hundred transactions at most.
import { createHash, randomBytes } from 'node:crypto';
import { Address, OutScript, p2wpkh, Script, Transaction } from '@scure/btc-signer';
import { pubECDSA } from '@scure/btc-signer/utils.js';

export const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef } as const;

const SUBSIDY = 50_0000_0000n; // regtest halves it every 150 blocks; the tests never get there
const MATURITY = 100;
const OPTS = { allowUnknownInputs: true, allowUnknownOutputs: true, allowUnknownVersion: true };

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();
export const sha256d = (b: Uint8Array) => sha256(sha256(b));
/** Bitcoin shows hashes byte-reversed. */
export const rev = (b: Uint8Array) => Buffer.from(b).reverse();
/** Electrum's script hash: SHA-256 of the output script, reversed. */
export const scriptHash = (scriptHex: string) => rev(sha256(Buffer.from(scriptHex, 'hex'))).toString('hex');

export function scriptOf(address: string): string {
  return Buffer.from(OutScript.encode(Address(REGTEST).decode(address))).toString('hex');
}
/** btc-signer's kind of an output script (pkh, sh, wpkh, wsh, tr, pk, ms, unknown) and its address if it has one. */
export function describe(scriptHex: string): { type: string; address?: string } {
  try {
    const out = OutScript.decode(Buffer.from(scriptHex, 'hex'));
    return {
      type: out.type,
      ...(out.type === 'unknown' || out.type === 'pk' || out.type === 'ms'
        ? {}
        : { address: Address(REGTEST).encode(out) }),
    };
  } catch {
    return { type: 'unknown' };
  }
}

export type Mode = 'normal' | 'garbage' | 'huge' | 'silent' | 'negative' | 'overflow';
export const HUGE = 50 * 2 ** 20;
/** Amounts as the mode has the servers lie about them. */
export const sats = (mode: Mode, v: bigint) => (mode === 'negative' ? -5n : mode === 'overflow' ? 10n ** 80n : v);
/** JSON with bigints as number literals, 10^80 included (JSON.stringify cannot). */
export const json = (x: unknown) =>
  JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000${v}` : v)).replace(/"\\u0000(-?\d+)"/g, '$1');

export interface Out {
  script: string;
  value: bigint;
}
export interface Tx {
  id: string;
  hex: string;
  size: number;
  weight: number;
  version: number;
  locktime: number;
  coinbase: boolean;
  ins: Array<{ txid: string; vout: number; scriptSig: string; witness: string[]; sequence: number }>;
  outs: Out[];
}
export interface Block {
  hash: string;
  height: number;
  time: number;
  header: Buffer;
  txs: Tx[];
  size: number;
  weight: number;
}
/** A transaction where it stands: in a block (height, block) or in the mempool. */
export interface Placed {
  tx: Tx;
  height?: number;
  block?: Block;
  prevouts: Out[];
  fee: bigint;
  unconfirmedParent: boolean;
}
export interface Utxo extends Out {
  txid: string;
  vout: number;
  height?: number;
  coinbase: boolean;
}
export interface View {
  txs: Map<string, Placed>;
  /** By output script (hex): the transactions paying it or spending from it, chain order then mempool order. */
  history: Map<string, Placed[]>;
  utxos: Map<string, Utxo>;
  byScriptHash: Map<string, string>;
}

/** Reads a serialized transaction back, as a client would: the txid is that of the bytes. */
function decode(raw: Uint8Array): Tx {
  const t = Transaction.fromRaw(raw, OPTS);
  const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');
  const ins = Array.from({ length: t.inputsLength }, (_, i) => {
    const x = t.getInput(i);
    return {
      txid: hex(x.txid),
      vout: x.index!,
      scriptSig: hex(x.finalScriptSig),
      witness: (x.finalScriptWitness ?? []).map(hex),
      sequence: x.sequence!,
    };
  });
  const outs = Array.from({ length: t.outputsLength }, (_, i) => ({
    script: hex(t.getOutput(i).script),
    value: t.getOutput(i).amount!,
  }));
  const coinbase = ins.length === 1 && /^0{64}$/.test(ins[0]!.txid) && ins[0]!.vout === 0xffffffff;
  return {
    id: t.id,
    hex: hex(raw),
    size: raw.length,
    weight: t.weight,
    version: t.version,
    locktime: t.lockTime,
    coinbase,
    ins,
    outs,
  };
}

const merkle = (leaves: Buffer[]): Buffer => {
  while (leaves.length > 1) {
    if (leaves.length % 2) leaves.push(leaves.at(-1)!);
    leaves = Array.from({ length: leaves.length / 2 }, (_, i) =>
      sha256d(Buffer.concat([leaves[2 * i]!, leaves[2 * i + 1]!])),
    );
  }
  return leaves[0]!;
};
const varint = (n: number) => (n < 0xfd ? Buffer.from([n]) : Buffer.from([0xfd, n & 0xff, n >> 8]));

export class Chain {
  readonly blocks: Block[] = [];
  mempool: Tx[] = [];
  readonly faucetKey = randomBytes(32);
  readonly faucet = p2wpkh(pubECDSA(this.faucetKey), REGTEST);
  private cached: View | undefined;
  private blockCount = 0; // makes each coinbase unique, also those of the blocks a reorg puts at the same height
  private listeners = new Set<() => void>();

  constructor(blocks: number) {
    const start = Math.floor(Date.now() / 1000) - blocks; // a second apart up to now
    for (let i = 0; i < blocks; i++) this.addBlock([], start + i);
  }

  get tip(): Block {
    return this.blocks.at(-1)!;
  }
  onChange(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
  private changed() {
    this.cached = undefined;
    for (const f of this.listeners) f();
  }

  /** A block of `txs` on the tip: coinbase (BIP34 height, witness commitment) and header. */
  private addBlock(txs: Tx[], time = Math.max(Math.floor(Date.now() / 1000), this.tip.time + 1)) {
    const height = this.blocks.length;
    const cb = new Transaction(OPTS);
    cb.addOutput({ script: this.faucet.script, amount: SUBSIDY });
    if (txs.some((t) => t.ins.some((i) => i.witness.length))) {
      // BIP141: the wtxid merkle root (the coinbase's counts as zero) with a zero reserved value
      const wtxids = [Buffer.alloc(32), ...txs.map((t) => sha256d(Buffer.from(t.hex, 'hex')))];
      const commitment = sha256d(Buffer.concat([merkle(wtxids), Buffer.alloc(32)]));
      cb.addOutput({ script: Buffer.concat([Buffer.from('6a24aa21a9ed', 'hex'), commitment]), amount: 0n });
    }
    const extra = Buffer.alloc(4);
    extra.writeUInt32LE(this.blockCount++);
    // Outputs first: btc-signer refuses outputs once an input carries a final (SIGHASH_ALL-like) script.
    cb.addInput({
      txid: new Uint8Array(32),
      index: 0xffffffff,
      sequence: 0xffffffff,
      finalScriptSig: Script.encode([height, extra]),
      ...(cb.outputsLength > 1 ? { finalScriptWitness: [new Uint8Array(32)] } : {}),
    });
    const all = [decode(cb.toBytes(true, true)), ...txs];
    const prev = this.blocks.at(-1);
    const header = Buffer.alloc(80);
    header.writeUInt32LE(0x20000000, 0);
    if (prev) rev(Buffer.from(prev.hash, 'hex')).copy(header, 4);
    merkle(all.map((t) => rev(Buffer.from(t.id, 'hex')))).copy(header, 36);
    header.writeUInt32LE(time, 68);
    header.writeUInt32LE(0x207fffff, 72);
    const size = 80 + varint(all.length).length + all.reduce((s, t) => s + t.size, 0);
    const weight = (80 + varint(all.length).length) * 4 + all.reduce((s, t) => s + t.weight, 0);
    this.blocks.push({ hash: rev(sha256d(header)).toString('hex'), height, time, header, txs: all, size, weight });
  }

  view(): View {
    return (this.cached ??= this.compute(this.mempool));
  }

  private compute(mempool: Tx[]): View {
    const v: View = { txs: new Map(), history: new Map(), utxos: new Map(), byScriptHash: new Map() };
    const touch = (script: string, p: Placed) => {
      const h = v.history.get(script) ?? [];
      if (h.at(-1) !== p) h.push(p);
      v.history.set(script, h);
    };
    const place = (tx: Tx, block?: Block) => {
      const prevouts = tx.coinbase ? [] : tx.ins.map((i) => v.utxos.get(`${i.txid}:${i.vout}`)!);
      const p: Placed = {
        tx,
        block,
        height: block?.height,
        prevouts,
        fee: tx.coinbase ? 0n : prevouts.reduce((s, o) => s + o.value, 0n) - tx.outs.reduce((s, o) => s + o.value, 0n),
        unconfirmedParent: prevouts.some((o) => o.height === undefined),
      };
      v.txs.set(tx.id, p);
      tx.ins.forEach((i) => v.utxos.delete(`${i.txid}:${i.vout}`));
      prevouts.forEach((o) => touch(o.script, p));
      tx.outs.forEach((o, vout) => {
        v.utxos.set(`${tx.id}:${vout}`, { ...o, txid: tx.id, vout, height: block?.height, coinbase: tx.coinbase });
        touch(o.script, p);
      });
    };
    for (const b of this.blocks) for (const t of b.txs) place(t, b);
    for (const t of mempool) place(t);
    for (const script of v.history.keys()) v.byScriptHash.set(scriptHash(script), script);
    return v;
  }

  /** Unspent outputs of `script` (not spent in the mempool either), confirmed ones first; coinbases once mature. */
  private spendable(script: string): Utxo[] {
    const tip = this.tip.height;
    return [...this.view().utxos.values()]
      .filter((u) => u.script === script && (!u.coinbase || tip + 1 - u.height! >= MATURITY))
      .sort((a, b) => (a.height ?? Infinity) - (b.height ?? Infinity));
  }

  /** Signs a P2WPKH spend of `key`'s outputs to `outputs`, change back to `change`, and puts it into the mempool. */
  spend(key: Uint8Array, outputs: Array<{ address: string; sats: bigint }>, fee = 1000n, change?: string): string {
    const from = p2wpkh(pubECDSA(key), REGTEST);
    const need = outputs.reduce((s, o) => s + o.sats, 0n) + fee;
    const tx = new Transaction();
    let have = 0n;
    for (const u of this.spendable(Buffer.from(from.script).toString('hex'))) {
      if (have >= need) break;
      tx.addInput({ txid: u.txid, index: u.vout, witnessUtxo: { script: from.script, amount: u.value } });
      have += u.value;
    }
    if (have < need) throw new Error(`${from.address} has ${have} sats spendable, needs ${need}`);
    for (const o of outputs) tx.addOutputAddress(o.address, o.sats, REGTEST);
    if (have > need) tx.addOutputAddress(change ?? from.address, have - need, REGTEST);
    tx.sign(key);
    tx.finalize();
    this.mempool.push(decode(tx.toBytes(true, true)));
    this.changed();
    return tx.id;
  }

  mine(n: number): number {
    for (let i = 0; i < n; i++) this.addBlock(i === 0 ? this.mempool.splice(0) : []);
    this.changed();
    return this.tip.height;
  }

  reorg(depth: number, drop: string[]) {
    if (depth < 1 || depth >= this.blocks.length)
      throw new Error(`cannot reorg ${depth} blocks of ${this.blocks.length}`);
    const replaced = this.blocks.splice(-depth).flatMap((b) => b.txs.filter((t) => !t.coinbase));
    const [again, mempool] = this.survivors([replaced, this.mempool], new Set(drop));
    for (let i = 0; i <= depth; i++) this.addBlock(i === 0 ? again! : []);
    this.mempool = mempool!;
    this.changed();
  }

  evict(txid: string) {
    if (!this.mempool.some((t) => t.id === txid)) throw new Error(`${txid} is not in the mempool`);
    [this.mempool] = this.survivors([this.mempool], new Set([txid])) as [Tx[]];
    this.changed();
  }

  /** The transactions of `lists` (in order) that are not in `drop` and whose inputs still exist: descendants go with their parents. */
  private survivors(lists: Tx[][], drop: Set<string>): Tx[][] {
    const outs = new Set(this.compute([]).utxos.keys());
    return lists.map((list) =>
      list.filter((t) => {
        if (drop.has(t.id) || !t.ins.every((i) => outs.has(`${i.txid}:${i.vout}`))) return false;
        t.ins.forEach((i) => outs.delete(`${i.txid}:${i.vout}`));
        t.outs.forEach((_, vout) => outs.add(`${t.id}:${vout}`));
        return true;
      }),
    );
  }
}
