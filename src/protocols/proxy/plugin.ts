/**
 * HTTP(S) and SOCKS5 proxies with a user name and password. Apps read host, port and type from
 * the interface and the password through GetSecret. Verified by the proxy's own answer to the
 * credentials, never by reaching anything through it.
 */
import { invalidArgument } from '../../errors.js';
import type { ProtocolPlugin, SettingSpec } from '../plugin.js';
import { SERVER_SETTINGS as S } from '../server.js';
import { checkAll, mergeLayers, nonEmpty } from '../settings.js';

export const PROXY_TYPES = ['http', 'https', 'socks5'] as const;
const DEFAULT_PORT: Record<string, number> = { http: 8080, https: 443, socks5: 1080 };

const settings: readonly SettingSpec[] = [
  { ...S.host, doc: 'Proxy host name or address.' },
  { ...S.port, doc: 'Proxy TCP port (8080 for http, 443 for https, 1080 for socks5, unless set).' },
  {
    key: 'type',
    property: 'Type',
    kind: 'enum',
    values: PROXY_TYPES,
    doc: 'http (CONNECT in clear), https (CONNECT inside TLS to the proxy) or socks5 (RFC 1928 with RFC 1929 user name and password).',
  },
  { ...S.username, doc: "User name given to the proxy (the account's Username unless overridden)." },
  {
    ...S.ca,
    doc: 'https proxies: path of a PEM file of extra trusted certificates used besides the system store; empty for the system store only.',
  },
];

const plugin: ProtocolPlugin = {
  id: 'proxy',
  title: 'Proxy',
  iface: 'org.pantherx.Accounts.Proxy',
  settings,
  secrets: [],
  needsLoginSecret: true,
  doc: "Proxy settings of an account, present on the account object while the proxy protocol is enabled. Read-only: change them with Account.Update. The password is a secret (GetSecret 'proxy', else 'password'), never a property.",
  resolve(layers, label) {
    const out = checkAll(settings, mergeLayers(settings, layers), label);
    if (!out.host) throw invalidArgument(`${label('host')} is required: give the proxy's host name or address`);
    out.type ||= 'http';
    out.port ||= DEFAULT_PORT[out.type]!;
    return out;
  },
  stored: nonEmpty,
  verifier: { thread: true },
  loadVerifier: () => import('./verifier.js').then((m) => m.verifyProxy),
};
export default plugin;
