// One HTTP(S) request of a verifier on node:http/https: the agent decides trust and owns the
// socket; the answer's body is read whole but bounded, a larger one fails the check.
import http from 'node:http';
import https from 'node:https';

import { VerifyFailure } from './classify.js';

export interface HttpAnswer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  signal: AbortSignal;
  agent: http.Agent | https.Agent;
  /** Bytes of body read at most. */
  maxBody: number;
}

export function httpRequest(url: URL, r: HttpRequest): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(
      url,
      { method: r.method, headers: r.headers, signal: r.signal, agent: r.agent },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > r.maxBody) req.destroy(new VerifyFailure('ServerError', 'the server response is too large'));
          else chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}
