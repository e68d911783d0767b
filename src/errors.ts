/** Typed failures of the service; each maps to one D-Bus error name. */
import { ERROR_PREFIX, type ErrorKind } from './contract/names.js';

export { ERROR_PREFIX, type ErrorKind };

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
