/**
 * XRP Ledger, watch-only (docs/wallets.md): the identifier is a classic address or an
 * X-address (address and destination tag); a rippled WebSocket server (a public one by default)
 * gives the balance, the history and payments as they are validated.
 */
import type { ProtocolPlugin, SettingSpec } from '../plugin.js';
import { API_KEY, NOTIFY_SETTING, parseBackendUrl, resolveWallet, storedWallet } from '../common/wallet-settings.js';
import { checkXrpAddress } from './address.js';
import { XrpWatcher } from './watcher.js';

/** Public servers used when the account names none. */
const PUBLIC_WS: Record<string, string> = {
  mainnet: 'wss://xrplcluster.com/',
  testnet: 'wss://s.altnet.rippletest.net:51233/',
  devnet: 'wss://s.devnet.rippletest.net:51233/',
};

const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'network',
    property: 'Network',
    kind: 'enum',
    values: ['mainnet', 'testnet', 'devnet', 'local'],
    doc: 'mainnet (default), testnet, devnet, or local (a server of your own: url required).',
  },
  {
    key: 'url',
    property: 'Url',
    kind: 'text',
    doc: 'The rippled WebSocket server (wss:// or ws://) the wallet is watched through; default a public server of the network.',
  },
  NOTIFY_SETTING,
];

const checkWsUrl = (value: string, label: string): string =>
  parseBackendUrl(value, label, ['wss:', 'ws:'], 'a WebSocket URL (wss:// or ws://)').href;

const plugin: ProtocolPlugin = {
  id: 'xrp',
  title: 'XRP Ledger',
  iface: 'org.pantherx.Accounts.Xrp',
  doc: "XRP Ledger settings of a watch-only wallet account (protocol xrp), present while xrp is enabled. The account's Username is the address as given: a classic r… address, or an X-address (an address and a destination tag: only payments with that tag count as received). Balance and payments are on org.pantherx.Accounts.Wallet on the same object.",
  settings: SETTINGS,
  secrets: [API_KEY],
  needsLoginSecret: false,
  resolve(layers, label) {
    const out = resolveWallet(SETTINGS, layers, label, PUBLIC_WS, checkWsUrl);
    return out;
  },
  stored: (s) => storedWallet(s, PUBLIC_WS),
  identifier: (value) => checkXrpAddress(value, 'the account (an XRP Ledger address)'),
  endpoint: (s) => String(s.network),
  verifier: {
    thread: false,
    verify: (settings, _secret, options) => import('./verifier.js').then((m) => m.verifyXrp(settings, options)),
  },
  live: { iface: 'org.pantherx.Accounts.Wallet', start: (ctx) => new XrpWatcher(ctx).start() },
};

export default plugin;
