/**
 * The background checker: runs account checks a few at a time, merges requests for an
 * account already queued or running, and retries failing accounts with a growing delay.
 * It never blocks a D-Bus call: callers that want a result await their own promise.
 */
import { log } from '../log.js';
import type { CheckResults } from './check.js';

export interface CheckerOptions {
  concurrency: number;
  /** Retry failing accounts (background checks); on-demand checks work either way. */
  retry: boolean;
  firstRetryMs: number;
  maxRetryMs: number;
}

interface Job { id: string; promise: Promise<CheckResults>; resolve: (r: CheckResults) => void; reject: (e: Error) => void }

export class Checker {
  private readonly queue: Job[] = [];
  private readonly jobs = new Map<string, Job>();
  private readonly failures = new Map<string, number>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private running = 0;
  private stopped = false;

  constructor(
    /** Checks one account and applies the result; resolves ok=true when everything passed. */
    private readonly check: (id: string) => Promise<{ results: CheckResults; ok: boolean }>,
    private readonly options: CheckerOptions,
  ) {}

  /** Queues a check (at the front when `urgent`); an existing one for the id is shared. */
  request(id: string, urgent = false): Promise<CheckResults> {
    const existing = this.jobs.get(id);
    if (existing) {
      if (urgent) this.promote(existing);
      return existing.promise;
    }
    let resolve!: Job['resolve'];
    let reject!: Job['reject'];
    const promise = new Promise<CheckResults>((res, rej) => ((resolve = res), (reject = rej)));
    const job: Job = { id, promise, resolve, reject };
    this.jobs.set(id, job);
    clearTimeout(this.retries.get(id));
    this.retries.delete(id);
    if (urgent) this.queue.unshift(job);
    else this.queue.push(job);
    this.pump();
    return promise;
  }

  /** Forgets an account (removed): no retry will run for it. */
  forget(id: string): void {
    clearTimeout(this.retries.get(id));
    this.retries.delete(id);
    this.failures.delete(id);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
  }

  get pending(): number {
    return this.jobs.size;
  }

  private promote(job: Job): void {
    const i = this.queue.indexOf(job);
    if (i > 0) {
      this.queue.splice(i, 1);
      this.queue.unshift(job);
    }
  }

  private pump(): void {
    while (!this.stopped && this.running < this.options.concurrency && this.queue.length) {
      const job = this.queue.shift()!;
      this.running++;
      this.check(job.id).then(
        ({ results, ok }) => {
          this.settled(job, ok);
          job.resolve(results);
        },
        (err: Error) => {
          this.settled(job, false);
          job.reject(err);
        },
      );
    }
  }

  private settled(job: Job, ok: boolean): void {
    this.running--;
    this.jobs.delete(job.id);
    if (ok) this.failures.delete(job.id);
    else if (this.options.retry && !this.stopped) this.scheduleRetry(job.id);
    this.pump();
  }

  private scheduleRetry(id: string): void {
    const n = (this.failures.get(id) ?? 0) + 1;
    this.failures.set(id, n);
    const delay = Math.min(this.options.maxRetryMs, this.options.firstRetryMs * 2 ** (n - 1));
    log.debug(`account ${id}: check failed ${n} time(s); next try in ${Math.round(delay / 1000)} s`);
    const timer = setTimeout(() => {
      this.retries.delete(id);
      this.request(id).catch(() => undefined);
    }, delay);
    timer.unref();
    this.retries.set(id, timer);
  }
}
