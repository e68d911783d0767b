// A STAND-IN for a Nextcloud server, the tests' own (not Nextcloud's code): it speaks Login
// Flow v2 as Nextcloud documents it (developer manual, "Login Flow", v2) and the app-password
// revocation of the OCS API, and sits in front of the real servers of the suite:
//
//   POST /index.php/login/v2            → {poll: {token, endpoint}, login}
//   GET  <login>                        → the "browser" page (HTML)
//   POST <login>/grant                  → what the person's "Grant access" does: an app password
//                                          for `loginName` is made and bound to the flow
//   POST /login/v2/poll (token=…)       → 404 until granted, then once 200
//                                          {server, loginName, appPassword}; 404 again after that
//   DELETE /ocs/v2.php/core/apppassword → with OCS-APIRequest: true and Basic auth of the app
//                                          password: revoked (recorded in `revocations`)
//   /.well-known/caldav, /carddav       → 301 to /remote.php/dav/ (as Nextcloud's .htaccess)
//   /remote.php/dav/files/<login>/…     → Apache mod_dav (the real WebDAV server), /dav/…
//   /remote.php/dav/…                   → Radicale (the real CalDAV/CardDAV server), with
//                                          X-Script-Name: /remote.php/dav
//
// Every /remote.php/dav request must carry Basic auth of the login name and a live app password
// (401 otherwise, as Nextcloud); it goes on with the real server's own credentials.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  port: number;
  user: string;
  password: string;
  host?: string;
}

export interface Revocation {
  loginName: string;
  appPassword: string;
  ocsHeader: boolean;
  status: number;
}

