// Which certificates a verifier trusts: Node's bundled roots plus the system CA store (and the
// file NODE_EXTRA_CA_CERTS names, as everywhere in Node), plus the PEM file in `settings.ca`
// (an extra CA, or a pinned self-signed certificate). Never "accept anything": certificate and
// host name are always checked.
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';

import { VerifyFailure } from './classify.js';
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
    extraCerts = file ? readFileSync(file, 'utf8').match(PEM_BLOCK) ?? [] : [];
  } catch {
    extraCerts = [];
  }
  return extraCerts;
}

const contexts = new Map<string, tls.SecureContext>();

/**
 * TLS options (a cached SecureContext) for a connection to `settings.host`. Throws a
 * VerifyFailure when the `ca` file cannot be read or holds no certificate.
 */
export async function tlsOptions(settings: VerifySettings): Promise<{ secureContext: tls.SecureContext; servername?: string }> {
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
    if (!contexts.has(key) && extra.length === 0) throw new VerifyFailure('Unknown', `the CA file ${settings.ca} holds no PEM certificate`);
  }
  let secureContext = contexts.get(key);
  if (!secureContext) {
    const ca = [...new Set([...tls.rootCertificates, ...systemCertificates(), ...extraCertificates(), ...extra])];
    try {
      secureContext = tls.createSecureContext({ ca });
    } catch (err) {
      throw new VerifyFailure('Unknown', `cannot use the CA file ${settings.ca ?? ''}: ${(err as Error).message}`);
    }
    if (contexts.size > 32) contexts.clear();
    contexts.set(key, secureContext);
  }
  const servername = sniName(settings.host);
  return servername ? { secureContext, servername } : { secureContext };
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
