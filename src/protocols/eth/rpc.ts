/**
 * Ethereum JSON-RPC over HTTP(S), bounded: each request has a deadline (a slow-loris backend
 * cannot hold a watcher), answers above a size are refused, and what comes back is checked
 * before it is believed. Failures are typed: Unreachable (network, timeout, HTTP 5xx: the
 * status goes offline) or Invalid (an answer that makes no sense: the status goes error).
 */
import { RpcInvalid } from '../common/backend-errors.js';
import { fetchBounded } from '../common/bounded-fetch.js';
import { textOf } from '../../util/text.js';

/** The node answered the call with a JSON-RPC error (a contract call that reverted, a rate limit). */
export class RpcCallError extends RpcInvalid {
  constructor(
    message: string,
    readonly code: unknown,
  ) {
    super(message);
  }

  /** A contract call that failed in the contract (geth and anvil: code 3, or "execution reverted"), not in the node. */
  get reverted(): boolean {
    return this.code === 3 || /revert/i.test(this.message);
  }
}

let nextId = 0;

type Response = { id?: unknown; result?: unknown; error?: { message?: unknown; code?: unknown } };

async function post(url: string, payload: unknown, what: string): Promise<unknown> {
  const res = await fetchBounded(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(payload),
    },
    what,
  );
  if (res.status !== 200) throw new RpcInvalid(`HTTP ${res.status} to ${what}`);
  try {
    return JSON.parse(res.text) as unknown;
  } catch {
    throw new RpcInvalid(`the answer to ${what} is not JSON (is this an Ethereum JSON-RPC endpoint?)`);
  }
}

function resultOf(body: Response | null, method: string): unknown {
  if (typeof body !== 'object' || body === null)
    throw new RpcInvalid(`the answer to ${method} is not a JSON-RPC response`);
  if (body.error)
    throw new RpcCallError(`${method}: ${textOf(body.error.message, 'error').slice(0, 200)}`, body.error.code);
  if (!('result' in body)) throw new RpcInvalid(`the answer to ${method} has no result`);
  return body.result;
}

export async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  return resultOf((await post(url, { jsonrpc: '2.0', id: ++nextId, method, params }, method)) as Response, method);
}

/**
 * Several calls in one JSON-RPC batch (one HTTP request): each settles on its own. Undefined
 * when the endpoint does not take batches (it answered something other than a list): the
 * caller asks one by one.
 */
export async function rpcBatch(
  url: string,
  calls: readonly { method: string; params: unknown[] }[],
): Promise<Array<PromiseSettledResult<unknown>> | undefined> {
  const first = nextId + 1;
  nextId += calls.length;
  const body = await post(
    url,
    calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params })),
    `a batch of ${calls.length} ${calls[0]?.method}`,
  );
  if (!Array.isArray(body)) return undefined;
  const byId = new Map((body as Response[]).map((r) => [r?.id, r]));
  return calls.map((c, i) => {
    try {
      return { status: 'fulfilled', value: resultOf(byId.get(first + i) ?? null, c.method) };
    } catch (reason) {
      return { status: 'rejected', reason };
    }
  });
}
