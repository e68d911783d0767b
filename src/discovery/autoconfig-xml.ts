/**
 * Thunderbird's autoconfig format (config-v1.1.xml), read defensively: a size cap, no DTD and
 * no entities (a document declaring either is refused, so no expansion can happen), the
 * `<domain>` list must name the domain asked about, placeholders are expanded, and only what
 * the service can use is kept: the first usable IMAP, POP3 and SMTP server of each kind.
 */
import { XMLParser } from 'fast-xml-parser';
import { textOf } from '../util/text.js';
import { expand } from './address.js';
import type { Address, MailProtocol, MailServer, Security } from './types.js';

export const MAX_XML = 256 * 1024;

export interface ParsedConfig {
  /** Every <domain> the file says it is for, lower-case. */
  domains: string[];
  servers: Partial<Record<MailProtocol, MailServer>>;
  /** Only OAuth2 is offered for the servers chosen. */
  oauth2Only: boolean;
}

export class ConfigError extends Error {}

const SOCKET: Record<string, Security> = { ssl: 'tls', tls: 'tls', starttls: 'starttls', plain: 'none' };
const HOST = /^[A-Za-z0-9.-]{1,253}$/;
const ENTITY: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function text(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number') {
    return String(v)
      .trim()
      .replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (_, e: string) =>
        e.startsWith('#') ? codePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITY[e]!,
      );
  }
  if (v && typeof v === 'object' && '#text' in v) return text((v as Record<string, unknown>)['#text']);
  return '';
}
/** A character reference; nothing for one that names no character (the value is then refused as invalid). */
const codePoint = (n: number): string => (n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '\u0000');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Parses a config file for `forDomain`; throws ConfigError saying why it cannot be used. */
export function parseConfig(xml: string, forDomain: string, address: Address): ParsedConfig {
  if (xml.length > MAX_XML) throw new ConfigError(`the file is too large (${xml.length} bytes, at most ${MAX_XML})`);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml))
    throw new ConfigError('the file declares a DTD or entities, which a config file never needs');
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      processEntities: false,
      ignoreDeclaration: true,
      ignorePiTags: true,
      parseTagValue: false,
      trimValues: true,
      isArray: (name) =>
        ['emailProvider', 'domain', 'incomingServer', 'outgoingServer', 'authentication'].includes(name),
    }).parse(xml, true) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`not XML: ${(err as Error).message.split('\n')[0]}`);
  }
  const root = doc.clientConfig as Record<string, unknown> | undefined;
  const provider = list(root?.emailProvider)[0] as Record<string, unknown> | undefined;
  if (!provider) throw new ConfigError('no <clientConfig><emailProvider>');
  const domains = list(provider.domain)
    .map((d) => text(d).toLowerCase().replace(/\.$/, ''))
    .filter(Boolean);
  if (!domains.includes(forDomain)) {
    throw new ConfigError(`it is for ${domains.slice(0, 5).join(', ') || 'no domain'}, not ${forDomain}`);
  }
  const servers: ParsedConfig['servers'] = {};
  let oauth2Only = false;
  const take = (entry: unknown, kind: 'incoming' | 'outgoing') => {
    const e = entry as Record<string, unknown>;
    const type = textOf(e['@_type']).toLowerCase();
    const protocol =
      kind === 'outgoing'
        ? type === 'smtp'
          ? 'smtp'
          : undefined
        : type === 'imap' || type === 'pop3'
          ? type
          : undefined;
    if (!protocol) return;
    const host = expand(text(e.hostname), address).toLowerCase();
    const port = Number(text(e.port));
    const security = SOCKET[text(e.socketType).toLowerCase()];
    if (!HOST.test(host) || !Number.isInteger(port) || port < 1 || port > 65535 || !security) return;
    const auths = list(e.authentication).map((a) => text(a).toLowerCase());
    const server: MailServer = {
      host,
      port,
      security,
      username: expand(text(e.username) || '%EMAILADDRESS%', address),
    };
    const current = servers[protocol];
    // the file lists the provider's preference; an encrypted server beats a plaintext one listed first
    if (!current || (current.security === 'none' && security !== 'none')) {
      servers[protocol] = server;
      if (protocol !== 'smtp') oauth2Only = auths.length > 0 && auths.every((a) => a === 'oauth2');
    }
  };
  for (const e of list(provider.incomingServer)) take(e, 'incoming');
  for (const e of list(provider.outgoingServer)) take(e, 'outgoing');
  if (!servers.imap && !servers.pop3 && !servers.smtp) throw new ConfigError('it names no IMAP, POP3 or SMTP server');
  return { domains, servers, oauth2Only };
}
