/**
 * The last guess: the usual host names of the domain on the TLS ports (IMAP 993, SMTP 465,
 * POP3 995), each connected to with a certificate that must be valid for that host, and
 * answering with the protocol's greeting. Nothing about the person is sent. Trusted: the
 * domain's own DNS named hosts inside it, and their certificates were valid.
 */
import { tlsGreets } from '../net/greeting.js';
import { trusted } from '../trust.js';
import type { Found, MailProtocol, SourceContext } from '../types.js';

const GUESSES: Array<[MailProtocol, string[], number]> = [
  ['imap', ['imap', 'mail'], 993],
  ['smtp', ['smtp', 'mail'], 465],
  ['pop3', ['pop', 'pop3', 'mail'], 995],
];

export async function guessSource(ctx: SourceContext): Promise<Found | undefined> {
  if (!ctx.probe) {
    ctx.note('guess: not probed (probe = false)');
    return undefined;
  }
  const d = ctx.address.domain;
  const found: Found = {
    source: 'guess',
    domain: d,
    trusted: false,
    provider: '',
    auth: 'password',
    servers: {},
    urls: {},
  };
  const failed: string[] = [];
  await Promise.all(
    GUESSES.map(async ([protocol, prefixes, port]) => {
      const tries = prefixes
        .map((p) => `${p}.${d}`)
        .map((host) =>
          tlsGreets(protocol, host, port, ctx.requestMs, ctx.signal).then(
            () => host,
            (err: Error) => {
              failed.push(`${host}:${port}: ${err.message}`);
              return undefined;
            },
          ),
        );
      for (const t of tries) {
        const host = await t;
        if (host) {
          found.servers[protocol] = { host, port, security: 'tls', username: ctx.address.address };
          return;
        }
      }
    }),
  );
  if (!found.servers.imap && !found.servers.pop3) {
    ctx.note(`guess: no IMAP or POP3 server with a valid certificate (${failed.sort().join(', ')})`);
    return undefined;
  }
  found.trusted = trusted([{ kind: 'dns', domain: d, hosts: Object.values(found.servers).map((s) => s.host) }]);
  return found;
}
