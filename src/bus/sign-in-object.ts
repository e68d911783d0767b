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
  /** The account signed in again; '' for a new one. */
  readonly account: string;
}

class SignInInterface implements ExportedInterface {
  constructor(readonly spec: InterfaceSpec, private readonly request: Request) {}

  getProperty(name: string): unknown {
    const { flow, provider } = this.request.started;
    switch (name) {
      case 'Provider': return provider.id;
      case 'Flow': return flow.userCode ? 'device' : 'browser';
      case 'Url': return flow.url;
      case 'UserCode': return flow.userCode;
      case 'VerificationUrl': return flow.verificationUrl;
      case 'Account': return this.request.account;
    }
    throw new Error(`no getter for SignIn.${name}`);
  }

  callMethod(name: string, _args: unknown[], ctx: CallContext): unknown {
    if (name !== 'Cancel') throw new Error(`no handler for SignIn.${name}`);
    if (ctx.sender !== this.request.owner) throw new AccountsError('AccessDenied', 'only the connection that started a sign-in may cancel it');
    this.request.started.flow.stop(new AccountsError('Cancelled', 'the sign-in was cancelled'));
    return undefined;
  }
}

export class SignInRequests {
  private next = 0;
  private readonly live = new Map<string, Request>();

  constructor(private readonly server: ObjectServer, private readonly spec: InterfaceSpec) {}

  /** Exports a started sign-in for `owner` and returns its path. */
  add(started: StartedSignIn, owner: string, account = ''): string {
    const path = `${SIGN_IN_PATH_PREFIX}${++this.next}`;
    const request: Request = { started, owner, account };
    this.live.set(path, request);
    this.server.setObject(path, [new SignInInterface(this.spec, request)]);
    started.done.then(
      (id) => this.end(path, 'Completed', [accountPath(id)]),
      (err: Error) => {
        const kind = err instanceof AccountsError ? err.kind : 'ProviderError';
        if (!(err instanceof AccountsError)) log.error(`sign-in ${path} failed unexpectedly: ${err?.name}`);
        log.info(`sign-in ${path} (${started.provider.id}) ended: ${kind}`);
        this.end(path, 'Failed', [kind, err instanceof AccountsError ? err.message : 'the sign-in failed unexpectedly']);
      },
    );
    return path;
  }

  private end(path: string, signal: 'Completed' | 'Failed', args: unknown[]): void {
    if (!this.live.delete(path)) return;
    this.server.emitSignal(path, SIGN_IN_IFACE, signal, args);
    this.server.removeObject(path);
  }

  /** A connection left the bus: the sign-ins it started are cancelled. */
  ownerGone(name: string): void {
    for (const r of this.live.values()) {
      if (r.owner === name) r.started.flow.stop(new AccountsError('Cancelled', 'the app that started the sign-in left the bus'));
    }
  }

  /** Service shutdown. */
  stopAll(): void {
    for (const r of this.live.values()) r.started.flow.stop(new AccountsError('Cancelled', 'the service is stopping'));
  }
}
