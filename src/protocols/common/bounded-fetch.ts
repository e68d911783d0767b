/**
 * One HTTP request to a wallet backend, bounded: a deadline (a slow-loris backend cannot hold a
 * watcher), a size cap on the answer (nor fill the service's memory), no redirects. Failures are
 * typed: Unreachable (network, timeout, HTTP 5xx or 429: the status goes offline) or Invalid
 * (too large: error). The caller judges the status and the text.
 */
import { readCapped } from '../../util/read-capped.js';
import { RpcInvalid, RpcRefused, RpcUnreachable } from './backend-errors.js';

export const WALLET_RPC_TIMEOUT_MS = Number(process.env.PX_ACCOUNTS_WALLET_RPC_TIMEOUT_MS) || 15_000;
const MAX_RESPONSE = 8 * 1024 * 1024;

export async function fetchBounded(
  url: string,
  init: RequestInit,
  what: string,
): Promise<{ status: number; text: string }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(WALLET_RPC_TIMEOUT_MS) });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    throw new RpcUnreachable(
      e?.name === 'TimeoutError'
        ? `no answer within ${WALLET_RPC_TIMEOUT_MS / 1000} s`
        : `cannot be reached (${e?.cause?.code ?? e?.name ?? 'network error'})`,
    );
  }
  if (res.status >= 500 || res.status === 429) {
    await res.body?.cancel().catch(() => undefined);
    throw new RpcUnreachable(`HTTP ${res.status}`);
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel().catch(() => undefined);
    throw new RpcRefused(
      `refused access (HTTP ${res.status}): check the API key (the secret api_key, and {api_key} in the URL)`,
    );
  }
  try {
    const body = await readCapped(
      res.body,
      MAX_RESPONSE,
      () => new RpcInvalid(`the answer to ${what} is larger than ${MAX_RESPONSE / 1024 / 1024} MB`),
    );
    return { status: res.status, text: body.toString('utf8') };
  } catch (err) {
    if (err instanceof RpcInvalid) throw err;
    const e = err as { name?: string };
    throw new RpcUnreachable(
      e?.name === 'TimeoutError'
        ? `no whole answer within ${WALLET_RPC_TIMEOUT_MS / 1000} s`
        : `the answer to ${what} was cut off (${e?.name})`,
    );
  }
}
