/**
 * Secrets live only in the freedesktop Secret Service: service "org.pantherx.Accounts",
 * username "<id>/<credential name>". Every failure of the store surfaces as
 * SecretsUnavailable, fast, and never carries a secret value.
 */
import { Worker } from 'node:worker_threads';
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import type { KeyringReply, KeyringRequest } from './keyring-worker.js';

export const SECRET_SERVICE_NAME = 'org.pantherx.Accounts';

export interface SecretStore {
  set(id: string, name: string, value: string): Promise<void>;
  /** Resolves null when no such secret is stored. */
  get(id: string, name: string): Promise<string | null>;
  /** Resolves false when there was nothing to delete. */
  delete(id: string, name: string): Promise<boolean>;
  close(): Promise<void>;
}

interface Pending { resolve: (r: KeyringReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | undefined }

const unavailable = (why: string) =>
  new AccountsError('SecretsUnavailable', `The Secret Service is unavailable (${why}); is a keyring running and unlocked?`);

export class KeyringSecretStore implements SecretStore {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  constructor(private readonly timeoutMs = 2000) {}

  async set(id: string, name: string, value: string): Promise<void> {
    await this.run({ op: 'set', user: `${id}/${name}`, value });
  }

  async get(id: string, name: string): Promise<string | null> {
    return (await this.run({ op: 'get', user: `${id}/${name}` })) as string | null;
  }

  async delete(id: string, name: string): Promise<boolean> {
    return (await this.run({ op: 'delete', user: `${id}/${name}` })) as boolean;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(unavailable('the service is stopping'));
    await worker?.terminate();
  }

  private run(req: Omit<KeyringRequest, 'seq' | 'service'>): Promise<KeyringReply['value']> {
    const worker = this.ensureWorker();
    const seq = ++this.seq;
    return new Promise<KeyringReply>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, timer: undefined });
      // The worker runs one request at a time: only the oldest one is on the clock, so a
      // queue of concurrent calls is not mistaken for a keyring that does not answer.
      if (this.pending.size === 1) this.startClock(seq);
      worker.postMessage({ ...req, seq, service: SECRET_SERVICE_NAME } satisfies KeyringRequest);
    }).then((reply) => {
      if (!reply.ok) throw unavailable(reply.error ?? 'unknown error');
      return reply.value;
    });
  }

  private startClock(seq: number): void {
    const p = this.pending.get(seq);
    if (!p || p.timer) return;
    p.timer = setTimeout(() => {
      // The worker is stuck in a blocking call: drop it; the next request gets a fresh one.
      log.warning(`secret service did not answer within ${this.timeoutMs} ms; restarting the keyring worker`);
      this.resetWorker(unavailable(`no answer within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./keyring-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (reply: KeyringReply) => {
      const p = this.pending.get(reply.seq);
      if (!p) return;
      this.pending.delete(reply.seq);
      clearTimeout(p.timer);
      const next = this.pending.keys().next();
      if (!next.done) this.startClock(next.value);
      p.resolve(reply);
    });
    worker.on('error', (err) => {
      log.error(`keyring worker failed: ${err.message}`);
      if (this.worker === worker) this.resetWorker(unavailable(err.message));
    });
    this.worker = worker;
    return worker;
  }

  private resetWorker(reason: Error): void {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(reason);
    void worker?.terminate();
  }

  private failAll(reason: Error): void {
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(reason);
      this.pending.delete(seq);
    }
  }
}
