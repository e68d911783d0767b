/**
 * Ethereum, watch-only (docs/wallets.md): the account identifier is the address; a JSON-RPC
 * backend (a public endpoint by default, any own node by `url`) gives the balance and the
 * transfers; the account exports org.pantherx.Accounts.Wallet besides its settings.
 */
import type { ProtocolPlugin, SettingSpec } from '../plugin.js';
import { API_KEY, NOTIFY_SETTING, resolveWallet, storedWallet } from '../common/wallet-settings.js';
import { checkEthAddress } from './address.js';
import { EthWatcher } from './watcher.js';
import { PUBLIC_RPC } from './networks.js';

const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'network',
    property: 'Network',
    kind: 'enum',
    values: ['mainnet', 'sepolia', 'holesky', 'local'],
    doc: 'mainnet (default), sepolia, holesky, or local (a node of your own: url required).',
  },
  {
    key: 'url',
    property: 'Url',
    kind: 'url',
    doc: 'The JSON-RPC endpoint (http or https) the wallet is watched through; default a public endpoint of the network.',
  },
  {
    key: 'tokens',
    property: 'Tokens',
    kind: 'list',
    doc: "ERC-20 token contracts (EIP-55) whose transfers to and from the address are watched too: they appear in GetTransactions with asset the contract and the amount in the token's decimals, and TransferReceived gives the amount followed by a space and the contract.",
  },
  {
    key: 'confirmations',
    property: 'Confirmations',
    kind: 'count',
    doc: 'Blocks a transfer needs before it counts as received (TransferReceived, the notification); default 1.',
  },
  NOTIFY_SETTING,
];

const plugin: ProtocolPlugin = {
  id: 'eth',
  title: 'Ethereum',
  iface: 'org.pantherx.Accounts.Eth',
  doc: "Ethereum settings of a watch-only wallet account (protocol eth), present while eth is enabled. The account's Username is the address (EIP-55 checksummed); balance and transfers are on org.pantherx.Accounts.Wallet on the same object.",
  settings: SETTINGS,
  secrets: [API_KEY],
  needsLoginSecret: false,
  resolve(layers, label) {
    const out = resolveWallet(SETTINGS, layers, label, PUBLIC_RPC);
    out.confirmations ||= 1;
    out.tokens = String(out.tokens)
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)
      .map((t, i) => checkEthAddress(t, `${label('tokens')}: token ${i + 1}`))
      .join(', ');
    return out;
  },
  stored: (s) => storedWallet(s, PUBLIC_RPC, { confirmations: 1 }),
  identifier: (value) => checkEthAddress(value, 'the account (an Ethereum address)'),
  endpoint: (s) => String(s.network),
  verifier: {
    thread: false,
    verify: (settings, _secret, options) => import('./verifier.js').then((m) => m.verifyEth(settings, options)),
  },
  live: {
    iface: 'org.pantherx.Accounts.Wallet',
    start: (ctx) => new EthWatcher(ctx).start(),
  },
};

export default plugin;
