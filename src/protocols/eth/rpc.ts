/**
 * Ethereum JSON-RPC over HTTP(S), bounded: each request has a deadline (a slow-loris backend
 * cannot hold a watcher), answers above a size are refused, and what comes back is checked
 * before it is believed. Failures are typed: Unreachable (network, timeout, HTTP 5xx: the
 * status goes offline) or Invalid (an answer that makes no sense: the status goes error).
 */
import { RpcInvalid, RpcUnreachable } from '../common/backend-errors.js';
import { readCapped } from '../../util/read-capped.js';

const TIMEOUT_MS = Number(process.env.PX_ACCOUNTS_WALLET_RPC_TIMEOUT_MS) || 15_000;
const MAX_RESPONSE = 8 * 1024 * 1024;

let nextId = 0;

export async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST', redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++nextId, method, params }),
    });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    throw new RpcUnreachable(e?.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : `cannot be reached (${e?.cause?.code ?? e?.name ?? 'network error'})`);
  }
  if (res.status >= 500 || res.status === 429) {
    await res.body?.cancel().catch(() => undefined);
    throw new RpcUnreachable(`HTTP ${res.status}`);
  }
  let text: string;
  try {
    text = (await readCapped(res.body, MAX_RESPONSE, () => new RpcInvalid(`the answer to ${method} is larger than ${MAX_RESPONSE / 1024 / 1024} MB`))).toString('utf8');
  } catch (err) {
    if (err instanceof RpcInvalid) throw err;
    throw new RpcUnreachable(`the answer to ${method} was cut off (${(err as Error)?.name})`);
  }
  if (res.status !== 200) throw new RpcInvalid(`HTTP ${res.status} to ${method}`);
  let body: { result?: unknown; error?: { message?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new RpcInvalid(`the answer to ${method} is not JSON (is this an Ethereum JSON-RPC endpoint?)`);
  }
  if (typeof body !== 'object' || body === null) throw new RpcInvalid(`the answer to ${method} is not a JSON-RPC response`);
  if (body.error) throw new RpcInvalid(`${method}: ${String(body.error.message ?? 'error').slice(0, 200)}`);
  if (!('result' in body)) throw new RpcInvalid(`the answer to ${method} has no result`);
  return body.result;
}
