/**
 * Ethereum, watch-only (DESIGN.md section 11): the account identifier is the address; a JSON-RPC
 * backend (a public endpoint by default, any own node by `url`) gives the balance and the
 * transfers; the account exports org.pantherx.Accounts.Wallet besides its settings.
 */
import { invalidArgument } from '../../errors.js';
import type { ProtocolPlugin, SettingSpec } from '../plugin.js';
import { checkAll, mergeLayers, nonEmpty } from '../settings.js';
import { checkEthAddress } from './address.js';
import { EthWatcher } from './watcher.js';
import { PUBLIC_RPC } from './networks.js';


const SETTINGS: readonly SettingSpec[] = [
  { key: 'network', property: 'Network', kind: 'enum', values: ['mainnet', 'sepolia', 'holesky', 'local'], doc: 'mainnet (default), sepolia, holesky, or local (a node of your own: url required).' },
  { key: 'url', property: 'Url', kind: 'url', doc: 'JSON-RPC endpoint (http or https); default a public endpoint of the network.' },
  { key: 'tokens', property: 'Tokens', kind: 'list', doc: 'ERC-20 token contracts whose transfers to and from the address are watched too.' },
  { key: 'confirmations', property: 'Confirmations', kind: 'count', doc: 'Blocks a transfer needs before it counts as received (default 1).' },
  { key: 'notify', property: 'Notify', kind: 'enum', values: ['true', 'false'], doc: 'Whether received transfers show a desktop notification (default true).' },
];

const plugin: ProtocolPlugin = {
  id: 'eth', title: 'Ethereum', iface: 'org.pantherx.Accounts.Eth',
  settings: SETTINGS, secrets: [], needsLoginSecret: false,
  resolve(layers, label) {
    const out = checkAll(SETTINGS, mergeLayers(SETTINGS, layers), label);
    out.network ||= 'mainnet';
    out.notify ||= 'true';
    out.confirmations ||= 1;
    out.tokens = String(out.tokens).split(',').map((t) => t.trim()).filter(Boolean)
      .map((t, i) => checkEthAddress(t, `${label('tokens')}: token ${i + 1}`)).join(', ');
    if (!out.url) {
      if (!PUBLIC_RPC[out.network]) throw invalidArgument(`${label('url')} is required for network ${out.network}: the address of your node's JSON-RPC endpoint`);
      out.url = PUBLIC_RPC[out.network]!;
    }
    return out;
  },
  stored: (s) => {
    const kept = nonEmpty(s);
    if (kept.url === PUBLIC_RPC[String(s.network)]) delete kept.url;
    if (kept.notify === 'true') delete kept.notify;
    if (kept.confirmations === 1) delete kept.confirmations;
    return kept;
  },
  identifier: (value) => checkEthAddress(value, 'the account (an Ethereum address)'),
  endpoint: (s) => String(s.network),
  verifier: { thread: false, verify: (settings, _secret, options) => import('./verifier.js').then((m) => m.verifyEth(settings, options)) },
  live: {
    iface: 'org.pantherx.Accounts.Wallet',
    start: (ctx) => new EthWatcher(ctx),
  },
};

export default plugin;
