/**
 * Talking to an OAuth2 provider, through openid-client (panva: PKCE, discovery, refresh, the
 * device flow and ID-token validation done by a library that is kept up to date), loaded on the
 * first sign-in or refresh so that start-up does not pay for it. Failures become typed errors:
 * a refused grant is NotAuthorized, a provider that cannot be reached is Unreachable, anything
 * else it answers is ProviderError; none of their messages carries a token.
 */
import type * as Oidc from 'openid-client';
import { AccountsError } from '../errors.js';
import { readCapped } from '../util/read-capped.js';
import { clientHint, usesPlainHttp, type OAuth2Client, type OAuth2Provider } from './config.js';

export type OidcLib = typeof Oidc;
export type Configuration = Oidc.Configuration;
export type TokenResponse = Oidc.TokenEndpointResponse & Oidc.TokenEndpointResponseHelpers;

let lib: Promise<OidcLib> | undefined;
export const oidc = (): Promise<OidcLib> => (lib ??= import('openid-client'));

/** Seconds a provider has to answer one request. */
const TIMEOUT_S = 30;
/** Larger answers are refused: a hostile provider must not fill the service's memory. */
const MAX_RESPONSE = 1024 * 1024;

/** fetch with a cap on the size of what comes back. */
const boundedFetch: Oidc.CustomFetch = async (url, options) => {
  const res = await fetch(url, { ...options, redirect: 'manual' });
  const body = await readCapped(
    res.body,
    MAX_RESPONSE,
    () => new AccountsError('ProviderError', `the provider sent more than ${MAX_RESPONSE} bytes`),
  );
  return new Response(res.status === 204 || res.status === 304 ? null : body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
};

/** Discovery documents by issuer, for an hour; failures are not kept. */
const discovered = new Map<string, { at: number; metadata: Promise<Oidc.ServerMetadata> }>();
const DISCOVERY_TTL_MS = 3_600_000;

/** Endpoints with `{tenant}` filled in. */
function withTenant(p: OAuth2Provider, tenant: string): OAuth2Provider {
  const fill = (u: string) => u.replaceAll('{tenant}', encodeURIComponent(tenant));
  return {
    ...p,
    issuer: fill(p.issuer),
    authorizationEndpoint: fill(p.authorizationEndpoint),
    tokenEndpoint: fill(p.tokenEndpoint),
    deviceAuthorizationEndpoint: fill(p.deviceAuthorizationEndpoint),
    revocationEndpoint: fill(p.revocationEndpoint),
  };
}

async function metadataOf(o: OidcLib, p: OAuth2Provider): Promise<Oidc.ServerMetadata> {
  if (!p.issuer) {
    // Endpoints given one by one (Microsoft's `common` tenant has no single issuer to discover).
    return {
      issuer: new URL(p.tokenEndpoint).origin,
      authorization_endpoint: p.authorizationEndpoint,
      token_endpoint: p.tokenEndpoint,
      ...(p.deviceAuthorizationEndpoint ? { device_authorization_endpoint: p.deviceAuthorizationEndpoint } : {}),
      ...(p.revocationEndpoint ? { revocation_endpoint: p.revocationEndpoint } : {}),
    };
  }
  const cached = discovered.get(p.issuer);
  if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.metadata;
  const execute = usesPlainHttp(p) ? [o.allowInsecureRequests] : [];
  const metadata = o
    .discovery(new URL(p.issuer), 'discovery', undefined, undefined, {
      execute,
      timeout: TIMEOUT_S,
      [o.customFetch]: boundedFetch,
    })
    .then((c) => c.serverMetadata());
  discovered.set(p.issuer, { at: Date.now(), metadata });
  metadata.catch(() => discovered.delete(p.issuer));
  return metadata;
}

/** A configured client for one provider (and tenant). */
export async function configure(
  p: OAuth2Provider,
  client: OAuth2Client,
  tenant: string,
): Promise<{ config: Configuration; lib: OidcLib; provider: OAuth2Provider }> {
  const o = await oidc();
  const provider = withTenant(p, tenant);
  try {
    const metadata = { ...(await metadataOf(o, provider)) };
    // Explicit endpoints in the provider file win over discovered ones.
    if (provider.deviceAuthorizationEndpoint)
      metadata.device_authorization_endpoint = provider.deviceAuthorizationEndpoint;
    if (provider.revocationEndpoint) metadata.revocation_endpoint = provider.revocationEndpoint;
    const auth = client.clientSecret ? o.ClientSecretPost(client.clientSecret) : o.None();
    const config = new o.Configuration(metadata, client.clientId, undefined, auth);
    config.timeout = TIMEOUT_S;
    config[o.customFetch] = boundedFetch;
    if (usesPlainHttp(provider)) o.allowInsecureRequests(config);
    return { config, lib: o, provider };
  } catch (err) {
    throw typed(err, 'discovery');
  }
}

/** The typed error for a failure talking to the provider (`what`: the step, for the message). */
export function typed(err: unknown, what: string): AccountsError {
  if (err instanceof AccountsError) return err;
  const e = err as {
    name?: string;
    code?: string;
    error?: string;
    error_description?: string;
    status?: number;
    cause?: { code?: string; message?: string };
  };
  if (e?.name === 'ResponseBodyError' && e.error) {
    const detail = `${e.error}${e.error_description ? `: ${String(e.error_description).slice(0, 200)}` : ''}`;
    if (e.error === 'invalid_grant')
      return new AccountsError('NotAuthorized', `the provider refused the grant (${detail}): sign in again`);
    if (e.error === 'access_denied')
      return new AccountsError('AccessDenied', `the provider refused access (${detail})`);
    return new AccountsError('ProviderError', `${what}: the provider answered ${detail}${clientHint(e.error)}`);
  }
  if (
    e?.code === 'OAUTH_TIMEOUT' ||
    e?.code === 'OAUTH_ABORT' ||
    e?.name === 'AbortError' ||
    e?.name === 'TimeoutError'
  )
    return new AccountsError('Unreachable', `${what}: the provider did not answer within ${TIMEOUT_S} s`);
  const cause = (err as { cause?: { name?: string; message?: string; cause?: { code?: string } } })?.cause;
  if (
    e?.code === 'OAUTH_REQUEST_FAILED' ||
    (cause?.name === 'TypeError' && /fetch failed/i.test(String(cause.message)))
  ) {
    return new AccountsError(
      'Unreachable',
      `${what}: the provider cannot be reached (${cause?.cause?.code ?? 'network error'})`,
    );
  }
  if (e?.name === 'TypeError' && /fetch failed/i.test(String((err as Error).message))) {
    return new AccountsError(
      'Unreachable',
      `${what}: the provider cannot be reached (${e.cause?.code ?? e.cause?.message ?? 'network error'})`,
    );
  }
  // A provider in trouble (5xx, an HTML error page) is a temporary condition, like no answer.
  if (typeof e?.status === 'number' && e.status >= 500)
    return new AccountsError('Unreachable', `${what}: the provider is unavailable (HTTP ${e.status})`);
  if (
    e?.name === 'ResponseBodyError' ||
    e?.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' ||
    e?.code === 'OAUTH_INVALID_RESPONSE'
  ) {
    return new AccountsError(
      'ProviderError',
      `${what}: the provider's answer is not valid OAuth2 (HTTP ${e.status ?? '?'})`,
    );
  }
  return new AccountsError('ProviderError', `${what}: ${(err as Error)?.message?.slice(0, 200) ?? 'failed'}`);
}
