/**
 * One HTTP request to a wallet backend, bounded: a deadline (a slow-loris backend cannot hold a
 * watcher), a size cap on the answer (nor fill the service's memory), no redirects. Failures are
 * typed: Unreachable (network, timeout, HTTP 5xx or 429: the status goes offline) or Invalid
 * (too large: error). The caller judges the status and the text.
 */
import { isMainThread } from 'node:worker_threads';
import { readCapped } from '../../util/read-capped.js';
import { RpcInvalid, RpcRefused, RpcUnreachable } from './backend-errors.js';

export const WALLET_RPC_TIMEOUT_MS = Number(process.env.PX_ACCOUNTS_WALLET_RPC_TIMEOUT_MS) || 15_000;
// A watcher (the main thread) reads whole blocks and pages of history. A check runs in the verifier
// thread, whose heap is capped (VERIFIER_LIMITS) with up to 8 checks at once, and needs only small
// answers (a chain id, a balance, one page of an address): an 8 MiB answer of the smallest JSON values
// parses to ~190 MB and took the thread down with every other check in flight (red team). 256 KiB
// parses to ~6 MB at worst, 8 of them well inside the cap. (Read on use: the service's bundle
// requires node:worker_threads on first use, not at start-up; scripts/bundle.mjs.)
const maxResponse = (): number => (isMainThread ? 8 * 1024 * 1024 : 256 * 1024);
const limitText = (max: number): string => (max >= 1024 * 1024 ? `${max / 1024 / 1024} MB` : `${max / 1024} KiB`);

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
    const max = maxResponse();
    const body = await readCapped(
      res.body,
      max,
      () => new RpcInvalid(`the answer to ${what} is larger than ${limitText(max)}`),
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
