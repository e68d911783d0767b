/**
 * <id>.ini ↔ AccountConfig. Parsing is tolerant of hand edits (defaults come from the
 * provider catalogue) but refuses files it cannot make sense of; writing keeps every key and
 * section a person added.
 */
import ini from 'ini';
import { ACCOUNT_ID, type AccountConfig } from '../model/account.js';
import { AUTH_METHODS, type AuthMethod } from '../contract/names.js';
import type { Settings } from '../protocols/plugin.js';
import { findProtocol, requireProtocol } from '../protocols/registry.js';
import { checkSecretName, checkText } from '../util/validate.js';
import { iniList, isSection, parseIni } from '../util/ini.js';
import { substitute, type Catalogue } from '../providers/catalogue.js';
import { identitySection, parseIdentitySection } from '../model/identity.js';
import { certificatesSection, parseCertificatesSection } from '../model/certificates.js';
import { parseDataSection } from '../model/app-data.js';
import { parseMuted } from '../model/muted.js';

/** The parsed INI document, kept so unknown keys survive a rewrite. */
export type IniDoc = Record<string, unknown>;

export interface ParsedAccountFile {
  config: AccountConfig;
  doc: IniDoc;
  /** Things that were ignored, worth a log line. */
  warnings: string[];
}

/** Throws an Error whose message says what is wrong with the file. */
export function parseAccountFile(id: string, text: string, catalogue: Catalogue): ParsedAccountFile {
  if (!ACCOUNT_ID.test(id)) throw new Error(`'${id}' is not a valid account id (letters, digits and '_' only)`);
  if (text.includes('\u0000')) throw new Error('the file is binary, not INI text');
  const doc = parseIni(text);
  const head = doc.account;
  if (!isSection(head)) throw new Error('there is no [account] section');
  const field = (key: string, max: number, required: boolean): string => {
    const raw = head[key];
    if (raw === undefined || raw === '') {
      if (required) throw new Error(`[account] ${key} is missing`);
      return '';
    }
    if (typeof raw !== 'string' && typeof raw !== 'boolean' && raw !== null)
      throw new Error(`[account] ${key} is not a single value`);
    return checkText(String(raw), `[account] ${key}`, max);
  };
  const provider = field('provider', 64, true);
  const username = field('username', 320, true);
  const name = field('name', 256, false) || username;
  const auth = field('auth', 16, false) || 'password';
  if (!(AUTH_METHODS as readonly string[]).includes(auth))
    throw new Error(`[account] auth must be ${AUTH_METHODS.join(' or ')}, got '${auth}'`);
  const warnings: string[] = [];
  const protocols: string[] = [];
  for (const p of iniList(head.protocols, '[account] protocols').map((s) => s.toLowerCase())) {
    if (findProtocol(p)) {
      if (!protocols.includes(p)) protocols.push(p);
    } else {
      warnings.push(`unknown protocol '${p}' ignored`);
    }
  }
  const servers = catalogue.get(provider)?.servers ?? {};
  const settings: Record<string, Settings> = {};
  for (const p of protocols) {
    const own = isSection(doc[p]) ? doc[p] : {};
    const defaults = servers[p] ? substitute(servers[p], username) : {};
    settings[p] = requireProtocol(p, 'protocols').resolve([defaults, own], (key) => `[${p}] ${key}`);
  }
  const credentials: string[] = [];
  for (const c of iniList(head.credentials, '[account] credentials')) {
    try {
      credentials.push(checkSecretName(c));
    } catch {
      warnings.push(`invalid credential name ignored`);
    }
  }
  const config: AccountConfig = {
    id,
    name,
    provider,
    username,
    protocols,
    settings,
    credentials,
    auth: auth as AuthMethod,
  };
  // where discovery found the settings (AddAccount with no provider): kept, shown, never used to connect
  const source = field('source', 32, false);
  if (source) config.discovered = { source, domain: field('domain', 253, false) };
  // the sender identity (docs/identity.md): account-level, not a protocol
  const identity = isSection(doc.identity) ? parseIdentitySection(doc.identity) : undefined;
  if (identity) config.identity = identity;
  // certificates the person accepted (docs/discovery.md): account-level, by server
  const certificates = isSection(doc.certificates) ? parseCertificatesSection(doc.certificates, warnings) : undefined;
  if (certificates) config.certificates = certificates;
  // Cozy's fields: muted kinds of failure, apps' notes, the account this one is reached through
  const muted = parseMuted(field('muted', 1024, false));
  if (muted.length) config.muted = muted;
  const data = isSection(doc.data) ? parseDataSection(doc.data) : undefined;
  if (data) config.data = data;
  const parent = field('parent', 200, false);
  // never dropped with a warning: checks would then bypass the proxy or VPN the person named
  if (parent && !ACCOUNT_ID.test(parent))
    throw new Error(`[account] parent '${parent.slice(0, 60)}' is not an account id`);
  if (parent) config.parent = parent;
  return { config, doc, warnings };
}

/** The file text for a configuration, merged into the document it was read from. */
export function serializeAccount(config: AccountConfig, previous: IniDoc = {}): string {
  const doc: IniDoc = structuredClone(previous);
  const head = isSection(doc.account) ? doc.account : {};
  delete doc.account;
  const account: Record<string, unknown> = {
    ...head,
    name: config.name,
    provider: config.provider,
    username: config.username,
    protocols: config.protocols.join(', '),
  };
  if (config.auth === 'oauth2') account.auth = config.auth;
  else delete account.auth;
  if (config.credentials.length) account.credentials = config.credentials.join(', ');
  else delete account.credentials;
  if (config.discovered) Object.assign(account, { source: config.discovered.source, domain: config.discovered.domain });
  else {
    delete account.source;
    delete account.domain;
  }
  if (config.muted?.length) account.muted = config.muted.join(', ');
  else delete account.muted;
  if (config.parent) account.parent = config.parent;
  else delete account.parent;
  // [account] first, then the enabled protocols in the account's order, then whatever else was there.
  const out: IniDoc = { account };
  for (const p of config.protocols) {
    const s = config.settings[p];
    const plugin = findProtocol(p);
    if (!s || !plugin) continue;
    const section = isSection(doc[p]) ? { ...doc[p] } : {};
    for (const spec of plugin.settings) delete section[spec.key];
    out[p] = { ...section, ...Object.fromEntries(Object.entries(plugin.stored(s)).map(([k, v]) => [k, String(v)])) };
    delete doc[p];
  }
  // [identity]: ours replaced, a person's own keys there kept
  const kept: Record<string, unknown> = isSection(doc.identity) ? { ...doc.identity } : {};
  for (const k of ['name', 'address', 'aliases']) delete kept[k];
  const identity = identitySection(config.identity);
  delete doc.identity;
  if (identity || Object.keys(kept).length) out.identity = { ...kept, ...identity };
  // [certificates] is the accepted certificates, all of them in config.certificates
  delete doc.certificates;
  const certificates = certificatesSection(config.certificates);
  if (certificates) out.certificates = certificates;
  // [data] is the apps' notes, all of them in config.data
  delete doc.data;
  if (config.data) out.data = { ...config.data };
  Object.assign(out, doc);
  return ini.stringify(out, { whitespace: true });
}
