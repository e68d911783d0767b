/**
 * Manager.Export and Manager.Import (docs/export.md): every account in one age file encrypted
 * with a passphrase, and back. An import decrypts and checks the whole file before it writes
 * anything; then each account is added on its own (Accounts.restore), whole or not at all,
 * and one that duplicates an existing account is reported, never overwritten.
 */
import type { Accounts } from '../accounts/accounts.js';
import type { Access } from '../access/access.js';
import type { Caller } from '../access/callers.js';
import { checkGrant } from '../access/policy.js';
import { AccountsError, invalidArgument } from '../errors.js';
import { log } from '../log.js';
import { ACCOUNT_ID, type AccountConfig } from '../model/account.js';
import { TOKEN_SECRET, type TokenRecord } from '../oauth2/tokens.js';
import { parseAccountFile, serializeAccount } from '../store/account-file.js';
import { decryptWithPassphrase, encryptWithPassphrase, unseal } from './age.js';
import { parentsFirst, resolveParent, type Outcome } from './parents.js';
import { FORMAT, parseDocument, VERSION, type ExportDocument, type ExportedAccount } from './document.js';

type Variants = Record<string, { signature: string; value: unknown }>;

/** An export of a few thousand accounts is a few MB; a D-Bus message holds at most 128 MiB. */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;

export interface Skipped {
  /** The account's id in the file. */
  id: string;
  /** Duplicate, Invalid, or the error kind that stopped it. */
  reason: string;
  message: string;
}

export interface ImportReport {
  imported: string[];
  skipped: Skipped[];
}

function exportOptions(options: Variants): { secrets: boolean } {
  let secrets = false;
  for (const [key, v] of Object.entries(options)) {
    if (key !== 'secrets')
      throw invalidArgument(`options: unknown option '${key.slice(0, 40)}' (Export takes secrets)`);
    if (v.signature !== 'b') throw invalidArgument(`options: secrets must be a boolean (b), got ${v.signature}`);
    secrets = v.value === true;
  }
  return { secrets };
}

/**
 * Export: the age file and how many accounts it holds. With secrets, the caller needs what
 * GetSecret needs for every account (a grant, or host apps allowed), and each secret handed out
 * is audited like GetSecret's (SecretAccessed, a log line with the app and pid).
 */
export async function exportAccounts(
  accounts: Accounts,
  sealed: Uint8Array,
  options: Variants,
  access: Access,
  caller: Caller,
): Promise<[Uint8Array, number]> {
  const { secrets } = exportOptions(options);
  // Provisioned accounts are the administrator's: the next machine provisions its own.
  const own = [...accounts.all()].filter((s) => !s.provisioned).sort((a, b) => a.config.id.localeCompare(b.config.id));
  if (secrets) for (const state of own) checkGrant(access.grants, caller, state.config.id, 'Export with secrets');
  const passphrase = await unseal(sealed);
  const entries: ExportedAccount[] = [];
  for (const state of own) {
    const entry: ExportedAccount = { id: state.config.id, ini: serializeAccount(state.config, state.doc) };
    if (secrets) {
      const values = await accounts.secretsOf(state.config.id);
      const grant = values[TOKEN_SECRET];
      delete values[TOKEN_SECRET];
      entry.secrets = values;
      // The grant, not the access tokens cached with it: they are short-lived, and the new machine gets its own.
      if (grant !== undefined) entry.oauth2 = { ...(JSON.parse(grant) as TokenRecord), tokens: {} };
    }
    entries.push(entry);
  }
  const doc: ExportDocument = {
    format: FORMAT,
    version: VERSION,
    exported: new Date().toISOString(),
    secrets,
    accounts: entries,
  };
  const file = await encryptWithPassphrase(JSON.stringify(doc, null, 2) + '\n', passphrase);
  log.info(
    `exported ${entries.length} accounts${secrets ? ' with their secrets' : ''} to ${caller.app} (pid ${caller.pid})`,
  );
  for (const entry of entries) {
    for (const name of Object.keys(entry.secrets ?? {})) access.handedOut(entry.id, name, caller);
    if (entry.oauth2) access.handedOut(entry.id, TOKEN_SECRET, caller);
  }
  return [file, entries.length];
}

