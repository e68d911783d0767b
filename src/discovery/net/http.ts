/**
 * One bounded GET: a time limit, a size cap, at most a few redirects, certificates checked
 * as the checks check them (net/tls-trust.ts). No cookies, no credentials, nothing but
 * the URL is sent.
 */
import http from 'node:http';
import type tls from 'node:tls';
import https from 'node:https';
import { secureContext } from './tls-trust.js';

/** Config files are a few KiB; anything past this is not one. */
export const MAX_BODY = 256 * 1024;
const MAX_REDIRECTS = 3;

export interface Fetched {
  /** The URL that answered, after redirects. */
  url: string;
  body: string;
  /** Every request was HTTPS with a valid certificate. */
  https: boolean;
}

export class FetchError extends Error {}

/** GETs `url`; throws FetchError with a short reason (status, timeout, too large, TLS). */
export async function fetchText(
  url: string,
  opts: { timeoutMs: number; signal: AbortSignal; maxBytes?: number; allowHttp?: boolean },
): Promise<Fetched> {
  const r = await followed(url, 'GET', { accept: 'application/xml, text/xml' }, opts);
  if (r.status !== 200) throw new FetchError(`HTTP ${r.status}`);
  return { url: r.url, body: r.body ?? '', https: r.https };
}

/**
 * Whether a DAV server answers at `url` (RFC 6764's well-known URIs): a PROPFIND of depth 0
 * without credentials, redirects followed over HTTPS; resolves with the URL that answered and
 * its status (401 or 207 from a DAV server).
 */
export async function davStatus(
  url: string,
  opts: { timeoutMs: number; signal: AbortSignal },
): Promise<{ url: string; status: number }> {
  const r = await followed(url, 'PROPFIND', { depth: '0' }, { ...opts, maxBytes: 64 * 1024 });
  return { url: r.url, status: r.status };
}

async function followed(
  url: string,
  method: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; signal: AbortSignal; maxBytes?: number; allowHttp?: boolean },
): Promise<{ url: string; status: number; body?: string; https: boolean }> {
  let current = new URL(url);
  let allHttps = true;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'https:' && !(opts.allowHttp && current.protocol === 'http:'))
      throw new FetchError(`${current.protocol} is not allowed`);
    if (current.protocol !== 'https:') allHttps = false;
    const context = current.protocol === 'https:' ? await secureContext(current.hostname) : undefined;
    const r = await requestOnce(
      current,
      context,
      method,
      headers,
      opts.timeoutMs,
      opts.signal,
      opts.maxBytes ?? MAX_BODY,
    );
    if (r.redirect) {
      if (hop >= MAX_REDIRECTS) throw new FetchError('too many redirects');
      const next = new URL(r.redirect, current);
      // never from HTTPS down to HTTP
      if (current.protocol === 'https:' && next.protocol !== 'https:')
        throw new FetchError(`redirected from HTTPS to ${next.protocol}`);
      current = next;
      continue;
    }
    return { url: current.href, status: r.status, body: r.body, https: allHttps };
  }
}

/** One request: a redirect's target, or the status (and for 200 the body, at most maxBytes). */
function requestOnce(
  url: URL,
  context: tls.SecureContext | undefined,
  method: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
  maxBytes: number,
): Promise<{ status: number; body?: string; redirect?: string }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new FetchError('cancelled'));
    const lib = url.protocol === 'https:' ? https : http;
    const fail = (why: string) => {
      cleanup();
      req.destroy();
      reject(new FetchError(why));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => fail('cancelled');
    signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const req = lib.request(
      url,
      {
        method,
        agent: false,
        ...(context ? { secureContext: context } : {}),
        headers: { ...headers, 'user-agent': 'px-accounts' },
        maxHeaderSize: 16 * 1024,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          cleanup();
          res.destroy();
          return resolve({ status, redirect: res.headers.location });
        }
        if (status !== 200) {
          cleanup();
          res.destroy();
          return resolve({ status });
        }
        const declared = Number(res.headers['content-length']);
        if (declared > maxBytes) return fail(`the answer is too large (${declared} bytes, at most ${maxBytes})`);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return fail(`the answer is too large (more than ${maxBytes} bytes)`);
          chunks.push(chunk);
        });
        res.on('end', () => {
          cleanup();
          resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => fail(err.message));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => fail(describe(err)));
    req.end();
  });
}

/** A network error in a few words. */
export function describe(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOTFOUND':
      return 'no such host';
    case 'EAI_AGAIN':
      return 'the name could not be resolved';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'certificate not trusted';
    case 'CERT_HAS_EXPIRED':
      return 'certificate expired';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'certificate is for another host';
    default:
      return err.code ? `${err.code}` : err.message;
  }
}
