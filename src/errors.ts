/** Typed failures of the service; each maps to one D-Bus error name. */
import { withoutControlsButLines } from './control-characters.js';
import { ERROR_PREFIX, type ErrorKind } from './contract/names.js';

export { ERROR_PREFIX, type ErrorKind };

export class AccountsError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string) {
    // The message goes on the bus (an error reply, a sign-in's Failed) and often quotes a server
    // or a provider: a NUL there made a sign-in's Failed unencodable and ended the service.
    super(withoutControlsButLines(message));
    this.name = 'AccountsError';
    this.kind = kind;
  }

  get dbusName(): string {
    return ERROR_PREFIX + this.kind;
  }
}

export const invalidArgument = (message: string) => new AccountsError('InvalidArgument', message);
