/** What px-accounts knows about each protocol: its interface, settings and default ports. */
export const PROTOCOLS = ['imap', 'smtp', 'pop3', 'caldav', 'carddav', 'sftp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const SECURITIES = ['tls', 'starttls', 'none'] as const;
export type Security = (typeof SECURITIES)[number];

/** Settings keys a protocol accepts in options (`<protocol>.<key>`) and in its INI section. */
export type SettingKey = 'host' | 'port' | 'security' | 'username' | 'path' | 'url' | 'ca' | 'hostkey';

export interface ProtocolSpec {
  readonly id: Protocol;
  readonly title: string;
  readonly iface: string;
  readonly keys: readonly SettingKey[];
  /** DAV protocols are addressed by URL; host, port, security and path derive from it. */
  readonly urlBased: boolean;
  /** SFTP always runs over SSH: it has no security setting. */
  readonly hasSecurity: boolean;
  defaultPort(security: Security): number;
}

const mail = (id: Protocol, title: string, tls: number, starttls: number, none: number): ProtocolSpec => ({
  id, title, iface: `org.pantherx.Accounts.${title === 'IMAP' ? 'Imap' : title === 'SMTP' ? 'Smtp' : 'Pop3'}`,
  keys: id === 'imap' ? ['host', 'port', 'security', 'username', 'path', 'ca'] : ['host', 'port', 'security', 'username', 'ca'],
  urlBased: false, hasSecurity: true,
  defaultPort: (s) => (s === 'tls' ? tls : s === 'starttls' ? starttls : none),
});

const dav = (id: Protocol, title: string, iface: string): ProtocolSpec => ({
  id, title, iface, keys: ['host', 'port', 'security', 'username', 'path', 'url', 'ca'],
  urlBased: true, hasSecurity: true,
  defaultPort: (s) => (s === 'none' ? 80 : 443),
});

export const PROTOCOL_SPECS: Readonly<Record<Protocol, ProtocolSpec>> = {
  imap: mail('imap', 'IMAP', 993, 143, 143),
  smtp: mail('smtp', 'SMTP', 465, 587, 25),
  pop3: mail('pop3', 'POP3', 995, 110, 110),
  caldav: dav('caldav', 'CalDAV', 'org.pantherx.Accounts.CalDav'),
  carddav: dav('carddav', 'CardDAV', 'org.pantherx.Accounts.CardDav'),
  sftp: {
    id: 'sftp', title: 'SFTP', iface: 'org.pantherx.Accounts.Sftp', keys: ['host', 'port', 'username', 'path', 'hostkey'],
    urlBased: false, hasSecurity: false, defaultPort: () => 22,
  },
};

export const isProtocol = (s: string): s is Protocol => (PROTOCOLS as readonly string[]).includes(s);
export const isSecurity = (s: string): s is Security => (SECURITIES as readonly string[]).includes(s);
