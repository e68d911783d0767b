/** The Bitcoin networks a wallet account can name, with their address and key encodings. */

export interface BtcNetwork {
  /** As @scure/btc-signer takes it. */
  readonly params: {
    readonly bech32: string;
    readonly pubKeyHash: number;
    readonly scriptHash: number;
    readonly wif: number;
  };
  /** Extended public keys (SLIP-132): prefix → version bytes and the addresses they stand for. */
  readonly extended: Readonly<Record<string, { readonly version: number; readonly script: ScriptType }>>;
}

export type ScriptType = 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh' | 'p2tr';
export const SCRIPT_TYPES: readonly ScriptType[] = ['p2pkh', 'p2sh-p2wpkh', 'p2wpkh', 'p2tr'];

const MAIN_EXTENDED = {
  xpub: { version: 0x0488b21e, script: 'p2pkh' },
  ypub: { version: 0x049d7cb2, script: 'p2sh-p2wpkh' },
  zpub: { version: 0x04b24746, script: 'p2wpkh' },
} as const;
const TEST_EXTENDED = {
  tpub: { version: 0x043587cf, script: 'p2pkh' },
  upub: { version: 0x044a5262, script: 'p2sh-p2wpkh' },
  vpub: { version: 0x045f1cf6, script: 'p2wpkh' },
} as const;
const TEST_PARAMS = { bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

export const NETWORKS: Readonly<Record<string, BtcNetwork>> = {
  mainnet: { params: { bech32: 'bc', pubKeyHash: 0x00, scriptHash: 0x05, wif: 0x80 }, extended: MAIN_EXTENDED },
  testnet: { params: TEST_PARAMS, extended: TEST_EXTENDED },
  signet: { params: TEST_PARAMS, extended: TEST_EXTENDED },
  regtest: { params: { ...TEST_PARAMS, bech32: 'bcrt' }, extended: TEST_EXTENDED },
};

/** Prefixes of extended private keys: secrets, never watched. */
export const PRIVATE_EXTENDED = ['xprv', 'yprv', 'zprv', 'tprv', 'uprv', 'vprv', 'Yprv', 'Zprv', 'Uprv', 'Vprv'];

/** Public Esplora instances used when the account names no backend (no key needed). */
export const PUBLIC_ESPLORA: Record<string, string> = {
  mainnet: 'https://blockstream.info/api/',
  testnet: 'https://blockstream.info/testnet/api/',
  signet: 'https://mempool.space/signet/api/',
};
