/** Per-protocol settings: merging provider defaults with overrides, and deriving DAV URLs. */
import { invalidArgument } from '../errors.js';
import { PROTOCOL_SPECS, isSecurity, type Protocol, type Security, type SettingKey } from './protocols.js';
import { checkAbsolutePath, checkHost, checkPort, checkText, checkUrl } from './validate.js';

export interface ProtocolSettings {
  host: string;
  port: number;
  /** '' for SFTP, which has no security setting. */
  security: Security | '';
  /** '' means the account's user name. */
  username: string;
  path: string;
  /** DAV only: the discovery URL; host, port, security and path are derived from it. */
  url: string;
  /** PEM file of extra trusted certificates; '' for the system store only. */
  ca: string;
  /** SFTP: the pinned server host key ('SHA256:…'); '' until the first successful check. */
  hostKey: string;
}

const HOST_KEY = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** Unvalidated settings as they come from options, provider files or account files. */
export type RawSettings = Partial<Record<SettingKey, unknown>>;

/** Validates one setting; `label` names where it came from (`option imap.port`, `[imap] port`). */
export function checkSetting(key: SettingKey, value: unknown, label: string): string | number {
  if (key === 'port') return checkPort(value, label);
  if (typeof value !== 'string') throw invalidArgument(`${label} must be a string`);
  switch (key) {
    case 'host': return checkHost(value, label);
    case 'security':
      if (!isSecurity(value)) throw invalidArgument(`${label} must be tls, starttls or none, got '${value.slice(0, 40)}'`);
      return value;
    case 'username': return checkText(value, label, 320, true);
    case 'path': return checkText(value, label, 1024, true);
    case 'url': return value === '' ? '' : checkUrl(value, label).href;
    case 'ca': return value === '' ? '' : checkAbsolutePath(value, label);
    case 'hostkey':
      if (value !== '' && !HOST_KEY.test(value)) throw invalidArgument(`${label} must be a host key as OpenSSH prints it (SHA256:…) or empty`);
      return value;
  }
}

/**
 * Resolves the effective settings of one protocol from layers, lowest first (provider
 * defaults, then the account's own). `label(key)` names a key in error messages.
 */
export function resolveSettings(protocol: Protocol, layers: RawSettings[], label: (key: SettingKey) => string): ProtocolSettings {
  const spec = PROTOCOL_SPECS[protocol];
  const merged: RawSettings = {};
  for (const layer of layers) {
    for (const key of spec.keys) if (layer[key] !== undefined) merged[key] = layer[key];
  }
  // A URL set in an upper layer wins over host/port set below it, and the other way round.
  if (spec.urlBased) {
    const urlLayer = layers.findLastIndex((l) => l.url !== undefined && l.url !== '');
    const hostLayer = layers.findLastIndex((l) => l.host !== undefined);
    if (hostLayer > urlLayer) merged.url = undefined;
  }
  const get = <T extends string | number>(key: SettingKey): T | undefined =>
    merged[key] === undefined ? undefined : (checkSetting(key, merged[key], label(key)) as T);

  const out: ProtocolSettings = {
    host: '', port: 0, security: spec.hasSecurity ? 'tls' : '', username: get<string>('username') ?? '',
    path: get<string>('path') ?? '', url: '', ca: get<string>('ca') ?? '', hostKey: get<string>('hostkey') ?? '',
  };
  const url = spec.urlBased ? get<string>('url') : undefined;
  if (url) {
    const u = new URL(url);
    out.security = u.protocol === 'https:' ? 'tls' : 'none';
    out.host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    out.port = u.port ? Number(u.port) : spec.defaultPort(out.security);
    out.path = u.pathname;
    out.url = u.href;
    return out;
  }
  const host = get<string>('host');
  if (!host) throw invalidArgument(`${label('host')} is required: no server is known for ${spec.title}`);
  out.host = host;
  if (spec.hasSecurity) out.security = get<Security>('security') ?? 'tls';
  out.port = get<number>('port') ?? spec.defaultPort(out.security as Security);
  // Switching security without naming a port moves a default port along (993 → 143).
  const securityLayer = layers.findLastIndex((l) => l.security !== undefined);
  const portLayer = layers.findLastIndex((l) => l.port !== undefined);
  if (spec.hasSecurity && securityLayer > portLayer && portLayer >= 0) {
    const below = layers.slice(0, securityLayer).findLast((l) => l.security !== undefined)?.security ?? 'tls';
    if (isSecurity(String(below)) && out.port === spec.defaultPort(below as Security)) {
      out.port = spec.defaultPort(out.security as Security);
    }
  }
  if (spec.urlBased) {
    if (out.security === 'starttls') throw invalidArgument(`${label('security')}: ${spec.title} supports tls or none`);
    const scheme = out.security === 'tls' ? 'https' : 'http';
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const path = out.path.startsWith('/') ? out.path : '/' + out.path;
    out.url = new URL(`${scheme}://${hostPart}:${out.port}${path}`).href;
    out.path = new URL(out.url).pathname;
  }
  return out;
}
