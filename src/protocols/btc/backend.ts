/**
 * What a Bitcoin wallet reads from its backend, whichever it is (Esplora REST, polled; an Electrum
 * server, which pushes): the chain's tip and, per address, its balance and its transactions with
 * their inputs and outputs resolved to addresses and amounts. Everything a backend says is
 * checked before it is believed: amounts are whole satoshis within the 21 million coins.
 */
import { createHash } from 'node:crypto';
import { RpcInvalid } from '../common/backend-errors.js';

/** A transaction as a wallet needs it. */
export interface BtcTx {
  readonly txid: string;
  /** The block's height; 0 while in the mempool. */
  readonly height: number;
  /** The block's time (seconds); 0 while in the mempool. */
  readonly time: number;
  /** What each input spent (address '' for a coinbase or a script with no address). */
  readonly inputs: readonly Coin[];
  readonly outputs: readonly Coin[];
}
export interface Coin {
  readonly address: string;
  readonly value: bigint;
}

export interface AddressView {
  /** Changes whenever the address's history does (Electrum's status, Esplora's stats). */
  readonly tag: string;
  readonly used: boolean;
  /** Satoshis in confirmed transactions, and what the mempool adds (or takes). */
  readonly confirmed: bigint;
  readonly unconfirmed: bigint;
  readonly txs: readonly BtcTx[];
  /** False when the history was too long to read whole (only the newest part is in txs). */
  readonly complete: boolean;
}

export interface Tip {
  readonly height: number;
  readonly hash: string;
}

export interface BackendListener {
  /** Something may have changed (a new block, a transaction of a watched address). */
  changed(): void;
  /** The backend cannot be reached (it is retried), or said nonsense. */
  lost(err: Error): void;
}

export interface BtcBackend {
  /** A name for status messages: 'Electrum server host:port'. */
  readonly name: string;
  tip(): Promise<Tip>;
  /** The hash of block 0: which chain the backend serves. */
  genesis(): Promise<string>;
  /** The address's view now; `previous` (what the last call gave) is reused when nothing changed. */
  address(address: string, previous: AddressView | undefined): Promise<AddressView>;
  close(): void;
}

/** 21 million coins in satoshis: no amount is larger. */
export const MAX_MONEY = 2_100_000_000_000_000n;

/** A satoshi amount from a backend: a whole number within 0 … 21 million coins. */
export function sats(value: unknown, what: string, signed = false): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new RpcInvalid(`${what} is not a whole number of satoshis`);
  const v = BigInt(value);
  if (v > MAX_MONEY || v < (signed ? -MAX_MONEY : 0n))
    throw new RpcInvalid(`${what} (${value}) is ${v < 0n ? 'negative' : 'more than 21 million coins'}`);
  return v;
}

export const TXID = /^[0-9a-f]{64}$/;

export function height(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 100_000_000)
    throw new RpcInvalid(`${what} is not a block height`);
  return value;
}

/** Reversed double SHA-256, hex: how Bitcoin names blocks and transactions. */
export function hash256(bytes: Uint8Array): string {
  const once = createHash('sha256').update(bytes).digest();
  return Buffer.from(createHash('sha256').update(once).digest()).reverse().toString('hex');
}

/** The first block of each public network (testnet: testnet3 and testnet4). */
export const GENESIS: Readonly<Record<string, readonly string[]>> = {
  mainnet: ['000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f'],
  testnet: [
    '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
    '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043',
  ],
  signet: ['00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6'],
};
