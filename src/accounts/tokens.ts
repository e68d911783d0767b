/**
 * OAuth2 accounts' tokens: the record stored as the `oauth2` secret, read and written under
 * the account's lock, and the keeper (src/oauth2/tokens.ts) that hands out fresh access tokens
 * to checks, apps and the GOA view, refreshing them with the client the grant was made to.
 */
import { EventEmitter } from 'node:events';
import { AccountsError, invalidArgument } from '../errors.js';
import type { Catalogue, Provider } from '../providers/catalogue.js';
import type { SecretStore } from '../secrets/secret-service.js';
import type { OAuth2Provider } from '../oauth2/config.js';
import { configure } from '../oauth2/client.js';
import { parseRecord, TOKEN_SECRET, TokenKeeper, type TokenRecord, type TokenStore } from '../oauth2/tokens.js';
import type { AccountIndex, AccountState } from './account-index.js';
import { findProvider } from './plan.js';

/** A provider's OAuth2 settings; InvalidArgument for one that signs in with a password. */
export function oauthOf(provider: Provider): OAuth2Provider {
  if (!provider.oauth2) throw invalidArgument(`${provider.name} does not sign in with OAuth2 (add it with a password)`);
  return provider.oauth2;
}

/** What happens to an account's grant, for its status (src/accounts/checks.ts). */
export interface TokenEvents {
  /** The provider refused the grant: the account needs a new sign-in. */
  refused: [id: string, message: string];
  /** New tokens from a sign-in (not a refresh) were stored: whatever needed attention is over. */
  signedIn: [state: AccountState];
}

export interface AccountTokensDeps {
  readonly index: AccountIndex;
  readonly secrets: SecretStore;
  readonly catalogue: Catalogue;
}

/**
 * A check needs an access token, and a refused token changes the account's status (which the
 * checks own): the two need each other, so the tokens tell the status by these events.
 */
export class AccountTokens extends EventEmitter<TokenEvents> {
  readonly keeper: TokenKeeper;
  private readonly index: AccountIndex;
  private readonly secrets: SecretStore;
  private readonly catalogue: Catalogue;

  constructor(deps: AccountTokensDeps) {
    super();
    this.index = deps.index;
    this.secrets = deps.secrets;
    this.catalogue = deps.catalogue;
    this.keeper = new TokenKeeper(this.tokenStore());
  }

  /** An access token for a check of `protocol` (a new one when `renew`: the server refused the last). */
  async accessToken(id: string, protocol: string, renew: boolean): Promise<string> {
    return (await this.keeper.token(id, protocol, renew)).access_token;
  }

  /** The tokens of an OAuth2 account, from the Secret Service. */
  async read(id: string): Promise<TokenRecord> {
    const state = this.index.require(id);
    if (state.config.auth !== 'oauth2') throw invalidArgument(`account ${id} does not sign in with OAuth2`);
    const text = await this.secrets.get(id, TOKEN_SECRET);
    if (text === null)
      throw new AccountsError(
        'NotAuthorized',
        `the OAuth2 tokens of account ${id} are missing from the Secret Service: sign in again`,
      );
    return parseRecord(text);
  }

  /** Stores an OAuth2 account's tokens (a refresh, or a new sign-in with `signedIn`). */
  write(id: string, record: TokenRecord, signedIn = false): Promise<void> {
    return this.index.lock.run(id, async () => {
      const state = this.index.require(id);
      if (state.config.auth !== 'oauth2') throw invalidArgument(`account ${id} does not sign in with OAuth2`);
      await this.secrets.set(id, TOKEN_SECRET, JSON.stringify(record));
      if (!state.config.credentials.includes(TOKEN_SECRET)) {
        await this.index.commit(state, {
          ...state.config,
          credentials: [...state.config.credentials, TOKEN_SECRET].sort(),
        });
      }
      if (signedIn) this.emit('signedIn', state);
    });
  }

  /** GetAccessTokenFor: a protocol's own token where the provider names scopes for it, else the account's. */
  serviceOf(id: string, protocol: string): string {
    const state = this.index.require(id);
    if (protocol === '') return '';
    if (!state.config.protocols.includes(protocol)) {
      throw invalidArgument(
        `${protocol.slice(0, 60)} is not a protocol of account ${id} (${state.config.protocols.join(', ')})`,
      );
    }
    const oauth = this.catalogue.get(state.config.provider)?.oauth2;
    return oauth?.tokensPerProtocol && oauth.protocolScopes[protocol]?.length ? protocol : '';
  }

  private tokenStore(): TokenStore {
    return {
      read: (id) => this.read(id),
      write: (id, record) => this.write(id, record),
      refused: (id, message) => this.emit('refused', id, message),
      serviceOf: (id, protocol) => this.serviceOf(id, protocol),
      configure: async (id, record) => {
        const state = this.index.require(id);
        const oauth = oauthOf(findProvider(this.catalogue, state.config.provider));
        // The client the grant was made to, whatever the configuration says today.
        const { config, lib } = await configure(
          oauth,
          { clientId: record.client_id, clientSecret: record.client_secret },
          record.tenant,
        );
        return {
          config,
          lib,
          scopesFor: (protocol: string) => (protocol ? (oauth.protocolScopes[protocol] ?? []) : []),
        };
      },
    };
  }
}
