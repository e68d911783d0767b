/**
 * The window's HTTP server on 127.0.0.1: the launch-token exchange, the security checks every
 * request passes, the static page, the JSON API and the event stream. It reports when the last
 * page has gone, so the program can end with its window.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative } from 'node:path';
import type { ConnectOptions } from '../client/index.js';
import { route } from './api.js';
import { ACCOUNT_ID, HttpError, readJson, send, sendJson } from './http.js';
import { hostAllowed, LaunchTokens, originAllowed, SECURITY_HEADERS, Sessions } from './security.js';
import { ServiceLink, type UiEvent } from './service-link.js';
import { SignIns } from './sign-ins.js';
import { ProviderIcons } from './icons.js';
import { pageIn, PageLanguages, speak, words } from './languages.js';
import { wordError } from './words.js';

export interface UiServerOptions {
  /** The page's files (index.html, *.js, *.css). */
  staticDir: string;
  connect?: ConnectOptions;
  /** Opens an OAuth2 sign-in page (default: nothing; the page shows the link). */
  openUrl?: (url: string) => void;
  /** Called once no page has been connected for `graceMs` after the last one left. */
  onIdle?: () => void;
  graceMs?: number;
  /** Port to listen on; default a free one. */
  port?: number;
}

export interface UiServer {
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** A URL that opens the window once (a new one-time token); with `account`, on that account. */
  launchUrl(account?: string): string;
  /** How many pages hold the event stream now. */
  readonly pages: number;
  /** A window is on its way (another start asked for one): no idle end before `ms` unless a page comes and goes. */
  expectPage(ms: number): void;
  /** The accounts open pages show now (#/account/ID), as each page reports (POST /api/showing). */
  shownAccounts(): string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Every file of the page, read once: nothing outside this list can ever be served. */
function loadStatic(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (TYPES[extname(e.name)])
        files.set('/' + relative(dir, p), { body: readFileSync(p), type: TYPES[extname(e.name)]! });
    }
  };
  walk(dir);
  if (!files.has('/index.html')) throw new Error(`the window's files are missing: no index.html in ${dir}`);
  return files;
}

/** The page with the session's key in a <meta> (CSP rules scripts, not metadata); api.js reads and removes it. */
const withKey = (page: string, key: string) =>
  page.replace('<head>', `<head>\n  <meta name="px-session-key" content="${key}">`);

/** A page's own random id (X-PX-Page, POST /api/showing), and how many pages are remembered. */
const PAGE_ID = /^[A-Za-z0-9-]{8,64}$/;
const MAX_PAGES = 64;

