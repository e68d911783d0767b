/**
 * Sign-ins as the service runs them: Manager.SignIn's options checked, the provider's client
 * found, a SignInFlow started, and what a completed one means — a new account with its tokens,
 * or new tokens for an account signed in again (stored tokens are src/accounts/tokens.ts's).
 */
import type { Accounts } from './accounts.js';
import { parseProtocolList } from './options.js';
import { findProvider } from './plan.js';
import { AccountsError, invalidArgument } from '../errors.js';
import { log } from '../log.js';
import { normaliseUsername } from '../model/account.js';
import type { Provider } from '../providers/catalogue.js';
import { checkPlainDict, checkText } from '../util/validate.js';
import { checkTenant, clientFor, signInScopes, SYSTEM_CLIENT_FILE, userClientFile } from '../oauth2/config.js';
import { FLOWS, SignInFlow, type Flow } from '../oauth2/sign-in.js';
import type { TokenKeeper, TokenRecord } from '../oauth2/tokens.js';
import { oauthOf } from './tokens.js';
import { signedInToken } from './secret-rules.js';
import { checkProtocols } from '../verify/check.js';
import { startNextcloudSignIn } from '../nextcloud/sign-in.js';
import type { AccountConfig } from '../model/account.js';

type Variants = Record<string, { signature: string; value: unknown }>;

export interface SignInOptions {
  account?: string;
  flow: Flow;
  protocols?: string[];
  name?: string;
  tenant?: string;
  verify?: boolean;
}

/** How long a person has to finish a sign-in. */
export const SIGN_IN_TIMEOUT_MS = Number(process.env.PX_ACCOUNTS_SIGN_IN_TIMEOUT_MS) || 600_000;

const KNOWN = { account: 's', flow: 's', protocols: 'as', name: 's', tenant: 's', verify: 'b' } as const;

export function parseSignInOptions(options: Variants, again: boolean): SignInOptions {
  checkPlainDict(options, 'options');
  const out: SignInOptions = { flow: 'browser' };
  for (const [key, v] of Object.entries(options)) {
    const signature = (KNOWN as Record<string, string>)[key];
    const allowed = again ? key === 'flow' : signature !== undefined;
    if (!allowed || !signature)
      throw invalidArgument(
        `unknown option '${key.slice(0, 60)}' (known: ${again ? 'flow' : Object.keys(KNOWN).join(', ')})`,
      );
    if (v.signature !== signature)
      throw invalidArgument(`option ${key} must have type '${signature}', got '${v.signature}'`);
    switch (key) {
      case 'account':
        out.account = checkText(v.value as string, 'option account', 320);
        break;
      case 'flow':
        if (!(FLOWS as readonly string[]).includes(v.value as string))
          throw invalidArgument(`option flow must be ${FLOWS.join(' or ')}`);
        out.flow = v.value as Flow;
        break;
      case 'protocols':
        out.protocols = parseProtocolList(v.value as string[], 'option protocols');
        break;
      case 'name':
        out.name = checkText(v.value as string, 'option name', 256);
        break;
      case 'tenant':
        out.tenant = checkTenant(v.value as string);
        break;
      case 'verify':
        out.verify = v.value as boolean;
        break;
    }
  }
  return out;
}

export interface StartedSignIn {
  /** An OAuth2 flow, or a Nextcloud Login Flow v2 (src/nextcloud/sign-in.ts): what the request object shows and stops. */
  readonly flow: Pick<SignInFlow, 'url' | 'userCode' | 'verificationUrl' | 'stop'>;
  readonly provider: Provider;
  /** The id of the account created or signed in again; rejects with a typed error. */
  readonly done: Promise<string>;
}

export class SignIns {
  /** The keeper of the accounts' tokens (src/accounts/tokens.ts): a new grant replaces the old under its lock. */
  private readonly keeper: TokenKeeper;

  constructor(
    private readonly accounts: Accounts,
    private readonly clientFiles = [SYSTEM_CLIENT_FILE, userClientFile()],
    private readonly timeoutMs = SIGN_IN_TIMEOUT_MS,
  ) {
    this.keeper = accounts.tokens.keeper;
  }

