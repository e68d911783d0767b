/**
 * An OAuth2 account's tokens: what is kept in the Secret Service (one item, `oauth2`, so a
 * rotated refresh token and the access token it came with are replaced together), and the
 * access-token cache with GOA's semantics: a cached token while it has time left, else one
 * refresh at a time per account whose result every waiting caller shares, the rotated refresh
 * token stored before anyone gets the new access token.
 */
import { AccountsError } from '../errors.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { log } from '../log.js';
import { typed, type Configuration, type OidcLib, type TokenResponse } from './client.js';

/** The name of the secret holding an OAuth2 account's tokens; handed out by GetAccessToken only. */
export const TOKEN_SECRET = 'oauth2';

export interface AccessToken {
  readonly access_token: string;
  /** ms since the epoch */
  readonly expires_at: number;
  /** seconds the provider gave it */
  readonly lifetime: number;
}

/** What the `oauth2` secret holds (JSON). The client is the one the grant was made to. */
export interface TokenRecord {
  readonly v: 1;
  readonly client_id: string;
  readonly client_secret: string;
  readonly tenant: string;
  readonly refresh_token: string;
  /** Scopes granted at sign-in, space-separated. */
  readonly scope: string;
  /** Access tokens by protocol; '' is the account's own. */
  readonly tokens: Readonly<Record<string, AccessToken>>;
}

/** A provider that gives no lifetime: assume an hour, as most do. */
const DEFAULT_LIFETIME_S = 3600;
/** A token is renewed when less than a quarter of its life, and at most 5 minutes, is left. */
const MAX_MARGIN_MS = 300_000;

/**
 * RFC 6749 (appendix A.12): an access token is 1*VSCHAR, printable ASCII. One with anything else
 * (ESC sequences, bidi overrides) is refused: it is the server's word, yet `px-accounts token` and
 * every app print it as the person's own, byte for byte.
 */
const VSCHARS = /^[\x20-\x7e]+$/;

export const isTokenText = (token: unknown): token is string => typeof token === 'string' && VSCHARS.test(token);

export function accessTokenOf(response: TokenResponse, now = Date.now()): AccessToken {
  if (!isTokenText(response.access_token))
    throw new AccountsError(
      'ProviderError',
      'the provider answered an access token with characters RFC 6749 does not allow (only printable ASCII)',
    );
  const lifetime =
    typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in : DEFAULT_LIFETIME_S;
  return { access_token: response.access_token, expires_at: now + lifetime * 1000, lifetime };
}

export function parseRecord(text: string): TokenRecord {
  let r: TokenRecord;
  try {
    r = JSON.parse(text) as TokenRecord;
  } catch {
    throw new AccountsError('NotAuthorized', 'the stored OAuth2 tokens are unreadable: sign in again');
  }
  if (
    r?.v !== 1 ||
    typeof r.refresh_token !== 'string' ||
    typeof r.client_id !== 'string' ||
    typeof r.tokens !== 'object'
  ) {
    throw new AccountsError('NotAuthorized', 'the stored OAuth2 tokens are incomplete: sign in again');
  }
  // A cached access token that is no RFC 6749 token (an imported file's) is never handed out: renewed instead.
  const tokens = Object.fromEntries(Object.entries(r.tokens).filter(([, t]) => isTokenText(t?.access_token)));
  return { ...r, tokens };
}

export function isFresh(t: AccessToken | undefined, now = Date.now()): t is AccessToken {
  if (!t) return false;
  const margin = Math.min(MAX_MARGIN_MS, (t.lifetime * 1000) / 4);
  return t.expires_at - now > margin;
}

export const expiresIn = (t: AccessToken, now = Date.now()) => Math.max(0, Math.floor((t.expires_at - now) / 1000));

/** What the keeper needs from the rest of the service. */
export interface TokenStore {
  read(account: string): Promise<TokenRecord>;
  /** Stores a record (under the account's lock); the refresh is only answered once this resolved. */
  write(account: string, record: TokenRecord): Promise<void>;
  /** A client for the account's provider and the record's client id and tenant. */
  configure(
    account: string,
    record: TokenRecord,
  ): Promise<{ config: Configuration; lib: OidcLib; scopesFor: (protocol: string) => readonly string[] }>;
  /** The provider refused the grant: the account needs a new sign-in. */
  refused(account: string, message: string): void;
  /** Which token serves a protocol: its own where the provider names scopes for it, else ''. */
  serviceOf(account: string, protocol: string): string;
}

