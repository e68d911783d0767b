/**
 * OAuth2 sign-ins started from the page. Each runs in the client library (which listens for the
 * request's end); the page follows it through server-sent events and may cancel it.
 */
import { randomBytes } from 'node:crypto';
import type { Account, AccountsClient, SignInHandlers } from '../client/index.js';
import type { UiEvent } from './service-link.js';
import { wordError } from './words.js';

type Run = (client: AccountsClient, handlers: SignInHandlers) => Promise<Account>;

export class SignIns {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly send: (e: UiEvent) => void,
    private readonly openUrl: (url: string) => void,
  ) {}

  /** Starts a sign-in and returns its id at once; its progress arrives as `signin` events. */
  start(client: AccountsClient, run: Run): string {
    const id = randomBytes(8).toString('hex');
    const abort = new AbortController();
    this.running.set(id, abort);
    run(client, {
      signal: abort.signal,
      onStarted: (r) => {
        this.send({
          type: 'signin',
          id,
          state: 'waiting',
          url: r.url,
          userCode: r.userCode,
          verificationUrl: r.verificationUrl,
        });
        if (r.flow === 'browser' && r.url) this.openUrl(r.url);
      },
    })
      .then(
        (account) => this.send({ type: 'signin', id, state: 'done', account: account.id }),
        (err) => this.send({ type: 'signin', id, state: 'failed', ...wordError(err) }),
      )
      .finally(() => this.running.delete(id));
    return id;
  }

  /** Cancels a sign-in; false if there is none of that id. */
  cancel(id: string): boolean {
    const abort = this.running.get(id);
    abort?.abort();
    return abort !== undefined;
  }

  cancelAll(): void {
    for (const abort of this.running.values()) abort.abort();
  }
}
