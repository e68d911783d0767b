// WebDAV verifier: one authenticated PROPFIND with Depth 0 on the folder's URL (RFC 4918 9.1),
// over node:http/https with the trust every verifier has (system store plus `ca`). 207 with a
// multistatus body is Ok; 401 (and 403) Unauthorized; a server that does not know PROPFIND, or
// answers with something else than a multistatus, is not a WebDAV server. Redirects are
// followed (at most 5), the credentials only within the same origin.
import http from 'node:http';
import https from 'node:https';

import { endpoint, VerifyFailure } from '../common/classify.js';
import { runVerification, type VerifyContext } from '../common/run.js';
import { httpRequest } from '../common/http-request.js';
import { tlsOptions } from '../common/trust.js';
import { routeAgent } from '../common/tunnel.js';
import type { Verifier, VerifySettings } from '../common/types.js';

const MAX_BODY = 1024 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const BODY =
  '<?xml version="1.0" encoding="utf-8"?>\n<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>\n';

interface Answer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function propfind(
  ctx: VerifyContext,
  url: URL,
  headers: Record<string, string>,
  agent: http.Agent | https.Agent,
): Promise<Answer> {
  const res = await httpRequest(url, {
    method: 'PROPFIND',
    agent,
    signal: ctx.signal,
    body: BODY,
    maxBody: MAX_BODY,
    headers: {
      ...headers,
      depth: '0',
      'content-type': 'application/xml; charset=utf-8',
      'content-length': String(Buffer.byteLength(BODY)),
    },
  });
  return { ...res, body: res.body.toString('utf8') };
}

/** The URL the settings name, and the settings as messages show them (host and port of the URL). */
function target(settings: VerifySettings): { url?: URL; shown: VerifySettings; bad?: string } {
  try {
    const scheme = settings?.security === 'none' ? 'http' : 'https';
    const path = settings?.path ? (settings.path.startsWith('/') ? settings.path : `/${settings.path}`) : '/';
    const url = new URL(settings?.url || `${scheme}://${endpoint(settings.host, settings.port)}${path}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not an http(s) URL');
    // with a URL, messages name the host and port it points to; without one, the settings are checked as they are
    const shown = settings.url
      ? {
          ...settings,
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        }
      : settings;
    return { url, shown };
  } catch (err) {
    return { shown: settings, bad: `invalid URL ${settings?.url ?? ''} (${(err as Error).message})` };
  }
}

export const verifyWebDav: Verifier = (settings, secret, options) => {
  const { url: start, shown, bad } = target(settings);
  return runVerification(
    'WebDAV',
    shown,
    secret,
    options,
    async (ctx) => {
      if (bad || !start) throw new VerifyFailure('Unknown', bad);
      const agents = {
        http: routeAgent(new http.Agent({ keepAlive: false }), ctx, false),
        https: undefined as https.Agent | undefined,
      };
      ctx.defer(() => {
        agents.http.destroy();
        agents.https?.destroy();
      });
      const auth = 'Basic ' + Buffer.from(`${settings.username}:${secret}`, 'utf8').toString('base64');
      let url = start;
      for (let hop = 0; ; hop++) {
        if (url.protocol !== 'http:' && url.protocol !== 'https:')
          throw new VerifyFailure('ServerError', `the server redirected to an unsupported URL ${url.protocol}`);
        let agent: http.Agent | https.Agent = agents.http;
        if (url.protocol === 'https:') {
          const trust = await tlsOptions(
            { ...settings, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || 443 },
            'tls',
            ctx,
          );
          agents.https?.destroy();
          agents.https = routeAgent(
            new https.Agent({
              keepAlive: false,
              secureContext: trust.secureContext,
              ...(trust.servername ? { servername: trust.servername } : {}),
              ...(trust.checkServerIdentity ? { checkServerIdentity: trust.checkServerIdentity } : {}),
            }),
            ctx,
            true,
          );
          agent = agents.https;
        }
        // credentials do not follow a redirect to another origin (as with the WHATWG fetch)
        const headers: Record<string, string> = url.origin === start.origin ? { authorization: auth } : {};
        const res = await propfind(ctx, url, headers, agent);
        const where = url.pathname;
        if (REDIRECTS.has(res.status) && res.headers.location && hop < 5) {
          url = new URL(res.headers.location, url);
          continue;
        }
        if (res.status === 207) {
          if (!/<([A-Za-z][\w.-]*:)?multistatus[\s>]/.test(res.body))
            throw new VerifyFailure('ServerError', `HTTP 207 at ${where} without a DAV multistatus`);
          const collection = /<([A-Za-z][\w.-]*:)?collection\s*\/?>/.test(res.body);
          return { detail: `${collection ? 'folder' : 'resource'} ${where}` };
        }
        if (res.status === 401) throw new VerifyFailure('Unauthorized', `HTTP 401 at ${where}`);
        if (res.status === 403) throw new VerifyFailure('Unauthorized', `access denied (HTTP 403 at ${where})`);
        if (res.status === 404) throw new VerifyFailure('ServerError', `no folder at ${where} (HTTP 404)`);
        if (res.status === 405 || res.status === 501)
          throw new VerifyFailure(
            'ServerError',
            `not a WebDAV folder: PROPFIND is not allowed at ${where} (HTTP ${res.status})`,
          );
        if (res.status === 503 || res.status === 429)
          throw new VerifyFailure('Unavailable', `HTTP ${res.status} ${res.statusText}`.trim());
        if (REDIRECTS.has(res.status)) throw new VerifyFailure('ServerError', `too many redirects (last at ${where})`);
        throw new VerifyFailure(
          'ServerError',
          `not a WebDAV answer: HTTP ${res.status} ${res.statusText} at ${where}`.trim(),
        );
      }
    },
    (err) => {
      if (err instanceof VerifyFailure) return undefined;
      const code = (err as { code?: string })?.code;
      if (typeof code === 'string' && code.startsWith('HPE_'))
        return { code: 'ServerError', detail: 'the answer is not HTTP (is this a web server?)' };
      return undefined;
    },
  );
};
