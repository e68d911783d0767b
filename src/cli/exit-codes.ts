/**
 * Exit codes of px-accounts: one per kind of failure, so scripts can tell them apart.
 * docs/cli.md lists the same table; keep the two in step.
 */
import type { ErrorKind } from '../client/errors.js';

export const EXIT = {
  /** Success (for verify: every protocol passed). */
  OK: 0,
  /** Any other failure: I/O error in the service, access denied, an unexpected D-Bus error. */
  FAILURE: 1,
  /** Invalid argument: a usage error (unknown command or option, missing value) or a value the service refused (bad port, unknown provider). */
  INVALID_ARGUMENT: 2,
  /** No such account, or no such secret. */
  NOT_FOUND: 3,
  /** The account exists already. */
  DUPLICATE: 4,
  /** The Secret Service (keyring) is absent or locked. */
  SECRETS_UNAVAILABLE: 5,
  /** Verification ran and at least one protocol failed (verify, add --verify). */
  VERIFICATION_FAILED: 6,
  /** No session bus, or the service is not running and cannot be activated, or it did not answer in time. */
  SERVICE_UNREACHABLE: 7,
  /** The service does not support the protocol or the operation (verification in this version). */
  UNSUPPORTED: 8,
  /** OAuth2: the provider refused the sign-in or the grant (sign in again), or answered with an error. */
  NOT_AUTHORIZED: 9,
  /** OAuth2: no client id is configured for the provider (the message says where to set one). */
  NOT_CONFIGURED: 10,
  /** OAuth2: the provider could not be reached. */
  UNREACHABLE: 11,
  /** OAuth2: nobody finished the sign-in in time. */
  EXPIRED: 12,
  /** import: the file is encrypted with another passphrase. */
  WRONG_PASSPHRASE: 13,
  /** The sign-in was cancelled (Ctrl-C): 128 + SIGINT, as shells report it. */
  CANCELLED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for an error kind of the client library. */
export function exitCodeOf(kind: ErrorKind): ExitCode {
  switch (kind) {
    case 'InvalidArgument':
    case 'UnknownProvider':
      return EXIT.INVALID_ARGUMENT;
    case 'NotFound':
      return EXIT.NOT_FOUND;
    case 'Duplicate':
      return EXIT.DUPLICATE;
    case 'SecretsUnavailable':
      return EXIT.SECRETS_UNAVAILABLE;
    case 'VerificationFailed':
    case 'CertificateNotTrusted':
      return EXIT.VERIFICATION_FAILED;
    case 'ServiceUnreachable':
    case 'Timeout':
      return EXIT.SERVICE_UNREACHABLE;
    case 'UnsupportedProtocol':
      return EXIT.UNSUPPORTED;
    case 'NotAuthorized':
    case 'ProviderError':
      return EXIT.NOT_AUTHORIZED;
    case 'NotConfigured':
      return EXIT.NOT_CONFIGURED;
    case 'Unreachable':
      return EXIT.UNREACHABLE;
    case 'Expired':
      return EXIT.EXPIRED;
    case 'Cancelled':
      return EXIT.CANCELLED;
    case 'WrongPassphrase':
      return EXIT.WRONG_PASSPHRASE;
    case 'AccessDenied':
    case 'Io':
    case 'LimitExceeded':
    case 'Failed':
      return EXIT.FAILURE;
  }
}
