/**
 * DNS SRV records of the address's domain: RFC 6186 and RFC 8314 for mail (_imaps, _imap,
 * _submissions, _submission, _pop3s; a target of "." means the service is not offered) and
 * RFC 6764 for CalDAV and CardDAV (_caldavs, _carddavs, with the context path in a TXT record
 * `path=`, else /.well-known/). Trusted only when every target is inside the domain.
 */
import { trusted } from '../trust.js';
import type { Found, MailProtocol, Security, SourceContext } from '../types.js';

/** Per protocol, the services in order of preference, with the security each implies. */
const MAIL: Array<[MailProtocol, Array<[service: string, security: Security]>]> = [
  [
    'imap',
    [
      ['_imaps._tcp', 'tls'],
      ['_imap._tcp', 'starttls'],
    ],
  ],
  [
    'smtp',
    [
      ['_submissions._tcp', 'tls'],
      ['_submission._tcp', 'starttls'],
    ],
  ],
  ['pop3', [['_pop3s._tcp', 'tls']]],
];
const DAV: Array<['caldav' | 'carddav', string]> = [
  ['caldav', '_caldavs._tcp'],
  ['carddav', '_carddavs._tcp'],
];

const clean = (name: string) => name.toLowerCase().replace(/\.$/, '');
const PATH = /^path=(\/[\x21-\x7e]{0,1023})$/;

export async function srvSource(ctx: SourceContext): Promise<Found | undefined> {
  const d = ctx.address.domain;
  const names = [...MAIL.flatMap(([, services]) => services.map(([s]) => s)), ...DAV.map(([, s]) => s)];
  const answers = new Map(await Promise.all(names.map(async (s) => [s, await ctx.dns.srv(`${s}.${d}`)] as const)));
  const found: Found = {
    source: 'srv',
    domain: d,
    trusted: false,
    provider: '',
    auth: 'password',
    servers: {},
    urls: {},
  };
  const hosts: string[] = [];
  for (const [protocol, services] of MAIL) {
    for (const [service, security] of services) {
      const best = answers.get(service)?.[0];
      if (!best) continue;
      const target = clean(best.name);
      if (target === '' || target === '.') continue; // "not offered": the next form may be
      found.servers[protocol] = { host: target, port: best.port, security, username: ctx.address.address };
      hosts.push(target);
      break;
    }
  }
  await Promise.all(
    DAV.map(async ([protocol, service]) => {
      const best = answers.get(service)?.[0];
      const target = best ? clean(best.name) : '';
      if (!best || target === '' || target === '.') return;
      const txt = await ctx.dns.txt(`${service}.${d}`).catch(() => []);
      const path = txt.map((t) => PATH.exec(t)?.[1]).find(Boolean) ?? `/.well-known/${protocol}`;
      found.urls[protocol] = `https://${target}${best.port === 443 ? '' : `:${best.port}`}${path}`;
      hosts.push(target);
    }),
  );
  if (hosts.length === 0) {
    ctx.note(`srv: no SRV records under ${d}`);
    return undefined;
  }
  found.trusted = trusted([{ kind: 'dns', domain: d, hosts }]);
  return found;
}
