/**
 * What keeps the window's local web server from becoming a way in for other local users or
 * for web pages: a launch token that works once (argv is readable by anyone), a session cookie
 * only this server knows, exact Host and Origin checks, and the response headers every answer
 * carries. Nothing here talks to the service.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The session cookie's name, one per server: cookies are not kept apart by port, so a second
 * window (another port) must not overwrite the first one's.
 */
export const cookieName = (port: number) => `pxa_session_${port}`;

/** Every response carries these: no framing, no sniffing, no referrer, nothing from elsewhere. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const randomToken = () => randomBytes(32).toString('base64url');

/** Constant-time comparison of two strings of any length. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // timingSafeEqual needs equal lengths; comparing b with itself keeps the time the same.
  return timingSafeEqual(a.length === b.length ? a : b, b) && a.length === b.length;
}

/**
 * The launch token of the URL printed or handed to the browser. It can be exchanged for a
 * session once; after that (or after `ttlMs`) it is worth nothing, so reading it from another
 * user's `ps` is too late.
 */
export class LaunchTokens {
  private readonly live = new Map<string, number>();

  constructor(private readonly ttlMs = 5 * 60_000) {}

  issue(): string {
    const now = Date.now();
    for (const [t, expires] of this.live) if (expires < now) this.live.delete(t); // never redeemed
    const token = randomToken();
    this.live.set(token, now + this.ttlMs);
    return token;
  }

  /** True once per issued token, within its lifetime. */
  redeem(given: string): boolean {
    for (const [token, expires] of this.live) {
      if (!sameSecret(given, token)) continue;
      this.live.delete(token);
      return Date.now() <= expires;
    }
    return false;
  }
}

/**
 * Sessions made from redeemed tokens, known only to this process (cookies die with it). A
 * session is a cookie and a key: browsers send the cookie to every port of 127.0.0.1 (cookies
 * are not kept apart by port), so a page of another local user's server could have it; the key
 * reaches the page once, in the body of the first page loaded with the new cookie (never in a
 * URL, which the browser's history keeps), is kept in the page's sessionStorage, and every API
 * request carries it in the X-PX-Key header.
 */
export class Sessions {
  /** Cookie value → key. */
  private readonly keys = new Map<string, string>();
  /** Sessions whose key has not been handed to a page yet. */
  private readonly unsent = new Set<string>();

  constructor(private readonly port: number) {}

  create(): { id: string; key: string } {
    const id = randomToken();
    const key = randomToken();
    this.keys.set(id, key);
    this.unsent.add(id);
    return { id, key };
  }

  /**
   * The key of the request's session, the first time it is asked for only: whoever gets hold
   * of the cookie later (another port, see above) cannot load the page to read the key.
   */
  takeKey(req: IncomingMessage): string | undefined {
    const given = cookieOf(req, cookieName(this.port));
    if (!given) return undefined;
    for (const id of this.unsent) {
      if (!sameSecret(given, id)) continue;
      this.unsent.delete(id);
      return this.keys.get(id);
    }
    return undefined;
  }

  /** Whether the request carries a session cookie this server handed out (and, given `key`, that session's key). */
  valid(req: IncomingMessage, key?: string | null): boolean {
    const given = cookieOf(req, cookieName(this.port));
    if (!given) return false;
    for (const [id, expected] of this.keys) {
      if (sameSecret(given, id)) return key === undefined || (typeof key === 'string' && sameSecret(key, expected));
    }
    return false;
  }

  cookie(id: string): string {
    return `${cookieName(this.port)}=${id}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Host must be exactly the address served: a DNS-rebinding page sends its own name. */
export const hostAllowed = (req: IncomingMessage, origin: string): boolean => req.headers.host === new URL(origin).host;

/** A state change must come from a page of this server (a page elsewhere sends its own Origin, or none). */
export const originAllowed = (req: IncomingMessage, origin: string): boolean => req.headers.origin === origin;
