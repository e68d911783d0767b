/**
 * The plaintext inside an export file (docs/export.md): a versioned JSON document. Each account
 * travels as its file's text, so everything the file holds (settings, sender identity,
 * discovery source, keys a person or another version added) goes along and is read back by
 * the same parser as a file copied by hand; secrets travel by name beside it.
 */
import { invalidArgument } from '../errors.js';
import { parseRecord, type TokenRecord } from '../oauth2/tokens.js';

export const FORMAT = 'px-accounts-export';
export const VERSION = 1;
/** More is not an export of one person's accounts. */
export const MAX_ACCOUNTS = 10_000;

export interface ExportedAccount {
  /** The account's id where it was exported; kept on import unless taken. */
  id: string;
  /** The text of <id>.ini. */
  ini: string;
  /** Secrets by name (with the option secrets), never the OAuth2 grant. */
  secrets?: Record<string, string>;
  /** An OAuth2 account's grant: the `oauth2` secret (refresh token, client, scopes). */
  oauth2?: TokenRecord;
}

export interface ExportDocument {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** When, ISO 8601. */
  exported: string;
  /** Whether secrets were asked for. */
  secrets: boolean;
  accounts: ExportedAccount[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A document read from a decrypted file; throws InvalidArgument saying what is wrong with it. */
export function parseDocument(text: string): ExportDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalidArgument('the file decrypts, but not to a px-accounts export (not JSON)');
  }
  if (!isObject(doc) || doc.format !== FORMAT)
    throw invalidArgument(`the file decrypts, but not to a px-accounts export (no "format": "${FORMAT}")`);
  if (doc.version !== VERSION)
    throw invalidArgument(
      `the export is version ${String(doc.version).slice(0, 20)}; this service reads version ${VERSION}`,
    );
  if (!Array.isArray(doc.accounts)) throw invalidArgument('the export has no list of accounts');
  if (doc.accounts.length > MAX_ACCOUNTS)
    throw invalidArgument(`the export holds ${doc.accounts.length} accounts, at most ${MAX_ACCOUNTS} are read`);
  const accounts = doc.accounts.map((a, i) => parseAccount(a, i));
  return {
    format: FORMAT,
    version: VERSION,
    exported: typeof doc.exported === 'string' ? doc.exported : '',
    secrets: doc.secrets === true,
    accounts,
  };
}

function parseAccount(a: unknown, i: number): ExportedAccount {
  const where = `account ${i + 1} of the export`;
  if (!isObject(a) || typeof a.id !== 'string' || typeof a.ini !== 'string')
    throw invalidArgument(`${where} has no id or ini text`);
  const out: ExportedAccount = { id: a.id, ini: a.ini };
  if (a.secrets !== undefined) {
    if (!isObject(a.secrets) || !Object.values(a.secrets).every((v) => typeof v === 'string'))
      throw invalidArgument(`${where}: secrets must map names to strings`);
    out.secrets = Object.fromEntries(Object.entries(a.secrets)) as Record<string, string>;
  }
  if (a.oauth2 !== undefined) {
    try {
      out.oauth2 = parseRecord(JSON.stringify(a.oauth2));
    } catch {
      throw invalidArgument(`${where}: its OAuth2 grant is incomplete`);
    }
  }
  return out;
}
