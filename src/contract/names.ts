/**
 * Names of the D-Bus contract shared by the service and the client library: bus name, paths,
 * interfaces, error kinds and statuses. Stated once here; both sides import them.
 */
export const BUS_NAME = 'org.pantherx.Accounts';
export const ROOT_PATH = '/org/pantherx/Accounts';
export const ACCOUNT_PATH_PREFIX = `${ROOT_PATH}/account/`;
export const IFACE_PREFIX = 'org.pantherx.Accounts.';
export const MANAGER_IFACE = 'org.pantherx.Accounts.Manager';
export const ACCOUNT_IFACE = 'org.pantherx.Accounts.Account';
export const OAUTH2_IFACE = 'org.pantherx.Accounts.OAuth2';
export const WALLET_IFACE = 'org.pantherx.Accounts.Wallet';
export const SIGN_IN_IFACE = 'org.pantherx.Accounts.SignIn';
/** Sign-in requests live here, outside the ObjectManager's tree of accounts. */
export const SIGN_IN_PATH_PREFIX = `${ROOT_PATH}/signin/`;

/** How an account signs in: with a password (secrets), or with OAuth2 tokens (Manager.SignIn). */
export const AUTH_METHODS = ['password', 'oauth2'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** D-Bus errors of the service are `org.pantherx.Accounts.Error.<Kind>`. */
export const ERROR_PREFIX = 'org.pantherx.Accounts.Error.';
export const ERROR_KINDS = [
  'NotFound',
  'InvalidArgument',
  'Duplicate',
  'UnknownProvider',
  'UnsupportedProtocol',
  'SecretsUnavailable',
  'AccessDenied',
  'VerificationFailed',
  'Io',
  // OAuth2 (docs/oauth2.md): no client id configured; the grant was refused (sign in again);
  // the provider could not be reached; it answered with an error; a sign-in cancelled or expired.
  'NotConfigured',
  'NotAuthorized',
  'Unreachable',
  'ProviderError',
  'Cancelled',
  'Expired',
  // A caller over its share: checks queued or running, CheckAccounts calls per minute.
  'LimitExceeded',
  // A check failed only because a server's certificate is not trusted: the message starts with
  // host:port=sha256:<hex> for each (src/verify/failure.ts), to accept with the option certificates.
  'CertificateNotTrusted',
  // Import: the file is encrypted with another passphrase (docs/export.md).
  'WrongPassphrase',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Transport security of a server protocol (the `security` setting). */
export const SECURITIES = ['tls', 'starttls', 'none'] as const;
export type Security = (typeof SECURITIES)[number];

/** Account.Status values. */
export const STATUSES = ['none', 'online', 'offline', 'error'] as const;
export type StatusValue = (typeof STATUSES)[number];
