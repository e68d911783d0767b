/**
 * The error of a check that failed before saving (AddAccount with verify or discovery, a
 * sign-in's confirmation). Where every failure is a certificate the service does not trust, it
 * is CertificateNotTrusted and names each certificate the servers presented, in a form a
 * program reads: the message starts with `host:port=sha256:<hex>` (one per server, separated by
 * spaces), then `: ` and the sentence for people — the same pairs the option certificates takes.
 */
import { AccountsError } from '../errors.js';
import type { VerifyResult } from '../protocols/common/types.js';
import { PINNABLE } from './check.js';

export function checkFailure(failed: Array<[string, VerifyResult]>): AccountsError {
  const text = failed.map(([p, r]) => `${p}: ${r.code}: ${r.message}`).join('; ');
  if (failed.length && failed.every(([, r]) => PINNABLE.has(r.code) && r.fingerprint && r.server)) {
    const pairs = [...new Set(failed.map(([, r]) => `${r.server}=${r.fingerprint}`))];
    return new AccountsError('CertificateNotTrusted', `${pairs.join(' ')}: ${text}`);
  }
  return new AccountsError('VerificationFailed', text);
}
