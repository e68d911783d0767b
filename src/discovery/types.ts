/** What discovery finds, and how each source reports it. */
import type { Dns } from './net/dns.js';

/** The protocols discovery can find settings for. */
export const MAIL_PROTOCOLS = ['imap', 'smtp', 'pop3'] as const;
export const DAV_PROTOCOLS = ['caldav', 'carddav'] as const;
export const DISCOVERABLE = [...MAIL_PROTOCOLS, ...DAV_PROTOCOLS] as const;
export type MailProtocol = (typeof MAIL_PROTOCOLS)[number];
export type DavProtocol = (typeof DAV_PROTOCOLS)[number];
export type Discoverable = (typeof DISCOVERABLE)[number];

/** Where an answer came from, in the order answers are preferred. */
export const SOURCES = ['catalogue', 'database', 'autoconfig', 'srv', 'ispdb', 'mx', 'guess'] as const;
export type SourceName = (typeof SOURCES)[number];

export type Security = 'tls' | 'starttls' | 'none';

export interface MailServer {
  host: string;
  port: number;
  /** 'none' only until the plaintext rule (trust.ts) upgrades or drops it. */
  security: Security;
  /** The user name, placeholders already expanded. */
  username: string;
}

/** One source's answer for one domain. */
export interface Found {
  source: SourceName;
  /** The domain whose published configuration this is. */
  domain: string;
  trusted: boolean;
  /** A catalogue id, or ''. */
  provider: string;
  auth: 'password' | 'oauth2';
  servers: Partial<Record<MailProtocol, MailServer>>;
  urls: Partial<Record<DavProtocol, string>>;
}

/** The e-mail address being looked up. */
export interface Address {
  /** As given, with the domain lower-cased and in ASCII (punycode). */
  address: string;
  local: string;
  domain: string;
}

/** What one source was given: the address, the time it has, and where to note what it tried. */
export interface SourceContext {
  readonly address: Address;
  /** Aborted at the overall deadline, or when a better answer made this one moot. */
  readonly signal: AbortSignal;
  /** Each network request's own bound. */
  readonly requestMs: number;
  /** Connecting to servers (probing host names, asking for STARTTLS) is allowed. */
  readonly probe: boolean;
  /** DNS with the same bounds, cancelled with the signal. */
  readonly dns: Dns;
  /** Notes what was tried and how it went, for NotFound's message and the CLI. */
  note(what: string): void;
}

/** A source: given an address, an answer or undefined (nothing published). It may throw. */
export type Source = (ctx: SourceContext) => Promise<Found | undefined>;
