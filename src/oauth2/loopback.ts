/**
 * The one-shot loopback redirect listener of a browser sign-in (RFC 8252 7.3): bound to the
 * redirect URI's loopback address on a free port, for one request only. A redirect with the
 * request's state ends it; anything else (another path, a wrong or missing state) is answered
 * 400 and the listener keeps waiting, so a stray or hostile request cannot end a sign-in. After
 * the answer it closes at once, so a replayed redirect finds nobody listening.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccountsError } from '../errors.js';

export interface Redirect {
  /** The full URL the browser was sent to (code, state, iss, or error). */
  readonly url: URL;
}

const PAGE = (title: string, text: string) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>${title}</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto; line-height: 1.5">
<h1 style="font-size: 1.4em">${title}</h1><p>${text}</p></body></html>`;

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export class LoopbackListener {
  private server: http.Server | undefined;
  private settle!: { resolve: (r: Redirect) => void; reject: (e: Error) => void };
  /** Resolves with the redirect that carried the request's state. */
  readonly redirect: Promise<Redirect>;
  /** The redirect URI with the port filled in. */
  uri = '';

  private constructor(
    private readonly path: string,
    private readonly state: string,
    private readonly providerName: string,
  ) {
    this.redirect = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.redirect.catch(() => undefined);
  }

  /** Listens on the redirect URI's address; the URI must be a loopback http URI without a port. */
  static async open(redirectUri: string, state: string, providerName: string): Promise<LoopbackListener> {
    const base = new URL(redirectUri);
    const listener = new LoopbackListener(base.pathname, state, providerName);
    const host = base.hostname === 'localhost' ? '127.0.0.1' : base.hostname.replace(/^\[(.*)\]$/, '$1');
    const server = http.createServer((req, res) => listener.handle(req, res));
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    // a browser needs a connection or two; a local flood must not exhaust the service's descriptors
    server.maxConnections = 16;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // for its whole life: an unhandled 'error' (EMFILE on accept) would end the service
    server.on('error', (err) =>
      listener.close(
        new AccountsError('Io', `the sign-in listener failed (${(err as NodeJS.ErrnoException).code ?? err.name})`),
      ),
    );
    server.on('clientError', (_err, socket) => socket.destroy());
    listener.server = server;
    const port = (server.address() as AddressInfo).port;
    base.port = String(port);
    listener.uri = base.href;
    return listener;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers = {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'",
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', this.uri);
    } catch {
      res.writeHead(400, headers).end();
      return;
    }
    const state = url.searchParams.get('state') ?? '';
    if (req.method !== 'GET' || url.pathname !== this.path || !sameText(state, this.state) || !this.server) {
      res
        .writeHead(400, headers)
        .end(PAGE('Not a valid sign-in', 'This address does not belong to a sign-in in progress.'));
      return;
    }
    const failed = url.searchParams.has('error');
    res
      .writeHead(200, { ...headers, connection: 'close' })
      .end(
        failed
          ? PAGE('Sign-in not completed', `${this.providerName} did not sign you in. You can close this window.`)
          : PAGE(
              'Signed in',
              `You are signed in to ${this.providerName}. You can close this window and go back to your app.`,
            ),
      );
    this.close();
    this.settle.resolve({ url });
  }

  /** Stops listening; a sign-in still waiting fails with `reason`. */
  close(reason?: Error): void {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.close();
      // let the answer reach the browser, then drop every connection (keep-alive ones included)
      setImmediate(() => server.closeAllConnections());
    }
    if (reason) this.settle.reject(reason);
  }
}
