/**
 * Accepting a self-hosted server's certificate from the command line (docs/discovery.md,
 * "Self-hosted servers"): the CLI shows each certificate a check could not trust by its SHA-256
 * fingerprint, and accepts exactly those the person names with --accept-certificate, or says yes
 * to on a terminal. Without either nothing is accepted, and it says why.
 */
import { certificatesOfError, normalizeFingerprint, type VerifyResults } from '../client/index.js';
import { _ } from '../i18n/index.js';
import { CommandFailed, UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { confirm } from './input.js';
import { note } from './output.js';

type Args = Record<string, unknown>;

/** The fingerprints given with --accept-certificate. */
export function acceptedFingerprints(argv: Args): string[] {
  const given =
    argv.acceptCertificate === undefined
      ? []
      : (Array.isArray(argv.acceptCertificate) ? argv.acceptCertificate : [argv.acceptCertificate]).map(String);
  return given.map((g) => {
    const fp = normalizeFingerprint(g);
    if (!fp)
      throw new UsageError(
        _(
          "--accept-certificate takes a SHA-256 fingerprint (sha256: and 64 hex digits, as the check shows it), got '{value}'",
          { value: g.slice(0, 80) },
        ),
      );
    return fp;
  });
}

/** AB:CD:… as browsers and openssl show a fingerprint. */
const colons = (fp: string) => fp.slice('sha256:'.length).toUpperCase().match(/../g)!.join(':');

/** What the person is shown about certificates not trusted. */
export function certificatesText(presented: Record<string, string>): string {
  return Object.entries(presented)
    .map(([server, fp]) =>
      _(
        `The certificate of {server} is not trusted (an issuer this computer does not know, or not made for that name).
  SHA-256 fingerprint: {fingerprint}
  accept exactly it with: --accept-certificate {sha256}`,
        { server, fingerprint: colons(fp), sha256: fp },
      ),
    )
    .join('\n');
}

/**
 * The certificates of `presented` the person accepts: all of them, or a CommandFailed saying
 * why not (a fingerprint given that is not what the server presents, no terminal to ask on, a no).
 */
export async function acceptCertificates(
  argv: Args,
  presented: Record<string, string>,
  canAsk: boolean,
): Promise<Record<string, string>> {
  note(certificatesText(presented));
  const given = acceptedFingerprints(argv);
  if (given.length) {
    const other = Object.entries(presented).filter(([, fp]) => !given.includes(fp));
    if (other.length) {
      throw new CommandFailed(
        _('{presented}, not a certificate given with --accept-certificate; nothing was saved', {
          presented: other
            .map(([server, fingerprint]) => _('{server} presents {fingerprint}', { server, fingerprint }))
            .join(', '),
        }),
        EXIT.VERIFICATION_FAILED,
      );
    }
    return presented;
  }
  if (!canAsk) {
    throw new CommandFailed(
      _(
        "the server's certificate is not trusted; nothing was saved. If it is your server's certificate (compare the fingerprint with the one the server shows), run again with {options}",
        { options: [...new Set(Object.values(presented))].map((fp) => `--accept-certificate ${fp}`).join(' ') },
      ),
      EXIT.VERIFICATION_FAILED,
    );
  }
  const servers = Object.keys(presented).join(', ');
  if (
    !(await confirm(
      _("Accept this certificate for {servers}? Compare the fingerprint with your server's first.", { servers }),
    ))
  )
    throw new CommandFailed(_('nothing was saved'), EXIT.VERIFICATION_FAILED);
  return presented;
}

/**
 * Runs `attempt` (an add); where it fails only because servers' certificates are not trusted
 * (CertificateNotTrusted), asks acceptCertificates and runs it once more with them accepted.
 */
export async function withAcceptedCertificates<T>(
  argv: Args,
  canAsk: boolean,
  attempt: (certificates?: Record<string, string>) => Promise<T>,
): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    const presented = certificatesOfError(err);
    if (!Object.keys(presented).length) throw err;
    return attempt(await acceptCertificates(argv, presented, canAsk));
  }
}

/** The certificates check results name (a failure for the certificate alone). */
export function presentedIn(results: VerifyResults): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of Object.values(results)) if (r && !r.ok && r.fingerprint && r.server) out[r.server] = r.fingerprint;
  return out;
}