  /** Manager.SignIn: a new account. */
  async signIn(providerId: string, options: Variants): Promise<StartedSignIn> {
    const provider = findProvider(this.accounts.catalogue, providerId);
    // refused before anyone signs in (the add checks again with the protocols it ends up with)
    this.accounts.checkPolicy({ provider: provider.id, protocols: [] });
    if (provider.auth === 'nextcloud')
      return startNextcloudSignIn((...a) => this.accounts.add(...a), provider, options, this.timeoutMs);
    const oauth = oauthOf(provider);
    const o = parseSignInOptions(options, false);
    if (!oauth.issuer && !o.account) {
      throw invalidArgument(
        `${provider.name} does not tell who signed in: give the account option (your e-mail address)`,
      );
    }
    const protocols = o.protocols ?? [...provider.protocols];
    this.accounts.checkPolicy({ provider: provider.id, protocols });
    const hint = o.account ? normaliseUsername(provider, o.account) : '';
    const flow = await SignInFlow.start({
      providerName: provider.name,
      oauth,
      client: clientFor(provider.id, provider.name, oauth, this.clientFiles),
      tenant: o.tenant ?? 'common',
      flow: o.flow,
      loginHint: hint,
      scopes: signInScopes(oauth, protocols),
      timeoutMs: this.timeoutMs,
    });
    const done = flow.done.then((outcome) =>
      this.keep(flow, outcome.record, async () => {
        const username = outcome.identity ? normaliseUsername(provider, outcome.identity) : hint;
        if (!username) throw new AccountsError('ProviderError', `${provider.name} did not say who signed in`);
        // Without an identity from the provider, the servers must accept the token for this user.
        const verify = o.verify || !outcome.identity;
        const state = await this.accounts.addSignedIn(provider.id, username, outcome.record, {
          name: o.name,
          protocols,
          verify,
        });
        log.info(`account ${state.config.id} signed in with OAuth2 (${provider.id}, ${o.flow} flow)`);
        return state.config.id;
      }),
    );
    return { flow, provider, done };
  }

  /** Account.SignInAgain: new tokens for an account, as the same user. */
  async signInAgain(id: string, options: Variants): Promise<StartedSignIn> {
    const state = this.accounts.get(id);
    if (!state) throw new AccountsError('NotFound', `account '${id}' does not exist`);
    if (state.config.auth !== 'oauth2')
      throw invalidArgument(`account ${id} does not sign in with OAuth2: store a new password with SetSecret`);
    const provider = findProvider(this.accounts.catalogue, state.config.provider);
    const oauth = oauthOf(provider);
    const o = parseSignInOptions(options, true);
    // The tenant of the grant being renewed; unreadable tokens are why people sign in again.
    const tenant = await this.accounts.tokens.read(id).then(
      (r) => r.tenant,
      () => 'common',
    );
    const flow = await SignInFlow.start({
      providerName: provider.name,
      oauth,
      client: clientFor(provider.id, provider.name, oauth, this.clientFiles),
      tenant,
      flow: o.flow,
      loginHint: state.config.username,
      scopes: signInScopes(oauth, state.config.protocols),
      timeoutMs: this.timeoutMs,
    });
    const done = flow.done.then(({ record, identity }) =>
      this.keep(flow, record, async () => {
        const current = this.accounts.get(id);
        if (!current) throw new AccountsError('NotFound', `account ${id} was removed during the sign-in`);
        if (identity && normaliseUsername(provider, identity).toLowerCase() !== current.config.username.toLowerCase()) {
          throw invalidArgument(
            `signed in as ${identity}, but account ${id} is ${current.config.username}: sign in as that user`,
          );
        }
        if (!identity) await this.confirmUser(current.config, record);
        // Under the keeper's lock: a refresh of the old grant still running cannot overwrite this.
        await this.keeper.replace(id, () => this.accounts.tokens.write(id, record, true));
        log.info(`account ${id} signed in again (${o.flow} flow)`);
        return id;
      }),
    );
    return { flow, provider, done };
  }

  /** Keeps what a completed sign-in gave, unless it was stopped meanwhile; a grant not kept is given back. */
  private async keep(flow: SignInFlow, record: TokenRecord, use: () => Promise<string>): Promise<string> {
    try {
      if (flow.stopped) throw new AccountsError('Cancelled', 'the sign-in was cancelled');
      return await use();
    } catch (err) {
      flow.discard(record);
      throw err;
    }
  }

  /**
   * A provider that does not say who signed in (no ID token): the account's own servers decide.
   * At least one protocol must accept the new token for the account's user, and none refuse it.
   */
  private async confirmUser(config: AccountConfig, record: TokenRecord): Promise<void> {
    const source = signedInToken(record);
    const results = await this.accounts.checker.run(`sign-in of ${config.id}`, () =>
      checkProtocols({ ...config, auth: 'oauth2' }, source),
    );
    const values = Object.values(results);
    if (values.some((r) => r.code === 'Unauthorized') || !values.some((r) => r.ok)) {
      const refused = values.some((r) => r.code === 'Unauthorized');
      throw new AccountsError(
        refused ? 'InvalidArgument' : 'Unreachable',
        refused
          ? `the servers of account ${config.id} do not accept this sign-in for ${config.username}: sign in as that user`
          : `who signed in cannot be confirmed: the servers of account ${config.id} cannot be reached`,
      );
    }
  }
}
