/**
 * Ethereum JSON-RPC over HTTP(S), bounded: each request has a deadline (a slow-loris backend
 * cannot hold a watcher), answers above a size are refused, and what comes back is checked
 * before it is believed. Failures are typed: Unreachable (network, timeout, HTTP 5xx: the
 * status goes offline) or Invalid (an answer that makes no sense: the status goes error).
 */
import { RpcInvalid } from '../common/backend-errors.js';
import { fetchBounded } from '../common/bounded-fetch.js';

let nextId = 0;

export async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetchBounded(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++nextId, method, params }),
  }, method);
  const text = res.text;
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
