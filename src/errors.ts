/** Typed failures of the service; each maps to one D-Bus error name. */
import { ERROR_PREFIX, type ErrorKind } from './contract/names.js';

export { ERROR_PREFIX, type ErrorKind };

// eslint-disable-next-line no-control-regex -- the control characters are what it replaces
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export class AccountsError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string) {
    // The message goes on the bus (an error reply, a sign-in's Failed) and often quotes a server
    // or a provider: a NUL there makes the message unencodable (a sign-in's Failed then ended the
    // service), an escape sequence has no place in it. Line feeds and tabs stay (a carriage return goes).
    super(message.replace(CONTROL, ' '));
    this.name = 'AccountsError';
    this.kind = kind;
  }

  get dbusName(): string {
    return ERROR_PREFIX + this.kind;
  }
}

export const invalidArgument = (message: string) => new AccountsError('InvalidArgument', message);
