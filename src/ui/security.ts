/**
 * What keeps the window's local web server from becoming a way in for other local users or
 * for web pages: a launch token that works once (argv is readable by anyone), a session cookie
 * only this server knows, exact Host and Origin checks, and the response headers every answer
 * carries. Nothing here talks to the service.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE_NAME = 'pxa_session';

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
    const token = randomToken();
    this.live.set(token, Date.now() + this.ttlMs);
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

/** Sessions made from redeemed tokens, known only to this process (cookies die with it). */
export class Sessions {
  private readonly ids = new Set<string>();

  create(): string {
    const id = randomToken();
    this.ids.add(id);
    return id;
  }

  /** Whether the request carries a session cookie this server handed out. */
  valid(req: IncomingMessage): boolean {
    const given = cookieOf(req, COOKIE_NAME);
    if (!given) return false;
    for (const id of this.ids) if (sameSecret(given, id)) return true;
    return false;
  }

  static cookie(id: string): string {
    return `${COOKIE_NAME}=${id}; HttpOnly; SameSite=Strict; Path=/`;
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
