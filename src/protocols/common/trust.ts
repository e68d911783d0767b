// Which certificates a verifier trusts: Node's bundled roots plus the system CA store (and the
// file NODE_EXTRA_CA_CERTS names, as everywhere in Node), plus the PEM file in `settings.ca`
// (an extra CA, or a pinned self-signed certificate), plus a certificate the account pinned by
// its fingerprint for that server. Never "accept anything": certificate and host name are always
// checked, and a pin accepts exactly one certificate.
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';

import { VerifyFailure } from './classify.js';
import { peerCertificate, type TlsDialect } from './peer-certificate.js';
import { fingerprintOf, pinFor } from './pins.js';
import type { VerifyContext } from './run.js';
import { openTunnel } from './tunnel.js';
import type { VerifySettings } from './types.js';

const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Guix (with nss-certs), Arch
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/ssl/cert.pem', // Alpine, BSDs
  '/run/current-system/profile/etc/ssl/certs/ca-certificates.crt', // Guix system profile
];

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

let systemCerts: string[] | undefined;

/** Certificates of the system store (SSL_CERT_FILE first), read once. */
export function systemCertificates(): string[] {
  if (systemCerts) return systemCerts;
  const candidates = [process.env.SSL_CERT_FILE, ...SYSTEM_BUNDLES].filter((f): f is string => !!f);
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      const found = readFileSync(file, 'utf8').match(PEM_BLOCK);
      if (found?.length) {
        systemCerts = found;
        return systemCerts;
      }
    } catch {
      /* try the next one */
    }
  }
  systemCerts = [];
  return systemCerts;
}

let extraCerts: string[] | undefined;

/** The certificates of the file NODE_EXTRA_CA_CERTS names, which Node adds to its own roots (read once). */
export function extraCertificates(): string[] {
  if (extraCerts) return extraCerts;
  const file = process.env.NODE_EXTRA_CA_CERTS;
  try {
    extraCerts = file ? (readFileSync(file, 'utf8').match(PEM_BLOCK) ?? []) : [];
  } catch {
    extraCerts = [];
  }
  return extraCerts;
}

const contexts = new Map<string, tls.SecureContext>();
/** Certificates an account pinned, by fingerprint, as presented by their server (read once per process). */
const pinned = new Map<string, string>();
/** How long finding out what a pinned server presents may take. */
const PIN_PROBE_MS = 5_000;

export interface TlsOptions {
  secureContext: tls.SecureContext;
  servername?: string;
  /** Only for a server whose certificate the account pinned: that certificate passes whatever its issuer and names. */
  checkServerIdentity?: (host: string, cert: tls.PeerCertificate) => Error | undefined;
}

/**
 * TLS options (a cached SecureContext) for a connection to `settings.host`. Throws a
 * VerifyFailure when the `ca` file cannot be read or holds no certificate.
 *
 * A certificate the account pinned for settings.host:port (`settings.certificates`, see
 * pins.ts) is trusted too, exactly that one: the server is asked once per process what it
 * presents (after the `dialect`'s STARTTLS where the connection starts in plaintext); when that
 * is the pinned certificate it joins the trusted ones as an anchor of its own, and passes the
 * name check by its fingerprint. Anything else is checked as without a pin. With a check's
 * context (`ctx`) that goes through a parent proxy, that question goes through the proxy too:
 * never a connection around it (it would reach another network, and tell the server where the
 * person is).
 */
export async function tlsOptions(
  settings: VerifySettings,
  dialect: TlsDialect = 'tls',
  ctx?: AbortSignal | Pick<VerifyContext, 'signal' | 'via'>,
): Promise<TlsOptions> {
  const signal = ctx instanceof AbortSignal ? ctx : ctx?.signal;
  const route = ctx instanceof AbortSignal ? undefined : ctx?.via ? (ctx as VerifyContext) : undefined;
  let extra: string[] = [];
  let key = 'default';
  if (settings.ca) {
    try {
      const st = await stat(settings.ca);
      key = `${settings.ca}\0${st.mtimeMs}\0${st.size}`;
      if (!contexts.has(key)) extra = (await readFile(settings.ca, 'utf8')).match(PEM_BLOCK) ?? [];
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new VerifyFailure('Unknown', `cannot read the CA file ${settings.ca} (${code})`);
    }
    if (!contexts.has(key) && extra.length === 0)
      throw new VerifyFailure('Unknown', `the CA file ${settings.ca} holds no PEM certificate`);
  }
  const pin = pinFor(settings.certificates, settings.host, settings.port);
  const pem = pin
    ? await pinnedCertificate(pin, settings, dialect, signal, route && ((host, port) => openTunnel(route, host, port)))
    : undefined;
  if (pem) key += `\0${pin}`;
  let secureContext = contexts.get(key);
  if (!secureContext) {
    const ca = [
      ...new Set([
        ...tls.rootCertificates,
        ...systemCertificates(),
        ...extraCertificates(),
        ...extra,
        ...(pem ? [pem] : []),
      ]),
    ];
    try {
      // the pinned certificate is an anchor of its own, whoever issued it
      secureContext = tls.createSecureContext(pem ? { ca, allowPartialTrustChain: true } : { ca });
    } catch (err) {
      throw new VerifyFailure('Unknown', `cannot use the CA file ${settings.ca ?? ''}: ${(err as Error).message}`);
    }
    if (contexts.size > 32) contexts.clear();
    contexts.set(key, secureContext);
  }
  const servername = sniName(settings.host);
  const out: TlsOptions = servername ? { secureContext, servername } : { secureContext };
  if (pem)
    out.checkServerIdentity = (host, cert) =>
      cert.raw && fingerprintOf(cert.raw) === pin ? undefined : tls.checkServerIdentity(host, cert);
  return out;
}

/** The pinned certificate's PEM when the server presents it; undefined when it presents another or cannot be asked. */
async function pinnedCertificate(
  pin: string,
  settings: VerifySettings,
  dialect: TlsDialect,
  signal?: AbortSignal,
  open?: (host: string, port: number) => Promise<net.Socket>,
): Promise<string | undefined> {
  const known = pinned.get(pin);
  if (known) return known;
  try {
    const security = settings.security === 'starttls' ? 'starttls' : 'tls';
    const seen = await peerCertificate(dialect, settings.host, settings.port, security, PIN_PROBE_MS, signal, open);
    if (seen.fingerprint !== pin) return undefined;
    if (pinned.size > 64) pinned.clear();
    pinned.set(pin, seen.pem);
    return seen.pem;
  } catch {
    return undefined; // the check itself then says what is wrong with the server
  }
}

/** The SNI name for a host: none for an IP literal (RFC 6066). */
export function sniName(host: string): string | undefined {
  const h = host.replace(/^\[|\]$/g, '');
  return net.isIP(h) ? undefined : h;
}

/** Host as a socket API wants it: IPv6 literals without brackets. */
export function bareHost(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}
