/**
 * The window's one connection to org.pantherx.Accounts, through the client library: keeps the
 * accounts current from the bus's signals, knows whether the service is there, reconnects when
 * the bus connection or the service goes away, and tells listeners what changed.
 */
import { EventEmitter } from 'node:events';
import { AccountsClient, AccountsClientError, type ConnectOptions } from '../client/index.js';
import { accountView } from './views.js';
import type { UiEvent } from './wire.js';

/** What the page is told, as one JSON object per server-sent event. */
export type { UiEvent };

export class ServiceLink extends EventEmitter<{ event: [UiEvent] }> {
  private client: AccountsClient | undefined;
  private up = false;
  private stopped = false;
  private attaching: Promise<void> | undefined;
  private firstTry: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: ConnectOptions = {},
    private readonly retryMs = 1000,
  ) {
    super();
  }

  /**
   * Connects and starts watching; retries in the background until it works. Resolves after
   * the first attempt, whatever it gave (serviceUp says).
   */
  start(): Promise<void> {
    if (!this.attaching) {
      let tried: () => void = () => undefined;
      this.firstTry = new Promise<void>((r) => (tried = r));
      this.attaching = this.attach(tried).finally(() => (this.attaching = undefined));
    }
    return this.firstTry;
  }

  stop(): void {
    this.stopped = true;
    this.client?.close();
    this.client = undefined;
  }

  get serviceUp(): boolean {
    return this.up;
  }

  snapshot(): UiEvent {
    return {
      type: 'snapshot',
      service: this.up,
      accounts: this.up && this.client ? this.client.accounts.map((a) => accountView(a)) : [],
    };
  }

  /** The client for a call; ServiceUnreachable while there is no bus connection. */
  get(): AccountsClient {
    if (!this.client || this.client.disconnected) {
      void this.start();
      throw new AccountsClientError('ServiceUnreachable', 'no connection to the session bus');
    }
    return this.client;
  }

  private setUp(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    this.emit('event', up ? this.snapshot() : { type: 'service', up: false });
  }

  private async attach(tried: () => void): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.client || this.client.disconnected)
          this.client = this.wire(await AccountsClient.connect(this.options));
        await this.client.watch();
        this.setUp(true);
        tried();
        return;
      } catch {
        this.setUp(false);
        tried();
        await new Promise((r) => setTimeout(r, this.retryMs));
      }
    }
    tried();
  }

  private wire(c: AccountsClient): AccountsClient {
    const send = (e: UiEvent) => this.emit('event', e);
    c.on('added', (a) => send({ type: 'account', account: accountView(a) }));
    c.on('changed', (a) => send({ type: 'account', account: accountView(a) }));
    c.on('status', (a) => send({ type: 'account', account: accountView(a) }));
    c.on('removed', (a) => send({ type: 'removed', id: a.id }));
    c.on('transfer', (a, t) => send({ type: 'transfer', id: a.id, amount: t.amount, counterparty: t.counterparty }));
    c.on('accessRequested', (account, app) =>
      send({ type: 'access', account, app, decision: 'pending', requested: true }),
    );
    c.on('accessChanged', (account, app, decision) =>
      send({ type: 'access', account, app, decision, requested: false }),
    );
    c.on('hostAppsChanged', (mode) => send({ type: 'host-apps', mode }));
    c.on('serviceStopped', () => this.setUp(false));
    c.on('serviceStarted', () => {
      // A new instance: the page gets the whole list again rather than a diff it might miss.
      if (this.up) send(this.snapshot());
      else this.setUp(true);
    });
    c.on('disconnected', () => {
      if (this.client === c) this.client = undefined;
      this.setUp(false);
      if (!this.stopped) void this.start();
    });
    return c;
  }
}
