/**
 * Accepted ("pinned") certificates in the D-Bus contract (docs/discovery.md, "Self-hosted
 * servers"): a server is `host:port` (an IPv6 literal in brackets, lower case), a certificate
 * `sha256:` and the 64 lower-case hex digits of the SHA-256 of its DER bytes. The option
 * certificates and Account.PinnedCertificates map one to the other; a CertificateNotTrusted
 * error's message starts with `host:port=sha256:<hex>` pairs separated by spaces, then `: `.
 */
const HEX64 = /^[0-9a-f]{64}$/;
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*$/i;
/** An account accepts at most this many certificates. */
export const MAX_PINS = 32;

/** `sha256:<64 hex>` from that form or `AB:CD:…` as openssl and browsers show it (with or without the prefix, any case); undefined otherwise. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text
    .trim()
    .replace(/^sha-?256[:=]/i, '')
    .replaceAll(':', '')
    .toLowerCase();
  return HEX64.test(hex) ? `sha256:${hex}` : undefined;
}

/** "host:port" for a server, lower-cased, an IPv6 literal in brackets. */
export function serverKey(host: string, port: number): string {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return `${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** A `host:port` as given, normalised, or undefined when it is not one. */
export function parseServerKey(text: string): string | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+):(\d{1,5})$/i.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  if (port < 1 || port > 65535) return undefined;
  if (m[1]!.startsWith('[') ? !IPV6.test(host) : !(IPV4.test(host) || HOST_NAME.test(host))) return undefined;
  return serverKey(host, port);
}

/** The `host:port` → `sha256:<hex>` pairs a CertificateNotTrusted message starts with. */
export function certificatesOfMessage(message: string): Record<string, string> {
  const end = message.indexOf(': ');
  const out: Record<string, string> = {};
  for (const pair of (end >= 0 ? message.slice(0, end) : message).split(' ')) {
    const m = /^(\S+)=(sha256:[0-9a-f]{64})$/.exec(pair);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}
