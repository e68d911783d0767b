/**
 * The main thread's side of verifier-worker.ts: one worker, started on the first check, with
 * any number of checks in flight (they are network-bound). If the worker dies (a library
 * throwing from a socket callback would otherwise have ended the service), its checks answer
 * Unknown and the next check starts a new one.
 */
import { Worker } from 'node:worker_threads';
import { log } from '../log.js';
import type { VerifyOptions, VerifyResult, VerifySettings } from '../protocols/common/types.js';
import type { VerifierReply, VerifierRequest } from './verifier-worker.js';

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, (r: VerifyResult) => void>();

function failAll(message: string): void {
  for (const resolve of pending.values()) resolve({ ok: false, code: 'Unknown', message });
  pending.clear();
}

/** The verifier thread's heap (why: below); the wallet clients' answers are capped to fit it (bounded-fetch.ts). */
export const VERIFIER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 };

function ensureWorker(): Worker {
  if (worker) return worker;
  // A small young generation: the thread's checks are network-bound, and with V8's default
  // (semi-spaces growing to 16 MB) a 10 000-account start-up sweep held ~20 MB more at its
  // peak for no gain in speed. A bounded old generation: V8 lets a heap of an unbounded size
  // grow to ~4× what survived its last full collection before the next one (the thread's
  // garbage of a sweep took it from 13 to 43 MB); bounded, it collects at ~2× (26 MB). The
  // thread holds ~13 MB of clients and what 8 checks at once need; a thread that runs out is
  // replaced, its checks answered Unknown (docs/benchmarks.md).
  const w = new Worker(new URL('./verifier-worker.js', import.meta.url), { resourceLimits: VERIFIER_LIMITS });
  w.unref();
  w.on('message', (reply: VerifierReply) => {
    const resolve = pending.get(reply.id);
    pending.delete(reply.id);
    resolve?.(reply.result);
  });
  const gone = (why: string) => {
    if (worker !== w) return;
    worker = undefined;
    log.error(`verifier thread ${why}; its checks are reported as failed`);
    failAll(`the check was interrupted (${why})`);
  };
  w.on('error', (err) => gone(`failed: ${err.name}`));
  w.on('exit', (code) => gone(`exited with status ${code}`));
  worker = w;
  return w;
}

/** Runs a built-in protocol's verifier on the verifier thread. */
export function runVerifier(
  protocol: string,
  settings: VerifySettings,
  secret: string,
  options: Pick<VerifyOptions, 'timeoutMs' | 'secrets' | 'account' | 'auth' | 'proxy'>,
): Promise<VerifyResult> {
  const id = ++nextId;
  return new Promise<VerifyResult>((resolve) => {
    pending.set(id, resolve);
    ensureWorker().postMessage({
      id,
      protocol,
      settings,
      secret,
      timeoutMs: options.timeoutMs,
      secrets: options.secrets ?? {},
      auth: options.auth ?? 'password',
      ...(options.proxy ? { proxy: options.proxy } : {}),
    } satisfies VerifierRequest);
  });
}

/** Stops the worker (service shutdown); checks still running answer Unknown. */
export async function stopVerifiers(): Promise<void> {
  const w = worker;
  worker = undefined;
  failAll('the service is stopping');
  await w?.terminate();
}
