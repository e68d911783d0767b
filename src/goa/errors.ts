/** GOA's error names for the view: what libgoa's clients expect (goa_error_quark's codes). */
import { AccountsError } from '../errors.js';
import { GOA_ERROR_PREFIX } from './names.js';

export type GoaErrorKind = 'Failed' | 'NotSupported' | 'NotAuthorized' | 'AccountNotFound';

/** An AccountsError (so the object server replies with it) named in GOA's domain. */
export class GoaError extends AccountsError {
  constructor(
    readonly goaKind: GoaErrorKind,
    message: string,
  ) {
    super(goaKind === 'NotAuthorized' ? 'NotAuthorized' : 'InvalidArgument', message);
  }

  override get dbusName(): string {
    return GOA_ERROR_PREFIX + this.goaKind;
  }
}

/** Any failure of the service, in GOA's words: refusals and missing secrets are NotAuthorized. */
export function toGoaError(err: unknown): unknown {
  if (err instanceof GoaError || !(err instanceof AccountsError)) return err;
  switch (err.kind) {
    case 'AccessDenied':
    case 'NotAuthorized':
    case 'SecretsUnavailable':
      return new GoaError('NotAuthorized', err.message);
    case 'NotFound':
      return new GoaError('NotAuthorized', err.message);
    default:
      return new GoaError('Failed', err.message);
  }
}