export interface NextcloudStandIn {
  /** http://127.0.0.1:<port> (no trailing slash) */
  url: string;
  loginName: string;
  /** app passwords given out and not revoked */
  live: Set<string>;
  /** every app password given out, in order */
  issued: string[];
  /** every DELETE /ocs/v2.php/core/apppassword, in order */
  revocations: Revocation[];
  /** User-Agent headers of the login flow requests */
  userAgents: string[];
  /** plays the browser: the person signs in at `login` and grants access (the app password made) */
  grant(login: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startNextcloudStandIn(o: {
  loginName: string;
  radicale: Upstream;
  webdav: Upstream & { path: string };
}): Promise<NextcloudStandIn> {
  const flows = new Map<string, { pollToken: string; granted?: string; consumed: boolean }>();
  const byPollToken = new Map<string, string>();
  const s: NextcloudStandIn = {
    url: '',
    loginName: o.loginName,
    live: new Set(),
    issued: [],
    revocations: [],
    userAgents: [],
    grant: async (login) => {
      const r = await fetch(`${login}/grant`, { method: 'POST' });
      if (r.status !== 200) throw new Error(`the stand-in's grant answered ${r.status}: ${await r.text()}`);
      return r.text();
    },
    stop: async () => undefined,
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const basic = (req: http.IncomingMessage): { user: string; password: string } | undefined => {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const text = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = text.indexOf(':');
    return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
  };
  const body = (req: http.IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const proxy = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    up: Upstream,
    path: string,
    extra: Record<string, string>,
  ) => {
    const headers: http.OutgoingHttpHeaders = {
      ...req.headers,
      ...extra,
      authorization: 'Basic ' + Buffer.from(`${up.user}:${up.password}`).toString('base64'),
      host: `127.0.0.1:${up.port}`,
    };
    const ureq = http.request(
      { host: up.host ?? '127.0.0.1', port: up.port, method: req.method, path, headers },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
      },
    );
    ureq.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(ureq);
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', s.url);
    const path = url.pathname;
    if (path === '/index.php/login/v2' && req.method === 'POST') {
      await body(req);
      s.userAgents.push(String(req.headers['user-agent'] ?? ''));
      const flow = randomBytes(16).toString('hex');
      const pollToken = randomBytes(32).toString('base64url');
      flows.set(flow, { pollToken, consumed: false });
      byPollToken.set(pollToken, flow);
      json(res, 200, {
        poll: { token: pollToken, endpoint: `${s.url}/login/v2/poll` },
        login: `${s.url}/login/v2/flow/${flow}`,
      });
      return;
    }
    const m = /^\/login\/v2\/flow\/([0-9a-f]+)(\/grant)?$/.exec(path);
    if (m) {
      await body(req);
      const flow = flows.get(m[1]!);
      if (!flow) {
        res.writeHead(404).end('no such login flow\n');
        return;
      }
      if (!m[2]) {
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            `<!doctype html><title>Nextcloud stand-in</title><p>Connect to your account</p><form method="post" action="${path}/grant"><button>Grant access</button></form>\n`,
          );
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const appPassword = randomBytes(24).toString('base64url');
      flow.granted = appPassword;
      s.live.add(appPassword);
      s.issued.push(appPassword);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(appPassword);
      return;
    }
    if (path === '/login/v2/poll' && req.method === 'POST') {
      const token = new URLSearchParams(await body(req)).get('token') ?? '';
      s.userAgents.push(String(req.headers['user-agent'] ?? ''));
      const id = byPollToken.get(token);
      const flow = id ? flows.get(id) : undefined;
      if (!flow || !flow.granted || flow.consumed) {
        json(res, 404, []);
        return;
      }
      flow.consumed = true;
      json(res, 200, { server: s.url, loginName: o.loginName, appPassword: flow.granted });
      return;
    }
    if (path === '/ocs/v2.php/core/apppassword' && req.method === 'DELETE') {
      await body(req);
      const who = basic(req);
      const ocsHeader = String(req.headers['ocs-apirequest'] ?? '').toLowerCase() === 'true';
      const ok = !!who && ocsHeader && who.user === o.loginName && s.live.has(who.password);
      const status = ok ? 200 : 401;
      s.revocations.push({ loginName: who?.user ?? '', appPassword: who?.password ?? '', ocsHeader, status });
      if (ok) s.live.delete(who.password);
      json(res, status, {
        ocs: {
          meta: {
            status: ok ? 'ok' : 'failure',
            statuscode: ok ? 200 : 997,
            message: ok ? 'OK' : 'Current user is not logged in',
          },
          data: [],
        },
      });
      return;
    }
    if (path === '/.well-known/caldav' || path === '/.well-known/carddav') {
      req.resume();
      res.writeHead(301, { location: `${s.url}/remote.php/dav/` }).end();
      return;
    }
    if (path === '/remote.php/dav' || path.startsWith('/remote.php/dav/')) {
      const who = basic(req);
      if (!who || who.user !== o.loginName || !s.live.has(who.password)) {
        req.resume();
        res
          .writeHead(401, {
            'www-authenticate': 'Basic realm="Nextcloud", charset="UTF-8"',
            'content-type': 'application/xml; charset=utf-8',
          })
          .end(
            '<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"><s:message>No valid credentials</s:message></d:error>\n',
          );
        return;
      }
      const files = `/remote.php/dav/files/${encodeURIComponent(o.loginName)}`;
      if (path === files || path.startsWith(`${files}/`)) {
        proxy(
          req,
          res,
          o.webdav,
          `${o.webdav.path.replace(/\/$/, '')}${path.slice(files.length) || '/'}${url.search}`,
          {},
        );
        return;
      }
      proxy(req, res, o.radicale, `${path.slice('/remote.php/dav'.length) || '/'}${url.search}`, {
        'x-script-name': '/remote.php/dav',
      });
      return;
    }
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found (Nextcloud stand-in)\n');
  };
  // A failure in a handler ends that response, not the test run (an unhandled rejection would).
  const server = http.createServer((req, res) => {
    serve(req, res).catch((err: unknown) => res.destroy(err instanceof Error ? err : undefined));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.stop = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return s;
}
