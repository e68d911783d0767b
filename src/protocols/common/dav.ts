// CalDAV and CardDAV verifiers (tsdav): service discovery from `url` (or from host, port and
// path), basic auth (or an OAuth2 Bearer token), principal, and the calendar / address-book home.
//
// tsdav takes a `fetch` of the caller's: ours is built on node:http/node:https, so a request
// trusts exactly what the other verifiers trust (system store plus `ca`), carries the attempt's
// AbortSignal (tsdav has no timeout of its own), and its sockets belong to agents the attempt
// destroys when it ends. Node's global fetch (undici) would need an undici dispatcher for a CA
// file, and undici is not importable without adding the package.
import http from 'node:http';
import https from 'node:https';
import { createAccount } from 'tsdav';

import { endpoint, errorFacts, VerifyFailure, type ProtocolName } from './classify.js';
import { httpRequest } from './http-request.js';
import { runVerification, type ProtocolClassifier, type VerifyContext } from './run.js';
import { tlsOptions } from './trust.js';
import { routeAgent } from './tunnel.js';
import type { VerifyResult, VerifySettings, VerifyOptions } from './types.js';

const MAX_BODY = 4 * 1024 * 1024;
const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface FetchState {
  lastStatus?: number;
  lastStatusText?: string;
  lastUrl?: string;
}

/** A fetch() for tsdav on node:http/https, following redirects unless asked not to. */
function davFetch(
  ctx: VerifyContext,
  agents: { http: http.Agent; https: https.Agent },
  state: FetchState,
): typeof fetch {
  const once = (
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    signal: AbortSignal,
  ) =>
    httpRequest(url, {
      method,
      headers,
      body,
      signal,
      agent: url.protocol === 'https:' ? agents.https : agents.http,
      maxBody: MAX_BODY,
    });

  const f = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    let method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    let body =
      typeof init.body === 'string'
        ? init.body
        : init.body == null
          ? undefined
          : Buffer.from(await new Response(init.body).arrayBuffer());
    const signal = init.signal ? AbortSignal.any([init.signal, ctx.signal]) : ctx.signal;
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new VerifyFailure('ServerError', `unsupported URL ${url.href}`);
      const res = await once(url, method, headers, body, signal);
      state.lastStatus = res.status;
      state.lastStatusText = res.statusText;
      state.lastUrl = url.href;
      const location = res.headers.location;
      if (init.redirect !== 'manual' && REDIRECTS.has(res.status) && location && hop < 5) {
        const next = new URL(location, url);
        // credentials do not follow a redirect to another origin (as with the WHATWG fetch)
        if (next.origin !== url.origin) delete headers.authorization;
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        url = next;
        continue;
      }
      const out = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const x of v) out.append(k, x);
        else if (v !== undefined) out.set(k, v);
      }
      const status = res.status >= 200 && res.status <= 599 ? res.status : 502;
      const response = new Response(NULL_BODY_STATUS.has(status) ? null : res.body, {
        status,
        statusText: res.statusText,
        headers: out,
      });
      Object.defineProperty(response, 'url', { value: url.href });
      return response;
    }
  };
  return f;
}

function classifier(kind: 'CalDAV' | 'CardDAV', state: FetchState): ProtocolClassifier {
  return (err) => {
    if (err instanceof VerifyFailure) return undefined;
    const { messages, codes } = errorFacts(err);
    const text = messages.join(' | ');
    if (/Invalid credentials|401 Unauthorized/i.test(text) || state.lastStatus === 401) {
      return { code: 'Unauthorized', detail: `HTTP 401 at ${state.lastUrl ?? '?'}` };
    }
    if (codes.has('AbortError') && !codes.has('TimeoutError')) return undefined;
    if ([...codes].some((c) => c.startsWith('HPE_')))
      return { code: 'ServerError', detail: 'the answer is not HTTP (is this a web server?)' };
    if (/cannot find (principalUrl|homeUrl)/i.test(text)) {
      const st = state.lastStatus;
      if (st === 403) return { code: 'Unauthorized', detail: `access denied (HTTP 403 at ${state.lastUrl})` };
      if (st === 503 || st === 429)
        return { code: 'Unavailable', detail: `HTTP ${st} ${state.lastStatusText ?? ''}`.trim() };
      const what = /homeUrl/.test(text)
        ? kind === 'CalDAV'
          ? 'no calendar home'
          : 'no address book home'
        : 'no principal';
      return {
        code: 'ServerError',
        detail: `${what} found: not a ${kind} server, or a wrong URL${st ? ` (last answer HTTP ${st} at ${state.lastUrl})` : ''}`,
      };
    }
    return undefined;
  };
}

