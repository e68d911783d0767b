/** The Ethereum networks a wallet account can name. */

/** Public endpoints used when the account names none (no key needed). */
export const PUBLIC_RPC: Record<string, string> = {
  mainnet: 'https://ethereum-rpc.publicnode.com/',
  sepolia: 'https://ethereum-sepolia-rpc.publicnode.com/',
  holesky: 'https://ethereum-holesky-rpc.publicnode.com/',
};

/** eth_chainId of each named network; `local` is whatever the node is. */
export const CHAIN_IDS: Record<string, bigint> = { mainnet: 1n, sepolia: 11155111n, holesky: 17000n };
