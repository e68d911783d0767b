/**
 * The trust rules, in one place. An answer is trusted only when every hop that produced it was
 * HTTPS with a valid certificate, or the address's own domain's DNS pointing inside that domain.
 * Settings found through MX, over plain HTTP or pointing to a server in another domain are not.
 * No answer ever carries plaintext: a server offered only in plaintext is upgraded to STARTTLS
 * where it offers STARTTLS, otherwise left out.
 */
import type { Found, MailProtocol, MailServer } from './types.js';

/** `host` is `domain` or below it (imap.example.org inside example.org; badexample.org is not). */
export function inside(host: string, domain: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/\.$/, '');
  return h === d || h.endsWith(`.${d}`);
}

/** One step on the way to an answer. */
export type Hop =
  | { kind: 'shipped' } // the catalogue and the database, installed with the service
  | { kind: 'https' } // an HTTPS request whose certificate was valid for its host
  | { kind: 'http' } // plain HTTP: anyone on the way could have written the answer
  | { kind: 'mx' } // another domain's settings, chosen because it receives the mail
  | { kind: 'dns'; domain: string; hosts: readonly string[] }; // records of `domain` naming `hosts`

/** Whether an answer reached through `hops` is trusted: all of them must be. */
export function trusted(hops: readonly Hop[]): boolean {
  return (
    hops.length > 0 &&
    hops.every((h) => {
      switch (h.kind) {
        case 'shipped':
        case 'https':
          return true;
        case 'http':
        case 'mx':
          return false;
        case 'dns':
          return h.hosts.length > 0 && h.hosts.every((host) => inside(host, h.domain));
      }
    })
  );
}

/** Asks a server in plaintext whether it offers STARTTLS (IMAP CAPABILITY, SMTP EHLO, POP3 CAPA). */
export type StartTlsProbe = (protocol: MailProtocol, host: string, port: number) => Promise<boolean>;

/** The port a plaintext server's STARTTLS is asked on: its own (143, 587, 110 serve both). */
export const STARTTLS_PORT_OF_PLAIN: Record<MailProtocol, (port: number) => number> = {
  imap: (p) => p,
  smtp: (p) => (p === 25 ? 587 : p),
  pop3: (p) => p,
};

/**
 * Applies the plaintext rule to an answer: every 'none' server becomes 'starttls' if `probe`
 * says the server offers it, else it is removed. Returns what was done, for the notes.
 */
export async function noPlaintext(found: Found, probe: StartTlsProbe | undefined): Promise<string[]> {
  const notes: string[] = [];
  for (const [p, s] of Object.entries(found.servers) as Array<[MailProtocol, MailServer]>) {
    if (s.security !== 'none') continue;
    const port = STARTTLS_PORT_OF_PLAIN[p](s.port);
    const offered = probe ? await probe(p, s.host, port).catch(() => false) : false;
    if (offered) {
      found.servers[p] = { ...s, port, security: 'starttls' };
      notes.push(`${p} ${s.host}:${port} offered only in plaintext: upgraded to STARTTLS, which the server offers`);
    } else {
      delete found.servers[p];
      notes.push(
        `${p} ${s.host}:${s.port} offered only in plaintext${probe ? ' and the server does not offer STARTTLS' : ' (not probed)'}: left out`,
      );
    }
  }
  for (const [p, url] of Object.entries(found.urls)) {
    if (!url.startsWith('https://')) {
      delete found.urls[p as keyof Found['urls']];
      notes.push(`${p} ${url} is not HTTPS: left out`);
    }
  }
  return notes;
}

/** Whether an answer still offers anything. */
export const offersSomething = (f: Found): boolean => Object.keys(f.servers).length + Object.keys(f.urls).length > 0;
