/**
 * The shape most protocols share: a server reached at host and port, with transport security
 * choosing the default port, a login, and extra trusted certificates. `serverProtocol()` builds
 * a plugin from a few facts; URL-addressed protocols (DAV) derive host, port, security and path
 * from their URL and the other way round.
 */
import { invalidArgument } from '../errors.js';
import { textOf } from '../util/text.js';
import type { Verifier } from './common/types.js';
import type { Label, ProtocolPlugin, RawSettings, SettingSpec, Settings } from './plugin.js';
import { checkAll, isSecurity, mergeLayers, type Security } from './settings.js';

/** The common settings, described once. */
export const SERVER_SETTINGS = {
  host: { key: 'host', property: 'Host', kind: 'host', doc: 'Server host name or address.' },
  port: { key: 'port', property: 'Port', kind: 'port', doc: 'Server TCP port.' },
  security: {
    key: 'security',
    property: 'Security',
    kind: 'security',
    doc: 'Transport security: tls (implicit TLS), starttls (upgrade required) or none.',
  },
  username: {
    key: 'username',
    property: 'Username',
    kind: 'username',
    doc: "Login name used for this protocol (the account's Username unless overridden).",
  },
  path: { key: 'path', property: 'Path', kind: 'path', doc: 'Path on the server.' },
  url: { key: 'url', property: 'Url', kind: 'url', doc: 'Service URL.' },
  ca: {
    key: 'ca',
    property: 'Ca',
    kind: 'file',
    doc: 'Path of a PEM file of extra trusted certificates (an own CA or a pinned self-signed certificate) used besides the system store; empty for the system store only.',
  },
} as const satisfies Record<string, SettingSpec>;

/** What a URL-addressed protocol (DAV) derives from its `url`, described so. */
export const URL_PARTS = {
  host: { ...SERVER_SETTINGS.host, doc: 'Server host name or address (from Url).' },
  port: { ...SERVER_SETTINGS.port, doc: 'Server TCP port (from Url).' },
  security: { ...SERVER_SETTINGS.security, doc: 'Transport security from Url: tls (https) or none (http).' },
  path: { ...SERVER_SETTINGS.path, doc: 'Path part of Url.' },
} as const satisfies Record<string, SettingSpec>;

export interface ServerProtocol {
  id: string;
  title: string;
  iface: string;
  /** The interface's documentation when the default does not say enough (ProtocolPlugin.doc). */
  doc?: string;
  /** Default port per security; a protocol without a security setting uses `none`. */
  ports: Record<Security, number>;
  /** Settings in the order the interface lists them; host, port and username are always there. */
  settings: readonly SettingSpec[];
  /** Addressed by URL (DAV): host, port, security and path derive from `url`. */
  urlBased?: boolean;
  /** Securities the protocol accepts (DAV: tls and none). */
  securities?: readonly Security[];
  secrets?: readonly string[];
  /** Imports the verifier module; called on the verifier thread only. */
  load: () => Promise<Verifier>;
  learn?: ProtocolPlugin['learn'];
  /** Signs in with OAuth2 access tokens too. */
  tokens?: boolean;
  /** Its verifier can connect through a proxy (ProtocolPlugin.viaProxy). */
  viaProxy?: boolean;
}

const has = (specs: readonly SettingSpec[], key: string) => specs.some((s) => s.key === key);
const lastIndex = (layers: readonly RawSettings[], test: (l: RawSettings) => boolean) => layers.findLastIndex(test);

function resolveServer(p: ServerProtocol, layers: readonly RawSettings[], label: Label): Settings {
  const withSecurity = has(p.settings, 'security');
  const merged = mergeLayers(p.settings, layers);
  // A URL set in an upper layer wins over host/port set below it, and the other way round.
  if (
    p.urlBased &&
    lastIndex(layers, (l) => l.host !== undefined) > lastIndex(layers, (l) => l.url !== undefined && l.url !== '')
  ) {
    delete merged.url;
  }
  const out = checkAll(p.settings, merged, label);
  if (p.urlBased && out.url) {
    const u = new URL(String(out.url));
    const security: Security = u.protocol === 'https:' ? 'tls' : 'none';
    return {
      ...out,
      security,
      host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: u.port ? Number(u.port) : p.ports[security],
      path: u.pathname,
      url: u.href,
    };
  }
  if (!out.host) throw invalidArgument(`${label('host')} is required: no server is known for ${p.title}`);
  const security: Security = withSecurity ? ((out.security || 'tls') as Security) : 'none';
  if (withSecurity) {
    out.security = security;
    if (p.securities && !p.securities.includes(security)) {
      throw invalidArgument(`${label('security')}: ${p.title} supports ${p.securities.join(' or ')}`);
    }
  }
  if (!out.port) out.port = p.ports[security];
  // Switching security without naming a port moves a default port along (993 → 143).
  const securityLayer = lastIndex(layers, (l) => l.security !== undefined);
  const portLayer = lastIndex(layers, (l) => l.port !== undefined);
  if (withSecurity && securityLayer > portLayer && portLayer >= 0) {
    const below = textOf(layers.slice(0, securityLayer).findLast((l) => l.security !== undefined)?.security, 'tls');
    if (isSecurity(below) && out.port === p.ports[below]) out.port = p.ports[security];
  }
  if (p.urlBased) {
    const host = String(out.host);
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const path = String(out.path).startsWith('/') ? out.path : '/' + out.path;
    out.url = new URL(`${security === 'tls' ? 'https' : 'http'}://${hostPart}:${out.port}${path}`).href;
    out.path = new URL(String(out.url)).pathname;
  }
  return out;
}

/** A file keeps a DAV account's URL only, and host/port/security otherwise. */
function storedServer(p: ServerProtocol, s: Settings): RawSettings {
  const derived = p.urlBased ? ['host', 'port', 'security', 'path'] : ['url'];
  return Object.fromEntries(Object.entries(s).filter(([k, v]) => !derived.includes(k) && v !== '' && v !== 0));
}

export function serverProtocol(p: ServerProtocol): ProtocolPlugin {
  return {
    id: p.id,
    title: p.title,
    iface: p.iface,
    ...(p.doc ? { doc: p.doc } : {}),
    settings: p.settings,
    secrets: p.secrets ?? [],
    needsLoginSecret: true,
    verifier: { thread: true },
    loadVerifier: p.load,
    tokens: p.tokens ?? false,
    ...(p.viaProxy ? { viaProxy: true } : {}),
    resolve: (layers, label) => resolveServer(p, layers, label),
    stored: (s) => storedServer(p, s),
    ...(p.learn ? { learn: p.learn } : {}),
  };
}
