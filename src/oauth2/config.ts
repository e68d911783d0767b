/**
 * How a provider signs in with OAuth2 (docs/oauth2.md: Providers, Client ids): the `[oauth2]`
 * section of its catalogue file, and the client id a packager or user configured for it. Client
 * ids of desktop apps are not secret (RFC 8252 §8.5) but they are ours to register: none is
 * borrowed from another application. A provider file may carry one (a company's own Keycloak);
 * otherwise /etc/px-accounts/oauth2.ini and then $XDG_CONFIG_HOME/px-accounts/oauth2.ini give
 * it, one section per provider id. They are read at every sign-in, so setting one needs no
 * restart.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AccountsError, invalidArgument } from '../errors.js';
import { iniText, parseIni } from '../util/ini.js';

export const AUTH_MODES = ['password', 'oauth2', 'both', 'nextcloud'] as const;
/** How a provider's accounts sign in: password only, OAuth2 only, either (app passwords), or Nextcloud's Login Flow v2 (an app password, src/nextcloud). */
export type AuthMode = (typeof AUTH_MODES)[number];

export interface OAuth2Provider {
  /** OpenID discovery issuer; '' when the endpoints are given one by one. */
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly deviceAuthorizationEndpoint: string;
  readonly revocationEndpoint: string;
  /** From the provider file; the client files may override. '' when none is shipped. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** A loopback URI as registered; the port is chosen per sign-in. */
  readonly redirectUri: string;
  /** Asked for at every sign-in. */
  readonly scopes: readonly string[];
  /** Narrower scopes per protocol (`scopes.imap`), for a token of that service only. */
  readonly protocolScopes: Readonly<Record<string, readonly string[]>>;
  /** Extra authorization parameters (Google's access_type=offline). */
  readonly parameters: Readonly<Record<string, string>>;
  /**
   * One token per protocol, refreshed with that protocol's scopes (a provider whose tokens are
   * for one resource each, as Microsoft's v2 endpoint); otherwise one token serves them all.
   */
  readonly tokensPerProtocol: boolean;
}

export interface OAuth2Client {
  readonly clientId: string;
  readonly clientSecret: string;
}

export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1/oauth2/callback';
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
const TENANT = /^[A-Za-z0-9][A-Za-z0-9.-]{0,127}$/;

const isLoopbackHost = (host: string) => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

/** An endpoint must be https; plain http only on loopback (a company IdP in a test or a VM). */
export function checkEndpoint(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value.replace('{tenant}', 'common'));
  } catch {
    throw new Error(`${what} is not a URL: ${value.slice(0, 80)}`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return value;
  throw new Error(`${what} must be an https URL (http only on loopback): ${value.slice(0, 80)}`);
}

/** True when talking to the provider needs plain HTTP (allowed on loopback only, see checkEndpoint). */
export const usesPlainHttp = (p: OAuth2Provider) =>
  [p.issuer, p.authorizationEndpoint, p.tokenEndpoint, p.deviceAuthorizationEndpoint, p.revocationEndpoint].some((u) =>
    u.startsWith('http:'),
  );

const words = (v: unknown, what: string) => iniText(v, what).split(/\s+/).filter(Boolean);

/** Parses a provider file's `[oauth2]` section; throws with a reason a person can act on. */
export function parseOAuth2Section(section: Record<string, unknown>): OAuth2Provider {
  const text = (key: string) => iniText(section[key], `[oauth2] ${key}`).trim();
  const endpoint = (key: string) => (text(key) ? checkEndpoint(text(key), `[oauth2] ${key}`) : '');
  const issuer = endpoint('issuer');
  const authorizationEndpoint = endpoint('authorization_endpoint');
  const tokenEndpoint = endpoint('token_endpoint');
  if (!issuer && !(authorizationEndpoint && tokenEndpoint)) {
    throw new Error('[oauth2] needs issuer (OpenID discovery) or authorization_endpoint and token_endpoint');
  }
  const redirectUri = text('redirect_uri') || DEFAULT_REDIRECT_URI;
  const redirect = new URL(redirectUri);
  if (redirect.protocol !== 'http:' || !isLoopbackHost(redirect.hostname) || redirect.port) {
    throw new Error(`[oauth2] redirect_uri must be a loopback http URI without a port (RFC 8252 7.3): ${redirectUri}`);
  }
  const protocolScopes: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(section)) {
    if (key.startsWith('scopes.')) protocolScopes[key.slice(7)] = words(value, `[oauth2] ${key}`);
  }
  const parameters = Object.fromEntries(new URLSearchParams(text('parameters')));
  for (const reserved of [
    'client_id',
    'redirect_uri',
    'state',
    'code_challenge',
    'code_challenge_method',
    'response_type',
    'scope',
  ]) {
    if (reserved in parameters) throw new Error(`[oauth2] parameters must not set ${reserved}`);
  }
  return {
    issuer,
    authorizationEndpoint,
    tokenEndpoint,
    deviceAuthorizationEndpoint: endpoint('device_authorization_endpoint'),
    revocationEndpoint: endpoint('revocation_endpoint'),
    clientId: text('client_id'),
    clientSecret: text('client_secret'),
    redirectUri,
    scopes: words(section.scopes, '[oauth2] scopes'),
    protocolScopes,
    parameters,
    tokensPerProtocol: ['true', 'yes', '1'].includes(text('tokens_per_protocol').toLowerCase()),
  };
}

