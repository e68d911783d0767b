/**
 * Nextcloud's Login Flow v2, as Nextcloud documents it (Developer manual, "Login Flow", v2):
 * `POST <server>/index.php/login/v2` answers `{poll: {token, endpoint}, login}`; the person
 * opens `login` in a browser, signs in and grants access; meanwhile the client POSTs
 * `token=<token>` to `endpoint`, which answers 404 until then and 200 with
 * `{server, loginName, appPassword}` once (the token is valid for 20 minutes). The app password
 * is revoked with `DELETE <server>/ocs/v2.php/core/apppassword`, `OCS-APIRequest: true` and
 * Basic auth of the login name and the app password itself.
 *
 * Every request trusts what the protocol checks trust (the system store, never "anything"),
 * is bounded in time and size, and talks to https only (plain http on loopback only, for a
 * server in a VM or a test). Nothing here logs a token or a password.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

import { AccountsError, invalidArgument } from '../errors.js';
import { tlsOptions } from '../protocols/common/trust.js';
import { abortReason } from '../util/abort.js';

const MAX_BODY = 64 * 1024;
const REQUEST_TIMEOUT_MS = 15_000;
/** What Nextcloud shows in its list of devices and sessions for the app password. */
export const USER_AGENT = 'PantherX Online Accounts (px-accounts)';

const isLoopback = (host: string) => {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (net.isIPv4(h) && h.startsWith('127.'));
};

/**
 * The server's address as a person gives it (`cloud.example.org`, `https://example.org/nextcloud/`)
 * as a base URL without a trailing slash. https, or http on loopback. Throws InvalidArgument.
 */
export function serverUrl(input: string, what = 'option server'): string {
  const text = input.trim();
  if (!text)
    throw invalidArgument(`${what} is required: the address of the Nextcloud server (https://cloud.example.org)`);
  if (text.length > 1024) throw invalidArgument(`${what} is too long`);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw invalidArgument(`${what} is not a server address: ${text.slice(0, 80)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw invalidArgument(`${what} must be an https address (http only on loopback): ${text.slice(0, 80)}`);
  }
  if (url.username || url.password) throw invalidArgument(`${what} must not contain a user name or password`);
  url.search = '';
  url.hash = '';
  // a link to a page of the server (…/index.php/login, …/apps/files/) still names the server
  url.pathname = url.pathname.replace(/\/index\.php(\/.*)?$/, '').replace(/\/(apps|login|remote\.php|ocs)(\/.*)?$/, '');
  return url.href.replace(/\/+$/, '');
}

interface Answer {
  status: number;
  body: string;
}

/** One HTTP request to the server, bounded; network failures become Unreachable, with the host named. */
async function request(
  url: string,
  method: string,
  o: { headers?: Record<string, string>; body?: string; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<Answer> {
  const u = new URL(url);
  const isHttps = u.protocol === 'https:';
  const trust = isHttps
    ? await tlsOptions({ host: u.hostname.replace(/^\[|\]$/g, ''), port: 443, security: 'tls', username: '' })
    : undefined;
  const timeout = AbortSignal.timeout(o.timeoutMs ?? REQUEST_TIMEOUT_MS);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json', ...o.headers };
  if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
  return new Promise<Answer>((resolve, reject) => {
    const req = (isHttps ? https : http).request(
      u,
      {
        method,
        headers,
        signal,
        agent: false,
        ...(trust
          ? { secureContext: trust.secureContext, ...(trust.servername ? { servername: trust.servername } : {}) }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY)
            req.destroy(new AccountsError('ProviderError', `${u.host} answered with more than ${MAX_BODY} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      if (err instanceof AccountsError) return reject(err);
      if (o.signal?.aborted) return reject(abortReason(o.signal));
      const code = (err as NodeJS.ErrnoException).code ?? err.name;
      reject(
        new AccountsError(
          'Unreachable',
          `the Nextcloud server ${u.host} cannot be reached (${timeout.aborted ? 'no answer in time' : code})`,
        ),
      );
    });
    req.end(o.body);
  });
}

