/** Errors of the command line itself (not of the service). */
import { EXIT, type ExitCode } from './exit-codes.js';

/** A usage error: unknown command or option, missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  readonly exitCode: ExitCode = EXIT.INVALID_ARGUMENT;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the command already explained; carries its exit code. */
export class CommandFailed extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CommandFailed';
  }
}
