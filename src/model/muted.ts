/**
 * Muted kinds of failure (Account.MuteError, MutedErrors; the account file's [account] muted):
 * a check whose every failure is of a muted kind raises no AttentionNeeded (so no
 * notification); the status still says what happened. The first check that fails in another
 * kind ends every mute — except a network failure, which says nothing about the server.
 */
import { invalidArgument } from '../errors.js';
import { FAILURE_CODES, isFailureCode, type VerifyResult } from '../protocols/common/types.js';

/** Failures that never reached the server: they neither match nor end a mute. */
const NETWORK: ReadonlySet<string> = new Set([
  'Timeout',
  'HostNotFound',
  'ConnectionRefused',
  'ConnectionFailed',
  'Unavailable',
]);

export function checkFailureCode(code: string): string {
  if (!isFailureCode(code)) {
    throw invalidArgument(`code must be one of ${FAILURE_CODES.join(', ')}, got ${JSON.stringify(code.slice(0, 40))}`);
  }
  return code;
}

/** The muted list of a file: known codes, each once, in the order given. */
export function parseMuted(value: string): string[] {
  const out: string[] = [];
  for (const c of value.split(',').map((x) => x.trim())) {
    if (isFailureCode(c) && !out.includes(c)) out.push(c);
  }
  return out;
}

export interface MuteOutcome {
  /** Every failure of the check is of a muted kind: no AttentionNeeded from it. */
  silenced: boolean;
  /** The mutes after the check (the same array when unchanged). */
  muted: string[];
}

/** What one check's results mean for the account's mutes. */
export function applyMutes(muted: readonly string[] | undefined, results: readonly VerifyResult[]): MuteOutcome {
  const list = [...(muted ?? [])];
  const failed = results.filter((r) => !r.ok);
  if (list.length === 0 || failed.length === 0) return { silenced: false, muted: list };
  const different = failed.some((r) => !list.includes(r.code) && !NETWORK.has(r.code));
  if (different) return { silenced: false, muted: [] };
  return { silenced: true, muted: list };
}
