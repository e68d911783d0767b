/**
 * The sender identity of a mail account (docs/identity.md): a display name, an address and
 * aliases. Account-level fields, not a protocol: it has no server, no secret and no check, so
 * it is kept beside the account (AccountConfig.identity, the file's [identity] section) and
 * shown on the bus as org.pantherx.Accounts.Identity while a mail protocol is enabled.
 */
import { invalidArgument } from '../errors.js';
import { checkText } from '../util/validate.js';

export const IDENTITY_IFACE = 'org.pantherx.Accounts.Identity';
/** The protocols that make an account a mail account. */
export const MAIL_PROTOCOLS = ['imap', 'pop3', 'smtp'] as const;
export const IDENTITY_KEYS = ['name', 'address', 'aliases'] as const;

/** What was set; empty fields are not stored. */
export interface Identity {
  name?: string;
  address?: string;
  aliases?: string[];
}

const MAX_NAME = 256;
const MAX_ADDRESS = 320;
const MAX_ALIASES = 64;
/** A plain address: something@domain, no spaces, no angle brackets. */
const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;

export const isMailAccount = (protocols: readonly string[]) =>
  protocols.some((p) => (MAIL_PROTOCOLS as readonly string[]).includes(p));

export function checkAddress(value: string, what: string): string {
  checkText(value, what, MAX_ADDRESS);
  if (!ADDRESS.test(value)) throw invalidArgument(`${what} '${value.slice(0, 80)}' is not an e-mail address`);
  return value;
}

export function checkIdentityName(value: string, what: string): string {
  return checkText(value, what, MAX_NAME, true);
}

export function checkAliases(values: readonly string[], what: string): string[] {
  if (values.length > MAX_ALIASES)
    throw invalidArgument(`${what} has ${values.length} addresses, at most ${MAX_ALIASES}`);
  const out: string[] = [];
  for (const v of values.map((x) => x.trim()).filter(Boolean)) {
    checkAddress(v, what);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** Drops empty fields, so an identity set back to nothing leaves no trace. */
export function compactIdentity(identity: Identity): Identity | undefined {
  const out: Identity = {};
  if (identity.name) out.name = identity.name;
  if (identity.address) out.address = identity.address;
  if (identity.aliases?.length) out.aliases = identity.aliases;
  return Object.keys(out).length ? out : undefined;
}

/** The identity apps see: the address defaults to the user name when that is an address. */
export function effectiveIdentity(identity: Identity | undefined, username: string): Required<Identity> {
  return {
    name: identity?.name ?? '',
    address: identity?.address || (ADDRESS.test(username) ? username : ''),
    aliases: identity?.aliases ?? [],
  };
}

/** The [identity] section of an account file (tolerant: a bad value is a reason to refuse the file). */
export function parseIdentitySection(section: Record<string, unknown>): Identity | undefined {
  const text = (key: string): string | undefined => {
    const v = section[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw new Error(`[identity] ${key} is not a single value`);
    return v;
  };
  const name = text('name');
  const address = text('address');
  const aliases = text('aliases');
  try {
    return compactIdentity({
      name: name === undefined ? undefined : checkIdentityName(name, '[identity] name'),
      address: address === undefined ? undefined : checkAddress(address, '[identity] address'),
      aliases: aliases === undefined ? undefined : checkAliases(aliases.split(','), '[identity] aliases'),
    });
  } catch (err) {
    throw new Error((err as Error).message, { cause: err });
  }
}

/** The [identity] section written for an identity (undefined: no section). */
export function identitySection(identity: Identity | undefined): Record<string, string> | undefined {
  if (!identity) return undefined;
  const out: Record<string, string> = {};
  if (identity.name) out.name = identity.name;
  if (identity.address) out.address = identity.address;
  if (identity.aliases?.length) out.aliases = identity.aliases.join(', ');
  return out;
}

/** One `identity.<key>` option of AddAccount/Update, checked (a string, or `as`/comma-separated for aliases). */
export function parseIdentityOption(key: string, v: { signature: string; value: unknown }, into: Identity): void {
  const field = key.slice('identity.'.length);
  const wrong = (sig: string) =>
    invalidArgument(
      `option ${key} must be ${sig === 'as' ? "a list of strings (type 'as') or a comma-separated string" : "a string (type 's')"}, got type '${v.signature}'`,
    );
  switch (field) {
    case 'name':
      if (v.signature !== 's') throw wrong('s');
      into.name = checkIdentityName(v.value as string, `option ${key}`);
      return;
    case 'address':
      if (v.signature !== 's') throw wrong('s');
      into.address = v.value === '' ? '' : checkAddress(v.value as string, `option ${key}`);
      return;
    case 'aliases':
      if (v.signature === 'as') into.aliases = checkAliases(v.value as string[], `option ${key}`);
      else if (v.signature === 's') into.aliases = checkAliases((v.value as string).split(','), `option ${key}`);
      else throw wrong('as');
      return;
  }
  throw invalidArgument(
    `option ${key.slice(0, 60)} is not a setting of the sender identity (identity.name, identity.address, identity.aliases)`,
  );
}

/** An identity changed by options: given fields replace, empty ones clear. */
export function mergeIdentity(
  current: Identity | undefined,
  changes: Identity | undefined,
  protocols: readonly string[],
): Identity | undefined {
  if (!changes) return current;
  if (!isMailAccount(protocols))
    throw invalidArgument('options identity.* are for mail accounts (IMAP, POP3 or SMTP enabled)');
  return compactIdentity({ ...current, ...changes });
}
