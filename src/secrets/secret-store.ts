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

interface Pending {
  req: KeyringRequest;
  resolve: (r: KeyringReply) => void;
  reject: (e: Error) => void;
}

/**
 * Requests one worker serves before it is replaced. Each Entry keeps its own Secret Service
 * connection (~11 ms to open) until it is finalised; ending the worker's isolate closes them
 * all, so the service never holds more than a few. A worker takes ~55 ms to start, so the
 * next one starts while the current one serves (see `spare`). Measured per keyring call:
 * ~37 ms replacing after 4 without a spare, ~15-22 ms after 8 with one.
 */
export const KEYRING_CALLS_PER_WORKER = 8;

/** The timeout while the keyring is known not to answer. */
const HUNG_TIMEOUT_MS = 300;

const unavailable = (why: string) =>
  new AccountsError('SecretsUnavailable', `The Secret Service is unavailable (${why}); is a keyring running and unlocked?`);

export class KeyringSecretStore implements SecretStore {
  private worker: Worker | undefined;
  /** The next worker, started while the current one serves, so a replacement costs no wait. */
  private spare: Worker | undefined;
  /** Waiting requests; one at a time goes to the worker, so only it is on the clock. */
  private readonly queue: Pending[] = [];
  private current: (Pending & { timer: NodeJS.Timeout; worker: Worker }) | undefined;
  private seq = 0;
  private served = 0;
  /** Set when the keyring stopped answering: later calls fail fast until one succeeds. */
  private hung = false;

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
    const workers = [this.worker, this.spare];
    this.worker = this.spare = undefined;
    this.failAll(unavailable('the service is stopping'));
    await Promise.all(workers.map((w) => w?.terminate()));
  }

  private run(req: Omit<KeyringRequest, 'seq' | 'service'>): Promise<KeyringReply['value']> {
    return new Promise<KeyringReply>((resolve, reject) => {
      this.queue.push({ req: { ...req, seq: ++this.seq, service: SECRET_SERVICE_NAME }, resolve, reject });
      this.pump();
    }).then((reply) => {
      if (!reply.ok) throw unavailable(reply.error ?? 'unknown error');
      return reply.value;
    });
  }

  private pump(): void {
    if (this.current || this.queue.length === 0) return;
    const next = this.queue.shift()!;
    const worker = this.ensureWorker();
    // Calls of one account are serialised: with a hung keyring each would wait the full
    // timeout in turn. After one timeout, the next calls get a short one until one succeeds.
    const timeout = this.hung ? HUNG_TIMEOUT_MS : this.timeoutMs;
    const timer = setTimeout(() => {
      // The worker is stuck in a blocking call: drop it with everything queued behind it
      // (they would wait just as long); the next request gets a fresh worker.
      log.warning(`secret service did not answer within ${timeout} ms; restarting the keyring worker`);
      this.hung = true;
      this.resetWorker(unavailable(`no answer within ${timeout} ms`));
    }, timeout);
    this.current = { ...next, timer, worker };
    worker.postMessage(next.req);
    this.spare ??= this.spawnWorker();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    this.worker = this.spare ?? this.spawnWorker();
    this.spare = undefined;
    this.served = 0;
    return this.worker;
  }

  private spawnWorker(): Worker {
    const worker = new Worker(new URL('./keyring-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (reply: KeyringReply) => {
      const current = this.current;
      if (!current || current.worker !== worker || current.req.seq !== reply.seq) return;
      clearTimeout(current.timer);
      this.current = undefined;
      if (reply.ok) this.hung = false;
      if (++this.served >= KEYRING_CALLS_PER_WORKER && this.worker === worker) {
        this.worker = undefined;
        void worker.terminate();
      }
      current.resolve(reply);
      this.pump();
    });
    worker.on('error', (err) => {
      log.error(`keyring worker failed: ${err.message}`);
      if (this.spare === worker) this.spare = undefined;
      if (this.worker === worker) this.resetWorker(unavailable(err.message));
    });
    return worker;
  }

  private resetWorker(reason: Error): void {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(reason);
    void worker?.terminate();
  }

  private failAll(reason: Error): void {
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.reject(reason);
      this.current = undefined;
    }
    for (const p of this.queue.splice(0)) p.reject(reason);
  }
}
