/**
 * Sign-in requests on the bus: one object per sign-in in progress at
 * /org/pantherx/Accounts/signin/<n> (interface org.pantherx.Accounts.SignIn), like
 * xdg-desktop-portal's Request objects. Each ends with Completed or Failed and then goes away;
 * only the connection that started it may cancel it, and it is cancelled when that connection
 * leaves the bus (a CLI killed by Ctrl-C leaves nothing listening).
 */
import { AccountsError } from '../errors.js';
import { log } from '../log.js';
import type { StartedSignIn } from '../accounts/sign-ins.js';
import type { InterfaceSpec } from './contract.js';
import type { CallContext, ExportedInterface, ObjectServer } from './object-server.js';
import { accountPath } from './paths.js';
import { SIGN_IN_IFACE, SIGN_IN_PATH_PREFIX } from '../contract/names.js';

interface Request {
  readonly started: StartedSignIn;
  readonly owner: string;
  /** The app that asked (its share of sign-ins). */
  readonly app: string;
  /** The account signed in again; '' for a new one. */
  readonly account: string;
}

class SignInInterface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly request: Request,
  ) {}

  getProperty(name: string): unknown {
    const { flow, provider } = this.request.started;
    switch (name) {
      case 'Provider':
        return provider.id;
      case 'Flow':
        return flow.userCode ? 'device' : 'browser';
      case 'Url':
        return flow.url;
      case 'UserCode':
        return flow.userCode;
      case 'VerificationUrl':
        return flow.verificationUrl;
      case 'Account':
        return this.request.account;
    }
    throw new Error(`no getter for SignIn.${name}`);
  }

  /** The URL carries the request's state and the device code its grant: for the requester only. */
  readableBy(sender: string): boolean {
    return sender === this.request.owner;
  }

  callMethod(name: string, _args: unknown[], ctx: CallContext): unknown {
    if (name !== 'Cancel') throw new Error(`no handler for SignIn.${name}`);
    if (ctx.sender !== this.request.owner)
      throw new AccountsError('AccessDenied', 'only the connection that started a sign-in may cancel it');
    this.request.started.flow.stop(new AccountsError('Cancelled', 'the sign-in was cancelled'));
    return undefined;
  }
}

/** Sign-ins one app may have starting or in progress at once (each holds a listening socket and a timer). */
export const MAX_SIGN_INS_PER_CALLER = 3;

/**
 * Whose share a sign-in is: a sandboxed app's as a whole (it could open more connections), a
 * host app's per connection (the user's own programs are not a boundary).
 */
export const signInKey = (ctx: CallContext): string => {
  const caller = ctx.caller as { kind?: string; app?: string } | undefined;
  return caller && caller.kind !== 'host' && caller.app ? `app ${caller.app}` : ctx.sender;
};
/** Unique names are never reused on a bus: the latest ones that left are remembered, this many. */
const DEPARTED_KEPT = 1024;

export class SignInRequests {
  private next = 0;
  private readonly live = new Map<string, Request>();
  private readonly departed = new Set<string>();
  /** Sign-ins being started (discovery, a listener) by app: they count from the call on. */
  private readonly starting = new Map<string, number>();

  constructor(
    private readonly server: ObjectServer,
    private readonly spec: InterfaceSpec,
  ) {}

  /**
   * Runs `start` for `app` if it has room, counting it from now (not from when it is exported:
   * calls made at once would all find room), and exports what it starts for `owner`.
   */
  async start(app: string, owner: string, start: () => Promise<StartedSignIn>, account = ''): Promise<string> {
    const mine = (this.starting.get(app) ?? 0) + [...this.live.values()].filter((r) => r.app === app).length;
    if (mine >= MAX_SIGN_INS_PER_CALLER) {
      throw new AccountsError(
        'LimitExceeded',
        `${mine} sign-ins of ${app.startsWith('app ') ? app.slice(4) : 'this connection'} are in progress (at most ${MAX_SIGN_INS_PER_CALLER}): finish or cancel one first`,
      );
    }
    this.starting.set(app, (this.starting.get(app) ?? 0) + 1);
    try {
      const started = await start();
      return this.add(started, owner, app, account);
    } finally {
      const n = this.starting.get(app)! - 1;
      if (n > 0) this.starting.set(app, n);
      else this.starting.delete(app);
    }
  }

  /** Exports a started sign-in for `owner` and returns its path. */
  private add(started: StartedSignIn, owner: string, app: string, account: string): string {
    // The caller may have left while the sign-in started (discovery can take seconds).
    if (this.departed.has(owner))
      started.flow.stop(new AccountsError('Cancelled', 'the app that started the sign-in left the bus'));
    const path = `${SIGN_IN_PATH_PREFIX}${++this.next}`;
    const request: Request = { started, owner, app, account };
    this.live.set(path, request);
    this.server.setObject(path, [new SignInInterface(this.spec, request)]);
    started.done.then(
      (id) => this.end(path, 'Completed', [accountPath(id)]),
      (err: Error) => {
        const kind = err instanceof AccountsError ? err.kind : 'ProviderError';
        if (!(err instanceof AccountsError)) log.error(`sign-in ${path} failed unexpectedly: ${err?.name}`);
        log.info(`sign-in ${path} (${started.provider.id}) ended: ${kind}`);
        this.end(path, 'Failed', [
          kind,
          err instanceof AccountsError ? err.message : 'the sign-in failed unexpectedly',
        ]);
      },
    );
    return path;
  }

  private end(path: string, signal: 'Completed' | 'Failed', args: unknown[]): void {
    if (!this.live.delete(path)) return;
    // Called from a promise's handlers: a throw here would be an unhandled rejection, which ends the service.
    try {
      this.server.emitSignal(path, SIGN_IN_IFACE, signal, args);
    } catch (err) {
      log.error(`sign-in ${path}: ${signal} could not be sent: ${(err as Error)?.message}`);
    } finally {
      this.server.removeObject(path);
    }
  }

  /** A connection left the bus: the sign-ins it started are cancelled. */
  ownerGone(name: string): void {
    this.departed.add(name);
    if (this.departed.size > DEPARTED_KEPT) this.departed.delete(this.departed.values().next().value!);
    for (const r of this.live.values()) {
      if (r.owner === name)
        r.started.flow.stop(new AccountsError('Cancelled', 'the app that started the sign-in left the bus'));
    }
  }

  /** Service shutdown. */
  stopAll(): void {
    for (const r of this.live.values()) r.started.flow.stop(new AccountsError('Cancelled', 'the service is stopping'));
  }
}