const json = (a: Answer, host: string, what: string): Record<string, unknown> => {
  try {
    const v = JSON.parse(a.body) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new AccountsError(
    'ProviderError',
    `${host} did not answer ${what} as Nextcloud does (no JSON object): is this a Nextcloud server?`,
  );
};

export interface LoginFlow {
  /** Where the person signs in (opened in the browser). */
  readonly login: string;
  readonly token: string;
  readonly endpoint: string;
}

export interface Grant {
  /** The server the account uses, as Nextcloud names itself. */
  readonly server: string;
  readonly loginName: string;
  readonly appPassword: string;
}

/** Starts a login flow at `server` (a base URL from serverUrl). */
export async function startLoginFlow(server: string, signal?: AbortSignal): Promise<LoginFlow> {
  const host = new URL(server).host;
  const a = await request(`${server}/index.php/login/v2`, 'POST', {
    signal,
    body: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (a.status === 404)
    throw new AccountsError(
      'ProviderError',
      `${host} does not offer Nextcloud's Login Flow v2 (HTTP 404 at /index.php/login/v2): is this a Nextcloud server, and its address right?`,
    );
  if (a.status !== 200)
    throw new AccountsError(
      a.status >= 500 ? 'Unreachable' : 'ProviderError',
      `${host} refused to start a sign-in (HTTP ${a.status})`,
    );
  const o = json(a, host, 'the sign-in request');
  const poll = o.poll as Record<string, unknown> | undefined;
  const token = typeof poll?.token === 'string' ? poll.token : '';
  const endpoint = typeof poll?.endpoint === 'string' ? poll.endpoint : '';
  const login = typeof o.login === 'string' ? o.login : '';
  if (!token || !endpoint || !login)
    throw new AccountsError(
      'ProviderError',
      `${host} answered the sign-in request without poll.token, poll.endpoint and login`,
    );
  // The token goes to the poll endpoint: only to the server itself. The login page is for a browser.
  const e = new URL(endpoint, server);
  if (e.origin !== new URL(server).origin)
    throw new AccountsError('ProviderError', `${host} named a poll endpoint on another server (${e.host}): not used`);
  const l = new URL(login, server);
  if (l.protocol !== 'https:' && !(l.protocol === 'http:' && isLoopback(l.hostname)))
    throw new AccountsError('ProviderError', `${host} named a login page that is not https`);
  return { login: l.href, token, endpoint: e.href };
}

/** One poll: the grant once the person granted access, undefined while they have not (404). */
export async function pollOnce(flow: LoginFlow, signal?: AbortSignal): Promise<Grant | undefined> {
  const host = new URL(flow.endpoint).host;
  const a = await request(flow.endpoint, 'POST', {
    signal,
    body: new URLSearchParams({ token: flow.token }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (a.status === 404) return undefined;
  if (a.status !== 200)
    throw new AccountsError(
      a.status >= 500 ? 'Unreachable' : 'ProviderError',
      `${host} answered the sign-in poll with HTTP ${a.status}`,
    );
  const o = json(a, host, 'the sign-in poll');
  const loginName = typeof o.loginName === 'string' ? o.loginName : '';
  const appPassword = typeof o.appPassword === 'string' ? o.appPassword : '';
  const server = typeof o.server === 'string' ? o.server : '';
  if (!loginName || !appPassword || !server)
    throw new AccountsError('ProviderError', `${host} finished the sign-in without server, loginName and appPassword`);
  if (loginName.length > 256 || /\p{Cc}/u.test(loginName))
    throw new AccountsError('ProviderError', `${host} gave a login name that cannot be used`);
  if (appPassword.length > 1024 || /\p{Cc}/u.test(appPassword))
    throw new AccountsError('ProviderError', `${host} gave an app password that cannot be used`);
  let named: string;
  try {
    named = serverUrl(server, 'the server Nextcloud named');
  } catch (err) {
    throw new AccountsError('ProviderError', `${host}: ${(err as Error).message}`);
  }
  return { server: named, loginName, appPassword };
}

/** The URLs of a Nextcloud account's protocols. */
export function davUrls(server: string, loginName: string): { caldav: string; carddav: string; webdav: string } {
  const dav = `${server}/remote.php/dav`;
  return { caldav: dav, carddav: dav, webdav: `${dav}/files/${encodeURIComponent(loginName)}/` };
}

/**
 * Revokes an app password (DELETE /ocs/v2.php/core/apppassword). Resolves with the HTTP status;
 * rejects on a network failure. 200 is revoked; 401/403: it was not valid any more.
 */
export async function revokeAppPassword(
  server: string,
  loginName: string,
  appPassword: string,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<number> {
  const a = await request(`${server}/ocs/v2.php/core/apppassword`, 'DELETE', {
    timeoutMs,
    headers: {
      'ocs-apirequest': 'true',
      authorization: 'Basic ' + Buffer.from(`${loginName}:${appPassword}`, 'utf8').toString('base64'),
    },
  });
  return a.status;
}
