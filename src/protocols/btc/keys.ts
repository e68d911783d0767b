/**
 * What a Bitcoin wallet account watches: one address (P2PKH, P2SH, bech32 v0, bech32m taproot)
 * or an extended public key whose receive and change addresses are derived. Checked with
 * @scure/btc-signer and @scure/bip32 against the account's network. A private key (WIF, an
 * xprv, raw hex), a BIP-38 key or a seed phrase given as the address is refused, never quoted,
 * logged or stored.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { invalidArgument } from '../../errors.js';
import { looksSecret } from '../common/wallet-settings.js';
import { NETWORKS, PRIVATE_EXTENDED, type BtcNetwork, type ScriptType } from './networks.js';

type Signer = typeof import('@scure/btc-signer');
type Bip32 = typeof import('@scure/bip32');
let signer: Signer | undefined;
let bip32: Bip32 | undefined;
const load = createRequire(import.meta.url);
/** Loaded with the first key checked, not at start-up (Node ≥ 20.19 requires ES modules). */
export const btcSigner = (): Signer => (signer ??= load('@scure/btc-signer') as Signer);
const hd = (): Bip32 => (bip32 ??= load('@scure/bip32') as Bip32);

const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;

function secretKind(v: string): string | undefined {
  const generic = looksSecret(v);
  if (generic) return generic;
  if (PRIVATE_EXTENDED.includes(v.slice(0, 4))) return 'an extended private key';
  if (/^6P[1-9A-HJ-NP-Za-km-z]{56}$/.test(v)) return 'an encrypted private key (BIP-38)';
  if (BASE58.test(v) && (v.length === 51 || v.length === 52) && isWif(v)) return 'a private key (WIF)';
  return undefined;
}

/** A private key in Wallet Import Format, compressed or not, of mainnet or the test networks. */
function isWif(v: string): boolean {
  try {
    const { createBase58check } = load('@scure/base') as typeof import('@scure/base');
    const payload = createBase58check(
      (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest()),
    ).decode(v);
    return (
      (payload[0] === 0x80 || payload[0] === 0xef) &&
      (payload.length === 33 || (payload.length === 34 && payload[33] === 1))
    );
  } catch {
    return false;
  }
}

/** The network an address or extended key belongs to, or undefined. */
function networkOf(v: string): string | undefined {
  for (const [name, net] of Object.entries(NETWORKS)) {
    if (net.extended[v.slice(0, 4)] || isAddress(v, net)) return name;
  }
  return undefined;
}

function isAddress(v: string, net: BtcNetwork): boolean {
  try {
    btcSigner().Address(net.params).decode(v);
    return true;
  } catch {
    return false;
  }
}

function readExtended(v: string, net: BtcNetwork): InstanceType<Bip32['HDKey']> | undefined {
  const prefix = net.extended[v.slice(0, 4)];
  if (!prefix) return undefined;
  try {
    // The private version is never used: a watch-only key cannot derive one.
    return hd().HDKey.fromExtendedKey(v, { public: prefix.version, private: 0 });
  } catch {
    return undefined;
  }
}

/**
 * Checks an address or extended public key and returns it normalised (bech32 in lower case).
 * With `network`, it must belong to it; without, to any.
 */
export function checkBtcIdentifier(value: string, what = 'the address', network?: string): string {
  const raw = value.trim();
  const secret = secretKind(raw);
  if (secret) {
    throw invalidArgument(
      `${what} is ${secret}, not an address: it was not stored. Watch-only wallets need only a public address or an extended public key (xpub/ypub/zpub); never give a private key to any app`,
    );
  }
  // Bech32 is case-insensitive (QR codes use upper case); stored in lower case.
  const v = /^(bc|tb|bcrt)1/i.test(raw) ? raw.toLowerCase() : raw;
  const networks = network ? [network] : Object.keys(NETWORKS);
  for (const name of networks) {
    const net = NETWORKS[name];
    if (!net) throw invalidArgument(`${what}: there is no Bitcoin network ${name}`);
    if (net.extended[v.slice(0, 4)]) {
      if (readExtended(v, net)) return v;
      throw invalidArgument(`${what} is not a valid extended public key (its checksum or length is wrong)`);
    }
    if (isAddress(v, net)) return v;
  }
  const other = network ? networkOf(v) : undefined;
  if (other && !(NETWORKS[other]!.params === NETWORKS[network!]!.params)) {
    throw invalidArgument(
      `${what} belongs to the Bitcoin network ${other}, but the account's network is ${network}: add it with network ${other}`,
    );
  }
  throw invalidArgument(
    `${what} is not a Bitcoin address or extended public key (base58 P2PKH/P2SH, bech32 or bech32m; its checksum may be wrong)`,
  );
}

/** What an account watches: the addresses of chain 0 (receive) and 1 (change), by index. */
export interface WatchTarget {
  readonly extended: boolean;
  readonly scriptType: ScriptType | '';
  /** The address at `index` of `chain`; a single address is index 0 of chain 0 and has no other. */
  address(chain: 0 | 1, index: number): string;
}

export function watchTarget(identifier: string, network: string, scriptType: string): WatchTarget {
  const net = NETWORKS[network];
  if (!net) throw invalidArgument(`there is no Bitcoin network ${network}`);
  const key = readExtended(identifier, net);
  if (!key) {
    if (!isAddress(identifier, net)) throw invalidArgument(`the account is not a Bitcoin address of ${network}`);
    return { extended: false, scriptType: '', address: () => identifier };
  }
  const type = (scriptType || net.extended[identifier.slice(0, 4)]!.script) as ScriptType;
  const s = btcSigner();
  const chains = [key.deriveChild(0), key.deriveChild(1)];
  return {
    extended: true,
    scriptType: type,
    address(chain, index) {
      const pub = chains[chain]!.deriveChild(index).publicKey!;
      switch (type) {
        case 'p2pkh':
          return s.p2pkh(pub, net.params).address;
        case 'p2sh-p2wpkh':
          return s.p2sh(s.p2wpkh(pub, net.params), net.params).address;
        case 'p2wpkh':
          return s.p2wpkh(pub, net.params).address;
        case 'p2tr':
          return s.p2tr(pub.subarray(1), undefined, net.params).address; // BIP-86: the key alone
      }
    },
  };
}

/** The output script an address pays to. */
export function scriptOf(address: string, network: string): Uint8Array {
  const s = btcSigner();
  return s.OutScript.encode(s.Address(NETWORKS[network]!.params).decode(address));
}

/** The address an output script pays to on `network`, or '' (a bare script, OP_RETURN). */
export function addressOf(script: Uint8Array, network: string): string {
  const s = btcSigner();
  try {
    return s.Address(NETWORKS[network]!.params).encode(s.OutScript.decode(script));
  } catch {
    return '';
  }
}