/**
 * Import: every account of the file that is new here; the rest reported. Parents first, and
 * each account's parent resolved to one of this machine (src/transfer/parents.ts); a parent
 * that was here before needs what using it in AddAccount needs: a grant, or host apps allowed.
 */
export async function importAccounts(
  accounts: Accounts,
  file: Uint8Array,
  sealed: Uint8Array,
  options: Variants,
  access: Access,
  caller: Caller,
): Promise<ImportReport> {
  const unknown = Object.keys(options)[0];
  if (unknown !== undefined)
    throw invalidArgument(`options: unknown option '${unknown.slice(0, 40)}' (Import takes none yet)`);
  if (file.length > MAX_IMPORT_BYTES)
    throw invalidArgument(`file: ${file.length} bytes, at most ${MAX_IMPORT_BYTES} are read`);
  const passphrase = await unseal(sealed);
  const doc = parseDocument(await decryptWithPassphrase(file, passphrase));
  const report: ImportReport = { imported: [], skipped: [] };
  interface Entry {
    entry: ExportedAccount;
    label: string;
    parsed: ReturnType<typeof parseAccountFile>;
  }
  const usable: Entry[] = [];
  // every entry of the file by its id, with what became of it: a child's parent is looked up here first
  const fromFile = new Map<string, { config?: AccountConfig; outcome?: Outcome }>();
  for (const [index, entry] of doc.accounts.entries()) {
    // An id is the file's word: one that is not an account id (escape sequences for a terminal,
    // a log line of its own) is named by its place in the file instead.
    const label = ACCOUNT_ID.test(entry.id) ? entry.id : `#${index + 1}`;
    try {
      // The same parser as a file copied into the accounts directory by hand.
      const parsed = parseAccountFile('imported', entry.ini, accounts.catalogue);
      for (const w of parsed.warnings) log.warning(`import of ${label}: ${w}`);
      usable.push({ entry, label, parsed });
      fromFile.set(entry.id, { config: parsed.config });
    } catch (err) {
      fromFile.set(entry.id, { outcome: { skipped: 'Invalid' } });
      report.skipped.push({
        id: label,
        reason: 'Invalid',
        message: `its account file cannot be used here: ${(err as Error).message}`,
      });
    }
  }
  const { ordered, loops } = parentsFirst(
    usable,
    (u) => u.entry.id,
    (u) => u.parsed.config.parent,
  );
  const skip = (u: Entry, reason: string, message: string) => {
    report.skipped.push({ id: u.label, reason, message });
    const known = fromFile.get(u.entry.id);
    if (known) known.outcome = { skipped: reason };
  };
  for (const u of ordered) {
    const config = { ...u.parsed.config };
    try {
      if (config.parent) {
        const found = resolveParent(
          config.parent,
          fromFile,
          (id) => accounts.get(id)?.config,
          function* () {
            for (const s of accounts.all()) yield s.config;
          },
        );
        if ('refused' in found) {
          skip(u, 'Invalid', found.refused);
          continue;
        }
        // the person's proxy or VPN: its password carries the checks, as with AddAccount's parent
        if (found.here) checkGrant(access.grants, caller, found.id, 'Import with it as parent');
        config.parent = found.id;
      }
      const secrets = { ...u.entry.secrets };
      if (u.entry.oauth2) secrets[TOKEN_SECRET] = JSON.stringify(u.entry.oauth2);
      const state = await accounts.restore(u.entry.id, config, u.parsed.doc, secrets);
      report.imported.push(state.config.id);
      fromFile.get(u.entry.id)!.outcome = { imported: state.config.id };
    } catch (err) {
      if (!(err instanceof AccountsError)) throw err;
      const reason =
        err.kind === 'InvalidArgument' || err.kind === 'UnsupportedProtocol' || err.kind === 'NotAuthorized'
          ? 'Invalid'
          : err.kind;
      skip(u, reason, err.message);
    }
  }
  for (const u of loops) skip(u, 'Invalid', `its parent ${u.parsed.config.parent} is in a loop of parents in the file`);
  log.info(
    `import: ${report.imported.length} accounts added, ${report.skipped.length} skipped${
      report.skipped.length
        ? ` (${report.skipped
            .map((s) => `${s.id}: ${s.reason}`)
            .join(', ')
            .slice(0, 500)})`
        : ''
    }`,
  );
  return report;
}