export class TokenKeeper {
  private readonly cache = new Map<string, Map<string, AccessToken>>();
  private readonly waiting = new Map<string, Promise<AccessToken>>();
  private readonly lock = new KeyedLock();
  /** A rotated record the keyring could not take (locked): used, and written again, until it can. */
  private readonly unsaved = new Map<string, TokenRecord>();
  /** The token each app last got, per account and protocol: handing the same one again is not news. */
  private readonly handed = new Map<string, string>();

  constructor(private readonly store: TokenStore) {}

  /** The cached token of `protocol` ('' for the account's own) when it is fresh. */
  cached(account: string, protocol = ''): AccessToken | undefined {
    const t = this.cache.get(account)?.get(protocol);
    return isFresh(t) ? t : undefined;
  }

  /**
   * A fresh access token. `renew`: the one we had was refused by a server, so refresh even if it
   * looks fresh. Callers asking for the same token while a refresh runs share it.
   */
  token(account: string, protocol = '', renew = false): Promise<AccessToken> {
    try {
      protocol = this.store.serviceOf(account, protocol);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error('no token service', { cause: err }));
    }
    const hit = renew ? undefined : this.cached(account, protocol);
    if (hit) return Promise.resolve(hit);
    const key = `${account}\n${protocol}\n${renew}`;
    let pending = this.waiting.get(key);
    if (!pending) {
      pending = this.lock
        .run(account, () => this.obtain(account, protocol, renew))
        .finally(() => this.waiting.delete(key));
      this.waiting.set(key, pending);
    }
    return pending;
  }

  /**
   * A new grant (signed in again): stored by `write` under the account's lock, so a refresh of
   * the old grant that is still running finishes first and cannot overwrite the new one.
   */
  replace(account: string, write: () => Promise<void>): Promise<void> {
    return this.lock.run(account, async () => {
      await write();
      this.forget(account);
    });
  }

  /** Drops what is cached for an account (removed, or signed in again). */
  forget(account: string): void {
    this.cache.delete(account);
    this.unsaved.delete(account);
    for (const key of this.handed.keys()) if (key.startsWith(`${account}\n`)) this.handed.delete(key);
  }

  /**
   * Records that `app` got `token`; true the first time it gets this token. A cached token asked
   * for again and again is logged and announced once, not per call (the call stays at bus speed).
   */
  handOut(account: string, protocol: string, app: string, token: AccessToken): boolean {
    const key = `${account}\n${protocol}\n${app}`;
    if (this.handed.get(key) === token.access_token) return false;
    this.handed.set(key, token.access_token);
    return true;
  }

  /** Under the account's lock: only one refresh per account reaches the provider at a time. */
  private async obtain(account: string, protocol: string, renew: boolean): Promise<AccessToken> {
    const known = this.cache.get(account)?.get(protocol);
    // Fresh, or (for a renewal) obtained while we waited for the lock: newer than what was refused.
    if (isFresh(known) && (!renew || this.renewedRecently(known))) return known;
    const record = this.unsaved.get(account) ?? (await this.store.read(account));
    const stored = record.tokens[protocol];
    if (!renew && isFresh(stored)) {
      this.remember(account, protocol, stored);
      return stored;
    }
    const { config, lib, scopesFor } = await this.store.configure(account, record);
    const scopes = scopesFor(protocol);
    let response: TokenResponse;
    try {
      response = await lib.refreshTokenGrant(
        config,
        record.refresh_token,
        scopes.length ? { scope: scopes.join(' ') } : undefined,
      );
    } catch (err) {
      const e = typed(err, 'refreshing the access token');
      if (e.kind === 'NotAuthorized') {
        this.forget(account);
        this.store.refused(account, e.message);
      }
      throw e;
    }
    const fresh = accessTokenOf(response);
    const next: TokenRecord = {
      ...record,
      // A provider that rotates refresh tokens invalidates the old one now: store before replying.
      refresh_token: response.refresh_token ?? record.refresh_token,
      tokens: { ...record.tokens, [protocol]: fresh },
    };
    try {
      await this.store.write(account, next);
      this.unsaved.delete(account);
    } catch (err) {
      // The provider has rotated the refresh token already: losing `next` would lose the grant.
      // Keep it, hand out the token, and store it at the next refresh or sign-in.
      this.unsaved.set(account, next);
      log.warning(`account ${account}: new OAuth2 tokens not stored yet (${(err as Error).message}); kept in memory`);
    }
    this.remember(account, protocol, fresh);
    return fresh;
  }

  /** A token obtained within the last second is not renewed again for the same refusal. */
  private renewedRecently(t: AccessToken): boolean {
    return Date.now() - (t.expires_at - t.lifetime * 1000) < 1000;
  }

  private remember(account: string, protocol: string, t: AccessToken): void {
    let m = this.cache.get(account);
    if (!m) this.cache.set(account, (m = new Map<string, AccessToken>()));
    m.set(protocol, t);
  }
}
