/**
 * One sign-in with a provider, from the first request to the tokens: the authorization code
 * flow with PKCE (S256), a state and a login hint through the user's browser and a one-shot
 * loopback listener (RFC 8252), or the device flow (RFC 8628) for machines without a browser.
 * It knows nothing of accounts: it ends with a token record and who signed in, or a typed error.
 */
import { AccountsError, invalidArgument } from '../errors.js';
import { clientHint, type OAuth2Client, type OAuth2Provider } from './config.js';
import { configure, typed, type Configuration, type OidcLib, type TokenResponse } from './client.js';
import { LoopbackListener } from './loopback.js';
import { accessTokenOf, type TokenRecord } from './tokens.js';

export const FLOWS = ['browser', 'device'] as const;
export type Flow = (typeof FLOWS)[number];

export interface SignInParams {
  readonly providerName: string;
  readonly oauth: OAuth2Provider;
  readonly client: OAuth2Client;
  readonly tenant: string;
  readonly flow: Flow;
  /** Sent as login_hint; '' for none. */
  readonly loginHint: string;
  readonly scopes: readonly string[];
  /** How long the user has to finish. */
  readonly timeoutMs: number;
}

export interface SignInOutcome {
  readonly record: TokenRecord;
  /** Who signed in, as the provider says (e-mail, else preferred user name); '' when it does not say. */
  readonly identity: string;
}

export class SignInFlow {
  url = '';
  userCode = '';
  verificationUrl = '';
  /** Settles once: the tokens, or the typed reason it failed. */
  readonly done: Promise<SignInOutcome>;
  private readonly aborter = new AbortController();
  private stopReason: AccountsError | undefined;
  private listener: LoopbackListener | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finish!: (outcome: Promise<SignInOutcome>) => void;
  /** Rejects when the sign-in is stopped: a step that cannot be aborted (a poll's wait) is not waited for. */
  private halted!: Promise<never>;
  private rejectStopped!: (reason: AccountsError) => void;

  private constructor(private readonly p: SignInParams) {
    this.done = new Promise<Promise<SignInOutcome>>((resolve) => (this.finish = resolve)).then((o) => o);
    this.done.catch(() => undefined);
    this.halted = new Promise<never>((_, reject) => (this.rejectStopped = reject));
    this.halted.catch(() => undefined);
  }

  /** Starts a sign-in; configuration and provider errors are thrown here, before anyone waits. */
  static async start(p: SignInParams): Promise<SignInFlow> {
    const flow = new SignInFlow(p);
    const { config, lib } = await configure(p.oauth, p.client, p.tenant);
    flow.client = { config, lib };
    const run = p.flow === 'device' ? await flow.startDevice(config, lib) : await flow.startBrowser(config, lib);
    flow.timer = setTimeout(
      () =>
        flow.stop(
          new AccountsError(
            'Expired',
            `the sign-in to ${p.providerName} was not finished within ${Math.round(p.timeoutMs / 1000)} s`,
          ),
        ),
      p.timeoutMs,
    );
    flow.timer.unref();
    flow.finish(
      Promise.race([run(), flow.halted]).finally(() => {
        clearTimeout(flow.timer);
        flow.listener?.close();
      }),
    );
    return flow;
  }

  private client: { config: Configuration; lib: OidcLib } | undefined;

  /**
   * Gives back a grant that will not be kept (the account exists already, the checks failed,
   * the sign-in was cancelled meanwhile): revoked at the provider where it offers revocation.
   */
  discard(record: TokenRecord): void {
    const c = this.client;
    if (!c?.config.serverMetadata().revocation_endpoint) return;
    void c.lib.tokenRevocation(c.config, record.refresh_token).catch(() => undefined);
  }

  /** True once stop() was called: what the provider gave after that is not kept. */
  get stopped(): boolean {
    return this.stopReason !== undefined;
  }

  /** Ends the sign-in with `reason` (Cancelled, Expired); nothing after it is kept. */
  stop(reason: AccountsError): void {
    this.stopReason ??= reason;
    this.rejectStopped(this.stopReason);
    this.listener?.close(reason);
    this.aborter.abort(reason);
  }

  private scope(): string {
    return this.p.scopes.join(' ');
  }