export const SYSTEM_CLIENT_FILE = '/etc/px-accounts/oauth2.ini';

export function userClientFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'px-accounts', 'oauth2.ini');
}

/** The client id of a provider: the provider file's, then the system file's, then the user's. */
export function clientFor(
  providerId: string,
  providerName: string,
  p: OAuth2Provider,
  files = [SYSTEM_CLIENT_FILE, userClientFile()],
): OAuth2Client {
  let client: OAuth2Client = { clientId: p.clientId, clientSecret: p.clientSecret };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // neither file has to exist
    }
    const section = parseIni(text)[providerId];
    if (typeof section !== 'object' || section === null) continue;
    const s = section as Record<string, unknown>;
    if (typeof s.client_id === 'string' && s.client_id.trim()) {
      client = {
        clientId: s.client_id.trim(),
        clientSecret: typeof s.client_secret === 'string' ? s.client_secret.trim() : '',
      };
    }
  }
  if (!client.clientId) {
    throw new AccountsError(
      'NotConfigured',
      `no OAuth2 client id is configured for ${providerName}: register an application with ${providerName} (docs/oauth2.md says how) and set client_id in section [${providerId}] of ${files[files.length - 1]} (or ${files[0]} for every user)`,
    );
  }
  return client;
}

/** A Microsoft tenant (id or domain) for `{tenant}` in endpoint URLs; `common` by default. */
export function checkTenant(tenant: string | undefined): string {
  if (tenant === undefined || tenant === '') return 'common';
  if (!TENANT.test(tenant))
    throw invalidArgument(
      `option tenant must be a tenant id or domain (letters, digits, '.', '-'), got '${tenant.slice(0, 60)}'`,
    );
  return tenant;
}

/**
 * Why a provider refuses a client, for people: a client id it does not know, or one a company's
 * administrators have not allowed (Microsoft 365 tenants can block unknown apps).
 */
export function clientHint(error: string): string {
  if (!['invalid_client', 'unauthorized_client', 'consent_required', 'admin_consent_required'].includes(error))
    return '';
  return " — the provider does not accept this app's client id: an organisation's administrators may have to allow it, or you can register your own client id and set it in ~/.config/px-accounts/oauth2.ini (docs/oauth2.md)";
}

/** The scopes of a sign-in: the provider's, plus those of every protocol enabled. */
export function signInScopes(p: OAuth2Provider, protocols: readonly string[]): string[] {
  const out = [...p.scopes];
  for (const protocol of protocols) for (const s of p.protocolScopes[protocol] ?? []) if (!out.includes(s)) out.push(s);
  return out;
}
