/**
 * Runs @napi-rs/keyring calls on a worker thread. The library is synchronous and can block
 * for seconds (an activatable Secret Service that never answers blocks its constructor), so
 * it must never run on the thread that serves D-Bus.
 */
import { parentPort } from 'node:worker_threads';
import { Entry } from '@napi-rs/keyring';

export interface KeyringRequest { seq: number; op: 'set' | 'get' | 'delete'; service: string; user: string; value?: string }
export interface KeyringReply { seq: number; ok: boolean; value?: string | boolean | null; error?: string }

parentPort?.on('message', (req: KeyringRequest) => {
  let reply: KeyringReply;
  try {
    // Pinned: without it the library silently falls back to the kernel keyring (memory only).
    const entry = new Entry(req.service, req.user, { linux: { store: 'secret-service' } });
    let value: string | boolean | null = null;
    if (req.op === 'set') entry.setPassword(req.value ?? '');
    else if (req.op === 'get') value = entry.getPassword();
    else value = entry.deleteCredential();
    reply = { seq: req.seq, ok: true, value };
  } catch (err) {
    reply = { seq: req.seq, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(reply);
});
