// Pinned certificates (docs/discovery.md, "Self-hosted servers"): an account may accept exactly
// one certificate per server, named by its SHA-256 fingerprint — like GNOME Online Accounts'
// AcceptSslErrors, never "trust everything". The forms are the contract's
// (src/contract/certificates.ts); the verifier gets an account's pins as one string of
// `server=fingerprint` pairs separated by spaces (VerifySettings values are strings).
import { createHash, X509Certificate } from 'node:crypto';

import { MAX_PINS, normalizeFingerprint, parseServerKey, serverKey } from '../../contract/certificates.js';

export { MAX_PINS, normalizeFingerprint, parseServerKey, serverKey };

/** The fingerprint of a certificate (DER bytes). */
export function fingerprintOf(der: Buffer): string {
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

/** An account's pins as the verifier gets them: `server=fingerprint` pairs, space-separated. */
export function pinsText(pins: Readonly<Record<string, string>> | undefined): string | undefined {
  const entries = Object.entries(pins ?? {});
  return entries.length ? entries.map(([s, f]) => `${s}=${f}`).join(' ') : undefined;
}

/** The fingerprint pinned for host:port in a pinsText() string, if any. */
export function pinFor(text: string | number | undefined, host: string, port: number): string | undefined {
  if (typeof text !== 'string' || !text) return undefined;
  const want = serverKey(host, port);
  for (const pair of text.split(/\s+/)) {
    const eq = pair.lastIndexOf('=');
    if (eq > 0 && pair.slice(0, eq) === want) return normalizeFingerprint(pair.slice(eq + 1));
  }
  return undefined;
}

/** A PEM for a certificate's DER bytes. */
export function pemOf(der: Buffer): string {
  return new X509Certificate(der).toString();
}
