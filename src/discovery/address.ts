/** An e-mail address as discovery needs it: local part and an ASCII, lower-case domain. */
import { domainToASCII } from 'node:url';
import { invalidArgument } from '../errors.js';
import type { Address } from './types.js';

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Throws InvalidArgument unless `text` is one e-mail address with a domain that has a dot. */
export function parseAddress(text: string): Address {
  const bad = (why: string) => invalidArgument(`'${text.slice(0, 80)}' is not an e-mail address: ${why}`);
  if (typeof text !== 'string' || text.length === 0)
    throw invalidArgument('address must be an e-mail address, got an empty string');
  if (text.length > 320) throw bad('longer than 320 characters');
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) throw bad('it needs a local part, @ and a domain');
  const local = text.slice(0, at);
  if (!LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..'))
    throw bad('the part before @ has characters an address cannot have');
  const domain = domainToASCII(text.slice(at + 1).replace(/\.$/, '')).toLowerCase();
  if (!domain || domain.length > 253) throw bad('the domain is not a valid name');
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) throw bad('the domain is not a valid name with a dot');
  return { address: `${local}@${domain}`, local, domain };
}

/** The placeholders of Thunderbird's config files, expanded. */
export function expand(template: string, a: Address): string {
  return template
    .replaceAll('%EMAILADDRESS%', a.address)
    .replaceAll('%EMAILLOCALPART%', a.local)
    .replaceAll('%EMAILDOMAIN%', a.domain);
}