function verifyDav(
  kind: 'CalDAV' | 'CardDAV',
  settings: VerifySettings,
  secret: string,
  options: VerifyOptions,
): Promise<VerifyResult> {
  // with a URL, messages name the host and port the URL points to
  let shown = settings;
  let serverUrl: URL | undefined;
  let badUrl: string | undefined;
  try {
    const hostPort = settings?.host ? endpoint(settings.host, settings.port) : '';
    const scheme = settings?.security === 'none' ? 'http' : 'https';
    const path = settings?.path ? (settings.path.startsWith('/') ? settings.path : `/${settings.path}`) : '/';
    serverUrl = new URL(settings?.url || `${scheme}://${hostPort}${path}`);
    if (serverUrl.protocol !== 'http:' && serverUrl.protocol !== 'https:') throw new Error('not an http(s) URL');
    if (settings?.url) {
      shown = {
        ...settings,
        host: serverUrl.hostname.replace(/^\[|\]$/g, ''),
        port: Number(serverUrl.port) || (serverUrl.protocol === 'https:' ? 443 : 80),
      };
    }
  } catch (err) {
    badUrl = `invalid URL ${settings?.url ?? ''} (${(err as Error).message})`;
  }
  const state: FetchState = {};
  const protocol: ProtocolName = kind;
  return runVerification(
    protocol,
    shown,
    secret,
    options,
    async (ctx) => {
      if (badUrl || !serverUrl) throw new VerifyFailure('Unknown', badUrl);
      const trust =
        serverUrl.protocol === 'https:'
          ? await tlsOptions({ ...settings, host: shown.host, port: shown.port }, 'tls', ctx)
          : undefined;
      const agents = {
        http: routeAgent(new http.Agent({ keepAlive: true, maxSockets: 2 }), ctx, false),
        https: routeAgent(
          new https.Agent({
            keepAlive: true,
            maxSockets: 2,
            ...(trust ? { secureContext: trust.secureContext } : {}),
            ...(trust?.checkServerIdentity ? { checkServerIdentity: trust.checkServerIdentity } : {}),
          }),
          ctx,
          true,
        ),
      };
      ctx.defer(() => {
        agents.http.destroy();
        agents.https.destroy();
      });
      const auth =
        options.auth === 'oauth2'
          ? `Bearer ${secret}`
          : 'Basic ' + Buffer.from(`${settings.username}:${secret}`, 'utf8').toString('base64');
      const account = await createAccount({
        account: { serverUrl: serverUrl.href, accountType: kind === 'CalDAV' ? 'caldav' : 'carddav' },
        headers: { authorization: auth },
        fetch: davFetch(ctx, agents, state),
      });
      if (!account.homeUrl)
        throw new VerifyFailure(
          'ServerError',
          kind === 'CalDAV' ? 'no calendar home found' : 'no address book home found',
        );
      // RFC 6764 §6: the context URL led to the principal, and it to the home set (AddAccount('') keeps it)
      ctx.home = new URL(account.homeUrl, serverUrl).href;
      return { detail: `${kind === 'CalDAV' ? 'calendar' : 'address book'} home ${new URL(account.homeUrl).pathname}` };
    },
    classifier(kind, state),
  );
}

export const verifyCalDav = (settings: VerifySettings, secret: string, options: VerifyOptions) =>
  verifyDav('CalDAV', settings, secret, options);
export const verifyCardDav = (settings: VerifySettings, secret: string, options: VerifyOptions) =>
  verifyDav('CardDAV', settings, secret, options);
