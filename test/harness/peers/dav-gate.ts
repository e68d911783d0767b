// A Bearer-token gate in front of the real Radicale peer, as companies put an OAuth2 proxy in
// front of a DAV server: every request must carry `Authorization: Bearer <token>`; the token is
// introspected at the OpenID provider (RFC 7662) and, when it is active and its `sub` is the
// DAV user, the request goes on to Radicale with that user's Basic credentials. Anything else
// is 401 with a Bearer challenge (RFC 6750). Test code: named as such.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DavGate {
  port: number;
  url: string;
  introspections: number;
  stop(): Promise<void>;
}

export async function startDavGate(o: {
  upstreamPort: number;
  user: string;
  password: string;
  introspectionUrl: string;
}): Promise<DavGate> {
  const intro = new URL(o.introspectionUrl);
  const basicIntro =
    'Basic ' +
    Buffer.from(`${decodeURIComponent(intro.username)}:${decodeURIComponent(intro.password)}`).toString('base64');
  intro.username = '';
  intro.password = '';
  const upstreamAuth = 'Basic ' + Buffer.from(`${o.user}:${o.password}`).toString('base64');
  const gate: DavGate = { port: 0, url: '', introspections: 0, stop: async () => undefined };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const refuse = () => {
      res
        .writeHead(401, {
          'www-authenticate': 'Bearer realm="dav", error="invalid_token"',
          'content-type': 'text/plain',
        })
        .end('invalid token\n');
    };
    if (!token) {
      res
        .writeHead(401, { 'www-authenticate': 'Bearer realm="dav"', 'content-type': 'text/plain' })
        .end('token required\n');
      req.resume();
      return;
    }
    gate.introspections++;
    let active: boolean;
    try {
      const r = await fetch(intro, {
        method: 'POST',
        headers: { authorization: basicIntro, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      const body = (await r.json()) as { active?: boolean; sub?: string };
      active = body.active === true && body.sub === o.user;
    } catch {
      active = false;
    }
    if (!active) {
      req.resume();
      refuse();
      return;
    }
    const headers = { ...req.headers, authorization: upstreamAuth, host: `127.0.0.1:${o.upstreamPort}` };
    const up = http.request(
      { host: '127.0.0.1', port: o.upstreamPort, method: req.method, path: req.url, headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(up);
  };
  // A failure in a handler ends that response, not the test run (an unhandled rejection would).
  const server = http.createServer((req, res) => {
    serve(req, res).catch((err: unknown) => res.destroy(err instanceof Error ? err : undefined));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  gate.port = (server.address() as AddressInfo).port;
  gate.url = `http://127.0.0.1:${gate.port}/`;
  gate.stop = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return gate;
}
