/**
 * Typed failures of the client library. Every D-Bus error the service answers with
 * (org.pantherx.Accounts.Error.<Kind>) becomes an AccountsClientError of that kind; problems
 * reaching the service become ServiceUnreachable, and calls that got no answer in time Timeout.
 */
import dbus from 'dbus-next';

import { certificatesOfMessage } from '../contract/certificates.js';
import { ERROR_KINDS, ERROR_PREFIX, type ErrorKind as ServiceErrorKind } from '../contract/names.js';

export const SERVICE_ERROR_PREFIX = ERROR_PREFIX;
/** The error kinds the service itself answers with. */
export const SERVICE_ERROR_KINDS = ERROR_KINDS;
export type { ServiceErrorKind };
const DBUS_ERROR = 'org.freedesktop.DBus.Error.';

/**
 * Every kind: the service's own, plus
 * - `ServiceUnreachable`: no session bus, or org.pantherx.Accounts is not running and could
 *   not be activated, or it went away during the call;
 * - `Timeout`: no answer within the call's timeout;
 * - `Failed`: any other D-Bus error (the `dbusName` says which).
 */
export type ErrorKind = ServiceErrorKind | 'ServiceUnreachable' | 'Timeout' | 'Failed';

export class AccountsClientError extends Error {
  readonly kind: ErrorKind;
  /** The D-Bus error name when the error came from the bus, else undefined. */
  readonly dbusName: string | undefined;

  constructor(kind: ErrorKind, message: string, options: { dbusName?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AccountsClientError';
    this.kind = kind;
    this.dbusName = options.dbusName;
  }
}

/** True when `err` is an AccountsClientError (of `kind`, if given). */
export function isAccountsClientError(err: unknown, kind?: ErrorKind): err is AccountsClientError {
  return err instanceof AccountsClientError && (kind === undefined || err.kind === kind);
}

/** Maps a D-Bus error name (and its text) to a kind. */
export function kindOfDbusError(name: string, text = ''): ErrorKind {
  if (name.startsWith(SERVICE_ERROR_PREFIX)) {
    const kind = name.slice(SERVICE_ERROR_PREFIX.length);
    return (SERVICE_ERROR_KINDS as readonly string[]).includes(kind) ? (kind as ServiceErrorKind) : 'Failed';
  }
  if (!name.startsWith(DBUS_ERROR)) return 'Failed';
  const short = name.slice(DBUS_ERROR.length);
  if (short.startsWith('Spawn.')) return 'ServiceUnreachable';
  switch (short) {
    case 'ServiceUnknown':
    case 'NameHasNoOwner':
    case 'Disconnected':
    case 'NoServer':
    case 'NoNetwork':
    case 'AddressInUse':
    case 'BadAddress':
      return 'ServiceUnreachable';
    case 'NoReply':
      // dbus-daemon answers NoReply both when the callee disconnected and when its own
      // reply timeout passed.
      return /disconnect/i.test(text) ? 'ServiceUnreachable' : 'Timeout';
    case 'Timeout':
    case 'TimedOut':
      return 'Timeout';
    case 'UnknownObject':
      return 'NotFound';
    case 'AccessDenied':
    case 'AuthFailed':
      return 'AccessDenied';
    case 'InvalidArgs':
    case 'PropertyReadOnly':
    case 'InvalidSignature':
      return 'InvalidArgument';
    default:
      return 'Failed';
  }
}

/** Wraps whatever a dbus-next call rejected with. */
export function fromDbusError(err: unknown): AccountsClientError {
  if (err instanceof AccountsClientError) return err;
  if (err instanceof dbus.DBusError) {
    const text = err.text || err.type;
    const kind = kindOfDbusError(err.type, text);
    let message = text;
    if (kind === 'ServiceUnreachable') message = `org.pantherx.Accounts is not available: ${text}`;
    return new AccountsClientError(kind, message, { dbusName: err.type, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new AccountsClientError('Failed', message, { cause: err });
}

/**
 * The certificates a CertificateNotTrusted error names, `host:port` → `sha256:<hex>`: what the
 * servers presented, to show the person and, once they accept, to pass as the option
 * `certificates`. Empty for any other error.
 */
export function certificatesOfError(err: unknown): Record<string, string> {
  return isAccountsClientError(err, 'CertificateNotTrusted') ? certificatesOfMessage(err.message) : {};
}
