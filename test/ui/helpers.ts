/** The window under test: px-accounts-ui started as a program against a private session, and Debian's chromium driving it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT, type Session } from '../harness/session.js';
import { stopPid } from '../harness/process.js';

export const UI_BIN = join(ROOT, 'dist/bin/px-accounts-ui.js');

export interface UiProcess {
  readonly child: ChildProcess;
  /** The one-time launch URL printed on the first line. */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  log(): string;
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts px-accounts-ui --no-browser (plus `args`) and waits for its "Online Accounts: URL" line. */
export async function startUi(session: Session, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<UiProcess> {
  const child = spawn(process.execPath, [UI_BIN, '--no-browser', ...args], {
    env: { ...session.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`px-accounts-ui printed no URL in 10 s:\n${stderr}`)), 10_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /^Online Accounts: (\S+)\n/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) =>
      reject(new Error(`px-accounts-ui exited (${code}) before printing its URL:\n${stderr}`)),
    );
  });
  return {
    child,
    url,
    origin: new URL(url).origin,
    exited,
    log: () => stderr,
    async stop() {
      await stopPid(child.pid);
      return exited;
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One plain HTTP request with exactly the headers given (Host included: fetch would not allow that). */
export function http(
  origin: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; readMs?: number } = {},
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
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        res.on('end', done);
        // An event stream never ends: read it for a while, then hang up.
        if (opts.readMs !== undefined)
          setTimeout(() => {
            req.destroy();
            done();
          }, opts.readMs);
      },
    );
    req.on('error', (err) => (opts.readMs !== undefined ? undefined : reject(err)));
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

export interface Window {
  browser: Browser;
  context: BrowserContext;
  page: Page;
}

/**
 * Headless chromium (Debian's) with a page opened at the launch URL; `locale` ("de-DE", "fa-IR")
 * sets the browser's language, navigator.language and Accept-Language alike.
 */
export async function openWindow(
  url: string,
  colorScheme: 'light' | 'dark' = 'light',
  locale?: string,
): Promise<Window> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  const context = await browser.newContext({
    viewport: { width: 900, height: 640 },
    colorScheme,
    ...(locale ? { locale } : {}),
  });
  const page = await context.newPage();
  await page.goto(url);
  return { browser, context, page };
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
