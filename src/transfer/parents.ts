/**
 * Parents in an import (docs/export.md): an account of the file may name a proxy or OpenVPN
 * account as its parent, by the id it had where it was exported. Here that id may belong to
 * another account, or to none; the file's parent may be imported under another id (`_2`), or be
 * skipped as a duplicate of an account already here. So every parent is resolved to an account
 * of this machine before the child is added, or the child is skipped saying why — never left
 * pointing at whatever happens to carry that id (its checks would go through a stranger's proxy).
 */
import { duplicateKey, type AccountConfig } from '../model/account.js';

/** What became of an entry of the file that was handled already. */
export type Outcome = { imported: string } | { skipped: string };

/** The file's entries in an order where a parent in the file comes before its children; entries in a loop apart. */
export function parentsFirst<T>(
  entries: readonly T[],
  idOf: (e: T) => string,
  parentOf: (e: T) => string | undefined,
): { ordered: T[]; loops: T[] } {
  const inFile = new Set(entries.map(idOf));
  const done = new Set<string>();
  const ordered: T[] = [];
  let pending = [...entries];
  for (;;) {
    const ready = pending.filter((e) => {
      const parent = parentOf(e);
      return !parent || !inFile.has(parent) || done.has(parent) || parent === idOf(e);
    });
    if (!ready.length) return { ordered, loops: pending };
    for (const e of ready) {
      ordered.push(e);
      done.add(idOf(e));
    }
    pending = pending.filter((e) => !ready.includes(e));
  }
}

/** The same account: what makes an import a duplicate (provider, user name and, stricter here, always the server). */
const sameAccount = (a: AccountConfig, b: AccountConfig): boolean => duplicateKey(a, true) === duplicateKey(b, true);

/**
 * The id here of the parent `parent` (an id of the file), or why there is none:
 * - a parent in the file that was imported: its new id;
 * - one skipped as a duplicate: the account here it duplicates;
 * - one skipped for another reason: none (the child waits for nothing it could be given);
 * - one not in the file: the account of that id here, if any (`here: true`: the person's, which
 *   the importer must be allowed to use).
 */
export function resolveParent(
  parent: string,
  fromFile: ReadonlyMap<string, { config?: AccountConfig; outcome?: Outcome }>,
  existing: (id: string) => AccountConfig | undefined,
  all: () => Iterable<AccountConfig>,
): { id: string; here: boolean } | { refused: string } {
  const entry = fromFile.get(parent);
  if (entry) {
    const outcome = entry.outcome;
    if (outcome && 'imported' in outcome) return { id: outcome.imported, here: false };
    const theirs = entry.config;
    if (outcome && 'skipped' in outcome && outcome.skipped === 'Duplicate' && theirs) {
      for (const config of all()) if (sameAccount(config, theirs)) return { id: config.id, here: true };
    }
    const why = outcome && 'skipped' in outcome ? outcome.skipped : 'not reached';
    return { refused: `its parent ${parent} in the file was not imported (${why})` };
  }
  if (existing(parent)) return { id: parent, here: true };
  return { refused: `its parent ${parent} is neither in the file nor an account here` };
}
