/** Account status is runtime state: it starts as none and is never written to files. */
import { withoutControls } from '../control-characters.js';
import { invalidArgument } from '../errors.js';
import { checkText } from '../util/validate.js';

import { STATUSES, type StatusValue } from '../contract/names.js';

export { STATUSES, type StatusValue };

export interface AccountStatus {
  readonly status: StatusValue;
  readonly message: string;
  /** Microseconds since the epoch of the last change; 0n when never changed. */
  readonly time: bigint;
  readonly attentionNeeded: boolean;
}

export const INITIAL_STATUS: AccountStatus = { status: 'none', message: '', time: 0n, attentionNeeded: false };

export const MAX_STATUS_MESSAGE = 1024;

export function checkStatus(status: string, message: string): StatusValue {
  if (!(STATUSES as readonly string[]).includes(status)) {
    throw invalidArgument(`status must be one of ${STATUSES.join(', ')}, got '${status.slice(0, 40)}'`);
  }
  checkText(message, 'message', MAX_STATUS_MESSAGE, true);
  return status as StatusValue;
}

/** Text from elsewhere (a backend's answer) made a valid status message: control characters become spaces, the length is capped. */
export const statusText = (message: string): string => withoutControls(message).slice(0, MAX_STATUS_MESSAGE);

export const nowMicros = (): bigint => BigInt(Date.now()) * 1000n;

/** The next status; the same object when nothing changed, so callers can skip signals. */
export function nextStatus(
  prev: AccountStatus,
  change: { status?: StatusValue; message?: string; attentionNeeded?: boolean },
): AccountStatus {
  const status = change.status ?? prev.status;
  const message = change.message ?? prev.message;
  const attentionNeeded = change.attentionNeeded ?? prev.attentionNeeded;
  const moved = status !== prev.status || message !== prev.message;
  if (!moved && attentionNeeded === prev.attentionNeeded) return prev;
  return { status, message, attentionNeeded, time: moved ? nowMicros() : prev.time };
}
