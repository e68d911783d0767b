/**
 * Why a signal was aborted, as an Error to reject with: AbortSignal.reason is whatever abort()
 * was given (AbortSignal.timeout() and abort() without an argument give a DOMException, an Error).
 */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}
