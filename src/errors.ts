/** Typed failures of the service; each maps to one D-Bus error name. */
export const ERROR_PREFIX = 'org.pantherx.Accounts.Error.';

export type ErrorKind =
  | 'NotFound'
  | 'InvalidArgument'
  | 'Duplicate'
  | 'UnknownProvider'
  | 'UnsupportedProtocol'
  | 'SecretsUnavailable'
  | 'AccessDenied'
  | 'VerificationFailed'
  | 'Io';

export class AccountsError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.name = 'AccountsError';
    this.kind = kind;
  }

  get dbusName(): string {
    return ERROR_PREFIX + this.kind;
  }
}

export const invalidArgument = (message: string) => new AccountsError('InvalidArgument', message);
