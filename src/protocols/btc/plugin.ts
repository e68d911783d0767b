/**
 * Bitcoin, watch-only (docs/wallets.md): the identifier is an address or an extended public
 * key (its receive and change addresses derived up to a gap limit); an Esplora REST API (polled;
 * a public one by default) or an Electrum server (push) gives balances and transactions.
 */
import { invalidArgument } from '../../errors.js';
import type { ProtocolPlugin, SettingSpec } from '../plugin.js';
import { API_KEY, NOTIFY_SETTING, parseBackendUrl, resolveWallet, storedWallet } from '../common/wallet-settings.js';
import { checkBtcIdentifier } from './keys.js';
import { PUBLIC_ESPLORA, SCRIPT_TYPES } from './networks.js';
import { BtcWatcher } from './watcher.js';

const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'network',
    property: 'Network',
    kind: 'enum',
    values: ['mainnet', 'testnet', 'signet', 'regtest'],
    doc: 'mainnet (default), testnet, signet, or regtest (a node of your own: url required). An address or key of another network is refused.',
  },
  {
    key: 'url',
    property: 'Url',
    kind: 'text',
    doc: 'The backend the wallet is watched through: an Esplora REST API (http:// or https://, polled) or an Electrum server (tcp://host:port or ssl://host:port, which pushes changes); default a public Esplora of the network.',
  },
  {
    key: 'confirmations',
    property: 'Confirmations',
    kind: 'count',
    doc: 'Blocks a transaction needs before it counts in Balance and as received (TransferReceived, the notification); default 1. Younger ones count in PendingBalance and show in GetTransactions with their confirmations.',
  },
  {
    key: 'gap_limit',
    property: 'GapLimit',
    kind: 'count',
    doc: 'Extended keys: how many unused addresses in a row end the derivation of each chain (receive, change); 20 by default (BIP-44).',
  },
  {
    key: 'script_type',
    property: 'ScriptType',
    kind: 'enum',
    values: [...SCRIPT_TYPES],
    doc: "Extended keys: the kind of addresses derived (p2pkh, p2sh-p2wpkh, p2wpkh or p2tr); empty: what the key's prefix says (xpub/tpub p2pkh, ypub/upub p2sh-p2wpkh, zpub/vpub p2wpkh), and for a single address.",
  },
  NOTIFY_SETTING,
];

function checkBackendUrl(value: string, label: string): string {
  const url = parseBackendUrl(
    value,
    label,
    ['http:', 'https:', 'tcp:', 'ssl:', 'tls:'],
    'an Esplora API (http:// or https://) or an Electrum server (tcp:// or ssl://)',
  );
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && (!url.hostname || !url.port))
    throw invalidArgument(`${label}: an Electrum server is tcp://host:port or ssl://host:port`);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : `${url.protocol}//${url.host}`;
}

const plugin: ProtocolPlugin = {
  id: 'btc',
  title: 'Bitcoin',
  iface: 'org.pantherx.Accounts.Btc',
  doc: "Bitcoin settings of a watch-only wallet account (protocol btc), present while btc is enabled. The account's Username is an address (P2PKH, P2SH, bech32 P2WPKH/P2WSH, bech32m P2TR; bech32 in lower case) or an extended public key (xpub/ypub/zpub, tpub/upub/vpub on test networks) whose receive and change addresses are derived and watched up to the gap limit. Balance and transfers are on org.pantherx.Accounts.Wallet on the same object: amounts in BTC with 8 decimals, a transaction's amount is what it changed the wallet by (an outgoing one includes its fee).",
  settings: SETTINGS,
  secrets: [API_KEY],
  needsLoginSecret: false,
  resolve(layers, label) {
    const out = resolveWallet(SETTINGS, layers, label, PUBLIC_ESPLORA, checkBackendUrl);
    out.confirmations ||= 1;
    out.gap_limit ||= 20;
    if (Number(out.gap_limit) > 1000) throw invalidArgument(`${label('gap_limit')} must be at most 1000`);
    return out;
  },
  stored: (s) => storedWallet(s, PUBLIC_ESPLORA, { confirmations: 1, gap_limit: 20 }),
  identifier: (value, settings) =>
    checkBtcIdentifier(
      value,
      'the account (a Bitcoin address or extended public key)',
      settings ? String(settings.network) : undefined,
    ),
  endpoint: (s) => String(s.network),
  verifier: {
    thread: false,
    verify: (settings, _secret, options) => import('./verifier.js').then((m) => m.verifyBtc(settings, options)),
  },
  live: { iface: 'org.pantherx.Accounts.Wallet', start: (ctx) => new BtcWatcher(ctx).start() },
};

export default plugin;