const textPage = (res: ServerResponse, status: number, message: string) =>
  send(res, status, message + '\n', 'text/plain; charset=utf-8');

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const files = loadStatic(options.staticDir);
  const languages = new PageLanguages();
  const tokens = new LaunchTokens();
  let sessions = new Sessions(0);
  const link = new ServiceLink(options.connect);
  const streams = new Set<ServerResponse>();
  // What each page shows (by the random id it sends as X-PX-Page), and how many streams it holds.
  const showing = new Map<string, string>();
  const holding = new Map<string, number>();
  const broadcast = (e: UiEvent) => {
    const frame = `data: ${JSON.stringify(e)}\n\n`;
    for (const s of streams) s.write(frame);
  };
  link.on('event', broadcast);
  const signIns = new SignIns(broadcast, options.openUrl ?? (() => undefined));
  const icons = new ProviderIcons(() => link.get());
  let origin = '';
  let idleTimer: NodeJS.Timeout | undefined;
  const graceMs = options.graceMs ?? 3000;
  /** The program ends `ms` from now unless a page holds the event stream then. */
  const armIdle = (ms: number) => {
    if (!options.onIdle) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => streams.size === 0 && options.onIdle!(), ms);
  };

  const openStream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    res.write(`retry: 1000\n\ndata: ${JSON.stringify(link.snapshot())}\n\n`);
    streams.add(res);
    const page = String(req.headers['x-px-page'] ?? '');
    if (PAGE_ID.test(page)) holding.set(page, (holding.get(page) ?? 0) + 1);
    clearTimeout(idleTimer);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.once('close', () => {
      clearInterval(keepAlive);
      streams.delete(res);
      if (PAGE_ID.test(page)) {
        const n = (holding.get(page) ?? 1) - 1;
        if (n > 0) holding.set(page, n);
        else holding.delete(page);
      }
      if (streams.size === 0) armIdle(graceMs);
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req, origin)) return textPage(res, 403, words().gettext('Refused: wrong Host.'));
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'POST')
      return send(res, 405, 'Method not allowed\n', 'text/plain; charset=utf-8', { Allow: 'GET, POST' });
    const url = new URL(req.url ?? '/', origin);
    const token = url.searchParams.get('token');
    if (method === 'GET' && url.pathname === '/' && token !== null) {
      if (!tokens.redeem(token))
        return textPage(
          res,
          403,
          words().gettext('This link was already used or has expired. Start px-accounts-ui again to open the window.'),
        );
      const account = url.searchParams.get('account');
      // The token leaves the address bar (and the history) at once. The key is in no URL: the
      // page this redirect loads carries it in its body (see the static files below).
      const { id } = sessions.create();
      const where = `/${account && ACCOUNT_ID.test(account) ? `#/account/${account}` : ''}`;
      return send(res, 303, '', 'text/plain', { Location: where, 'Set-Cookie': sessions.cookie(id) });
    }
    if (!sessions.valid(req))
      return textPage(res, 401, words().gettext('Not signed in to this window: start px-accounts-ui to open it.'));
    // The API wants the session's key too: a cookie alone may have been sent to another port.
    if (url.pathname.startsWith('/api/') && !sessions.valid(req, String(req.headers['x-px-key'] ?? ''))) {
      return sendJson(res, 401, {
        kind: 'NotAuthorized',
        summary: words().gettext('This request does not come from the window: start px-accounts-ui to open it.'),
      });
    }
    if (method === 'POST' && !originAllowed(req, origin))
      return textPage(res, 403, words().gettext('Refused: changes are taken only from the window itself.'));
    if (url.pathname === '/api/events' && method === 'GET') return openStream(req, res);
    if (url.pathname === '/api/showing' && method === 'POST') {
      // Which account this page shows, for the service's notifications (docs/ui.md).
      const body = await readJson(req);
      const page = typeof body.page === 'string' ? body.page : '',
        account = typeof body.account === 'string' ? body.account : '';
      if (!PAGE_ID.test(page) || (account !== '' && !ACCOUNT_ID.test(account)))
        return sendJson(res, 400, {
          kind: 'InvalidArgument',
          summary: 'page: a page id; account: an account id or empty',
        });
      showing.delete(page);
      showing.set(page, account);
      if (showing.size > MAX_PAGES) showing.delete(showing.keys().next().value!);
      return sendJson(res, 200, {});
    }
    if (url.pathname.startsWith('/api/')) {
      const r = route(method, url.pathname);
      if (!r.handler) {
        if (r.allowed.length)
          return send(res, 405, '{"summary":"Method not allowed"}', 'application/json', {
            Allow: r.allowed.join(', '),
          });
        return sendJson(res, 404, { kind: 'NotFound', summary: words().gettext('No such thing here.') });
      }
      try {
        // Every POST carries a JSON object, read before anything is done: a form cannot send one.
        const body = method === 'POST' ? await readJson(req) : {};
        return sendJson(res, 200, await r.handler({ link, signIns }, body, r.params));
      } catch (err) {
        if (err instanceof HttpError) {
          const extra = (err as HttpError & { body?: object }).body ?? {};
          return sendJson(res, err.status, { kind: err.kind, summary: err.message, details: '', ...extra });
        }
        const worded = wordError(err);
        const status =
          worded.kind === 'NotFound'
            ? 404
            : worded.kind === 'ServiceUnreachable' || worded.kind === 'Timeout'
              ? 503
              : 409;
        return sendJson(res, status, worded);
      }
    }
    if (method !== 'GET') return send(res, 405, 'Method not allowed\n', 'text/plain; charset=utf-8', { Allow: 'GET' });
    if (url.pathname.startsWith('/icons/provider/')) {
      const icon = await icons.get(url.pathname.slice('/icons/provider/'.length));
      return icon ? send(res, 200, icon.body, icon.type) : textPage(res, 404, words().gettext('Not found.'));
    }
    const file = files.get(url.pathname === '/' ? '/index.html' : url.pathname);
    if (!file) return textPage(res, 404, words().gettext('Not found.'));
    if (file === files.get('/index.html')) {
      // In the browser's language (src/ui/languages.ts), with the session's key the first time.
      const language = languages.of(req);
      const page = pageIn(file.body.toString('utf8'), language);
      const key = sessions.takeKey(req);
      return send(res, 200, key ? withKey(page, key) : page, file.type, {
        'Content-Language': language.tag,
        Vary: 'Accept-Language',
      });
    }
    return send(res, 200, file.body, file.type);
  };

  const server = createServer((req, res) => {
    // Every answer in the browser's language (src/ui/languages.ts).
    void speak(languages.of(req), () =>
      handle(req, res).catch((err) => {
        // Bad input never ends the server: the request fails, the rest goes on.
        if (!res.headersSent)
          sendJson(res, 500, {
            kind: 'Failed',
            summary: words().gettext('Something went wrong.'),
            details: err instanceof Error ? err.message : String(err),
          });
        else res.destroy();
      }),
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000; // a check may take a minute
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  sessions = new Sessions(port);
  await link.start().catch(() => undefined);
  // Without a page within two minutes (the browser did not start), the window is not coming.
  armIdle(Math.max(graceMs, 120_000));

  return {
    origin,
    launchUrl(account?: string) {
      return `${origin}/?token=${tokens.issue()}${account ? `&account=${encodeURIComponent(account)}` : ''}`;
    },
    expectPage(ms: number) {
      if (streams.size === 0) armIdle(Math.max(ms, graceMs));
    },
    get pages() {
      return streams.size;
    },
    shownAccounts() {
      return [
        ...new Set(
          [...showing].filter(([page, account]) => account && holding.has(page)).map(([, account]) => account),
        ),
      ];
    },
    async close() {
      clearTimeout(idleTimer);
      signIns.cancelAll();
      for (const s of streams) s.end();
      link.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