  private async startBrowser(config: Configuration, lib: OidcLib): Promise<() => Promise<SignInOutcome>> {
    const verifier = lib.randomPKCECodeVerifier();
    const state = lib.randomState();
    const challenge = await lib.calculatePKCECodeChallenge(verifier);
    const listener = await LoopbackListener.open(this.p.oauth.redirectUri, state, this.p.providerName);
    this.listener = listener;
    try {
      this.url = lib.buildAuthorizationUrl(config, this.authorizationParams(listener.uri, challenge, state)).href;
    } catch (err) {
      listener.close();
      throw typed(err, 'building the sign-in URL');
    }
    return async () => {
      const { url } = await listener.redirect;
      const error = url.searchParams.get('error');
      if (error) {
        const detail = `${error}${url.searchParams.get('error_description') ? `: ${url.searchParams.get('error_description')!.slice(0, 200)}` : ''}`;
        throw new AccountsError(
          error === 'access_denied' ? 'AccessDenied' : 'ProviderError',
          `${this.p.providerName} did not sign in (${detail})${clientHint(error)}`,
        );
      }
      const tokens = await this.guard(
        lib.authorizationCodeGrant(config, url, { pkceCodeVerifier: verifier, expectedState: state }),
        'exchanging the authorization code',
      );
      return this.outcome(config, lib, tokens);
    };
  }

  private authorizationParams(redirectUri: string, challenge: string, state: string): Record<string, string> {
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: this.scope(),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      ...this.p.oauth.parameters,
    };
    if (this.p.loginHint) params.login_hint = this.p.loginHint;
    // OpenID Connect issues a refresh token for offline_access only after consent (Core 11).
    if (this.p.scopes.includes('openid') && this.p.scopes.includes('offline_access') && !params.prompt)
      params.prompt = 'consent';
    return params;
  }

  private async startDevice(config: Configuration, lib: OidcLib): Promise<() => Promise<SignInOutcome>> {
    if (!config.serverMetadata().device_authorization_endpoint) {
      throw invalidArgument(`${this.p.providerName} does not offer the device flow: sign in with the browser flow`);
    }
    const params: Record<string, string> = { scope: this.scope() };
    if (this.p.loginHint) params.login_hint = this.p.loginHint;
    const device = await lib.initiateDeviceAuthorization(config, params).catch((err) => {
      throw typed(err, 'starting the device sign-in');
    });
    this.userCode = device.user_code;
    this.verificationUrl = device.verification_uri;
    this.url = device.verification_uri_complete ?? '';
    return async () => {
      const tokens = await this.guard(
        lib.pollDeviceAuthorizationGrant(config, device, undefined, { signal: this.aborter.signal }),
        'waiting for the device sign-in',
      );
      return this.outcome(config, lib, tokens);
    };
  }

  /** A provider step, with its failure typed (and a stop winning over what the abort caused). */
  private async guard<T>(step: Promise<T>, what: string): Promise<T> {
    try {
      return await step;
    } catch (err) {
      if (this.stopReason) throw this.stopReason;
      const e = err as { error?: string };
      if (e?.error === 'expired_token')
        throw new AccountsError(
          'Expired',
          `the device code expired before the sign-in to ${this.p.providerName} was finished`,
        );
      throw typed(err, what);
    }
  }

  private async outcome(config: Configuration, lib: OidcLib, tokens: TokenResponse): Promise<SignInOutcome> {
    if (this.stopReason) throw this.stopReason;
    if (!tokens.refresh_token) {
      throw new AccountsError(
        'ProviderError',
        `${this.p.providerName} gave no refresh token: the provider must allow offline access for this client`,
      );
    }
    // Checked before it goes anywhere, the provider's user-info endpoint included.
    const accessToken = accessTokenOf(tokens);
    const claims = tokens.claims();
    // An address the provider says it has not verified names nobody.
    let identity = typeof claims?.email === 'string' && claims.email_verified !== false ? claims.email : '';
    if (!identity && claims && config.serverMetadata().userinfo_endpoint) {
      const info = await lib.fetchUserInfo(config, accessToken.access_token, claims.sub).catch(() => undefined);
      if (typeof info?.email === 'string' && info.email_verified !== false) identity = info.email;
    }
    if (!identity && typeof claims?.preferred_username === 'string') identity = claims.preferred_username;
    const record: TokenRecord = {
      v: 1,
      client_id: this.p.client.clientId,
      client_secret: this.p.client.clientSecret,
      tenant: this.p.tenant,
      refresh_token: tokens.refresh_token,
      scope: tokens.scope ?? this.scope(),
      tokens: { '': accessToken },
    };
    return { record, identity };
  }
}
