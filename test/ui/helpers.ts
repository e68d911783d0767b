/** Helpers for the window's tests: plain HTTP to its server, a launch redeemed by hand, a page waited on until still. */
import { request } from 'node:http';
import type { Page } from 'playwright-core';
import type { UiProcess } from '../harness/window.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One plain HTTP request with exactly the headers given (Host included: fetch would not allow that).
 * An event stream never ends: `until` hangs up as soon as the answer so far satisfies it (it is
 * asked at the headers and after each piece of the body), so `() => true` reads the status alone.
 */
export function http(
  origin: string,
  path: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    until?: (answer: Answer) => boolean;
  } = {},
): Promise<Answer> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: opts.method ?? 'GET',
        headers: { Host: u.host, ...opts.headers },
        setHost: false,
      },
      (res) => {
        const answer: Answer = { status: res.statusCode ?? 0, headers: res.headers, body: '' };
        const enough = () => {
          if (!opts.until?.(answer)) return false;
          resolve(answer);
          req.destroy();
          return true;
        };
        if (enough()) return;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          answer.body += d;
          enough();
        });
        res.on('end', () => resolve(answer));
        res.on('error', reject); // after the hang-up too, when it changes nothing
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

/**
 * Redeems a launch URL over plain HTTP as a browser does: the redirect, then the page it leads
 * to. The session cookie ("name=value"), the session's key (from that first page's body), and
 * both answers.
 */
export async function sessionOf(
  ui: UiProcess,
  url = ui.url,
): Promise<{ cookie: string; key: string; redirect: Answer; page: Answer }> {
  const u = new URL(url);
  const redirect = await http(ui.origin, u.pathname + u.search);
  const set = redirect.headers['set-cookie'];
  if (redirect.status !== 303 || !set?.length)
    throw new Error(`the launch URL was not accepted: ${redirect.status} ${redirect.body}`);
  const cookie = set[0]!.split(';')[0]!;
  const page = await http(ui.origin, new URL(String(redirect.headers.location), ui.origin).pathname, {
    headers: { Cookie: cookie },
  });
  const key = /<meta name="px-session-key" content="([A-Za-z0-9_-]+)">/.exec(page.body)?.[1];
  if (!key) throw new Error(`the first page carries no session key: ${page.status} ${page.body.slice(0, 200)}`);
  return { cookie, key, redirect, page };
}

/**
 * Waits until the page is still: it has drawn the address it is at (<main data-route>,
 * src/ui/page/app.ts), no request of it is in flight (<html data-busy>, src/ui/page/api.ts) and
 * every image has loaded. The page draws an answer in the same task that clears the mark, so
 * what it shows is complete then.
 */
export async function settled(page: Page): Promise<void> {
  // A function, not a string: the page's CSP refuses eval, which a string predicate needs.
  await page.waitForFunction(() => {
    const { document, location } = globalThis as unknown as PageGlobals;
    return (
      document.getElementById('main')?.dataset.route === location.hash &&
      !document.documentElement.hasAttribute('data-busy') &&
      Array.from(document.images).every((i) => i.complete)
    );
  });
}

/** The little of the page's globals settled() reads (the tests compile without the DOM library). */
interface PageGlobals {
  location: { hash: string };
  document: {
    documentElement: { hasAttribute(name: string): boolean };
    getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
    images: ArrayLike<{ complete: boolean }>;
  };
}
