/**
 * An account's accepted certificates in its file: the section [certificates], one
 * `host:port = sha256:<hex>` line per server (protocols/common/pins.ts; docs/discovery.md,
 * "Self-hosted servers"). A line that is not one is skipped with a warning, never trusted.
 */
import { MAX_PINS, normalizeFingerprint, parseServerKey } from '../contract/certificates.js';

export function parseCertificatesSection(
  section: Record<string, unknown>,
  warnings: string[],
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [server, value] of Object.entries(section)) {
    const key = parseServerKey(server);
    const fp = typeof value === 'string' ? normalizeFingerprint(value) : undefined;
    if (!key || !fp || Object.keys(out).length >= MAX_PINS) {
      warnings.push(`[certificates] ${server.slice(0, 80)}: not host:port = sha256:<64 hex digits>, ignored`);
      continue;
    }
    out[key] = fp;
  }
  return Object.keys(out).length ? out : undefined;
}

export function certificatesSection(
  pins: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  return pins && Object.keys(pins).length ? { ...pins } : undefined;
}
