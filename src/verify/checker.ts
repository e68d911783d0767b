/**
 * The one queue of every check the service runs: stored accounts' checks (merged when one is
 * already queued or running, retried with a growing delay when they fail) and checks of
 * settings not saved yet (ValidateCredentials, AddAccount's verify, a sign-in's confirmation).
 * All share one concurrency limit, so no caller can make the service start more `openvpn`
 * processes or connections than that; a caller has at most a few unsaved checks waiting.
 * It never blocks a D-Bus call: callers that want a result await their own promise.
 */
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import type { CheckResults } from './check.js';

/** Unsaved-settings checks one caller (an app) may have queued or running at once. */
export const MAX_CHECKS_PER_CALLER = 4;

export interface CheckerOptions {
  concurrency: number;
  /** Retry failing accounts (background checks); on-demand checks work either way. */
  retry: boolean;
  firstRetryMs: number;
  maxRetryMs: number;
}

interface Job {
  id: string;
  promise: Promise<CheckResults>;
  resolve: (r: CheckResults) => void;
  reject: (e: Error) => void;
}
/** A check of settings that are not an account yet, run when a slot is free. */
interface Unsaved {
  owner: string;
  start(): Promise<unknown>;
  cancel(): void;
}
type Task = Job | Unsaved;

export class Checker {
  private readonly queue: Task[] = [];
  /** Unsaved checks queued or running, by owner. */
  private readonly unsaved = new Map<string, number>();
  private readonly jobs = new Map<string, Job>();
  private readonly failures = new Map<string, number>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private running = 0;
  private stopped = false;
  /** Accounts a sweep still has to check: pulled one at a time when a slot is free. */
  private sweepIds: Iterator<string> | undefined;
  /** While the network is down (src/live/network.ts), failed accounts wait here instead of on a timer. */
  private paused = false;
  private readonly parked = new Set<string>();
  private readonly idleListeners = new Set<() => void>();

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
    const job = this.newJob(id);
    if (urgent) this.queue.unshift(job);
    else this.queue.push(job);
    this.pump();
    return job.promise;
  }

  /**
   * Checks every account in `ids` behind any queued request, without creating a job per
   * account up front: at start-up with 10 000 accounts that took ~70 ms of one thread (and a
   * garbage collection) right when the first calls arrive. `exists` skips ids removed since.
   */
  sweep(ids: Iterable<string>, exists: (id: string) => boolean): void {
    this.sweepIds = this.unchecked(ids, exists);
    this.pump();
  }

  /** The ids of `ids` still there and not already queued, read one at a time as the pool frees up. */
  private *unchecked(ids: Iterable<string>, exists: (id: string) => boolean): Generator<string> {
    for (const id of ids) if (exists(id) && !this.jobs.has(id)) yield id;
  }

  /**
   * Runs a check of unsaved settings in the shared pool, ahead of background checks (someone
   * waits for it). Refused with LimitExceeded when `owner` already has its share waiting.
   */
  run<T>(owner: string, check: () => Promise<T>): Promise<T> {
    if (this.stopped) return Promise.reject(new AccountsError('Cancelled', 'the service is stopping'));
    const mine = this.unsaved.get(owner) ?? 0;
    if (mine >= MAX_CHECKS_PER_CALLER) {
      return Promise.reject(
        new AccountsError(
          'LimitExceeded',
          `${mine} checks of ${owner} are already running or waiting (at most ${MAX_CHECKS_PER_CALLER}): wait for one to finish`,
        ),
      );
    }
    this.unsaved.set(owner, mine + 1);
    const done = () => {
      const n = (this.unsaved.get(owner) ?? 1) - 1;
      if (n > 0) this.unsaved.set(owner, n);
      else this.unsaved.delete(owner);
    };
    return new Promise<T>((resolve, reject) => {
      const task: Unsaved = {
        owner,
        start: () => check().then(resolve, reject).finally(done),
        cancel: () => {
          done();
          reject(new AccountsError('Cancelled', 'the service is stopping'));
        },
      };
      // Behind other unsaved checks, ahead of stored accounts' (a person is waiting).
      const at = this.queue.findIndex((t) => !('owner' in t));
      this.queue.splice(at < 0 ? this.queue.length : at, 0, task);
      this.pump();
    });
  }

  /** Forgets an account (removed): no retry will run for it. */
  forget(id: string): void {
    clearTimeout(this.retries.get(id));
    this.retries.delete(id);
    this.failures.delete(id);
    this.parked.delete(id);
  }

  /** The network went away: no retry runs (failed accounts are parked) until resumeRetries. */
  pauseRetries(): void {
    if (this.paused) return;
    this.paused = true;
    for (const [id, timer] of this.retries) {
      clearTimeout(timer);
      this.parked.add(id);
    }
    this.retries.clear();
  }

  /**
   * The network is back: retries run again, and `ids` plus the parked accounts are checked now,
   * `spreadMs` apart, through the queue (so the concurrency limit holds), with a fresh backoff.
   * Returns how many were queued.
   */
  resumeRetries(ids: Iterable<string>, spreadMs: number): number {
    this.paused = false;
    if (this.stopped) return 0;
    const all = new Set([...this.parked, ...ids]);
    this.parked.clear();
    let i = 0;
    for (const id of all) {
      clearTimeout(this.retries.get(id));
      this.failures.delete(id);
      const timer = setTimeout(() => {
        this.retries.delete(id);
        this.request(id).catch(() => undefined);
      }, spreadMs * i++);
      timer.unref();
      this.retries.set(id, timer);
    }
    return all.size;
  }

  stop(): void {
    this.stopped = true;
    this.sweepIds = undefined;
    // Nothing queued will run: whoever waits (a Verify call the shutdown drains) is answered.
    for (const t of this.queue.splice(0)) {
      if ('owner' in t) t.cancel();
      else {
        this.jobs.delete(t.id);
        t.reject(new AccountsError('Cancelled', 'the service is stopping'));
      }
    }
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
    this.parked.clear();
  }

  get pending(): number {
    return this.jobs.size;
  }

  /** Whether checks of accounts are queued or running, a sweep's included. */
  get busy(): boolean {
    return this.jobs.size > 0 || this.sweepIds !== undefined;
  }

  /** Calls `listener` each time the last queued or running check of an account has settled. */
  onIdle(listener: () => void): void {
    this.idleListeners.add(listener);
  }

  private promote(job: Job): void {
    const i = this.queue.indexOf(job);
    if (i > 0) {
      this.queue.splice(i, 1);
      this.queue.unshift(job);
    }
  }

  private pump(): void {
    while (!this.stopped && this.running < this.options.concurrency) {
      const task = this.queue.shift() ?? this.nextSwept();
      if (!task) return;
      this.running++;
      if ('owner' in task) {
        void task.start().finally(() => {
          this.running--;
          this.pump();
          this.toldIfIdle(); // it may have taken the slot that would have ended a sweep
        });
        continue;
      }
      const job = task;
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

  private nextSwept(): Job | undefined {
    const next = this.sweepIds?.next();
    if (!next || next.done) {
      this.sweepIds = undefined;
      return undefined;
    }
    const job = this.newJob(next.value);
    job.promise.catch((err: Error) => log.info(`background check of ${job.id} did not run: ${err.message}`));
    return job;
  }

  private newJob(id: string): Job {
    let resolve!: Job['resolve'];
    let reject!: Job['reject'];
    const promise = new Promise<CheckResults>((res, rej) => ((resolve = res), (reject = rej)));
    const job: Job = { id, promise, resolve, reject };
    this.jobs.set(id, job);
    clearTimeout(this.retries.get(id));
    this.retries.delete(id);
    return job;
  }

  private settled(job: Job, ok: boolean): void {
    this.running--;
    this.jobs.delete(job.id);
    if (ok) this.failures.delete(job.id);
    else if (this.options.retry && !this.stopped) this.scheduleRetry(job.id);
    this.pump();
    this.toldIfIdle();
  }

  private toldIfIdle(): void {
    if (!this.busy) for (const listener of this.idleListeners) listener();
  }

  private scheduleRetry(id: string): void {
    const n = (this.failures.get(id) ?? 0) + 1;
    this.failures.set(id, n);
    if (this.paused) {
      this.parked.add(id);
      log.info(`account ${id}: not retried while the network is down; checked again when it is back`);
      return;
    }
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
