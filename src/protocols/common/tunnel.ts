// A TCP connection to a server through the account's parent proxy (Account.Parent): SOCKS5 with
// RFC 1929 user name and password (the `socks` library), or HTTP CONNECT, in clear or inside
// TLS to the proxy. The verifier then speaks its protocol (and its TLS) over the socket it gets.
// Every way the proxy fails is ConnectionFailed naming the proxy: the account's own server was
// not reached, so nothing about its credentials is known (no AttentionNeeded from a proxy).
import type http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

import { detailText, VerifyFailure } from './classify.js';
import type { VerifyContext } from './run.js';
import { bareHost, tlsOptions } from './trust.js';
import type { ProxyRoute } from './types.js';

const MAX_HEAD = 16 * 1024;

const through = (via: ProxyRoute) => `through the proxy ${via.name} (${via.host}:${via.port})`;

function failure(via: ProxyRoute, what: string): VerifyFailure {
  return new VerifyFailure(
    'ConnectionFailed',
    `${through(via)}: ${detailText(what, via.password, via.username, 160) ?? 'failed'}`,
  );
}

function connected(socket: net.Socket, event: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
}

/** Reads the proxy's answer head; bytes after it belong to the server and are put back. */
function answerHead(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err?: Error, head?: string) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      if (err) reject(err);
      else resolve(head!);
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.pause();
        if (buf.length > end + 4) socket.unshift(buf.subarray(end + 4));
        done(undefined, buf.subarray(0, end).toString('latin1'));
      } else if (buf.length > MAX_HEAD) {
        done(new Error('the proxy answered with more than 16 KiB of headers'));
      }
    };
    const onEnd = () => done(new Error('the proxy closed the connection'));
    const onError = (err: Error) => done(err);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
  });
}

async function httpConnect(ctx: VerifyContext, via: ProxyRoute, host: string, port: number): Promise<net.Socket> {
  let socket: net.Socket;
  if (via.type === 'https') {
    const trust = await tlsOptions({
      host: via.host,
      port: via.port,
      security: 'tls',
      username: via.username,
      ...(via.ca ? { ca: via.ca } : {}),
    });
    socket = tls.connect({
      host: bareHost(via.host),
      port: via.port,
      secureContext: trust.secureContext,
      ...(trust.servername ? { servername: trust.servername } : {}),
    });
  } else {
    socket = net.connect({ host: bareHost(via.host), port: via.port });
  }
  ctx.defer(() => socket.destroy());
  await connected(socket, via.type === 'https' ? 'secureConnect' : 'connect');
  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  const auth = Buffer.from(`${via.username}:${via.password}`, 'utf8').toString('base64');
  socket.write(
    `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\nProxy-Authorization: Basic ${auth}\r\nUser-Agent: px-accounts\r\n\r\n`,
  );
  const head = await answerHead(socket);
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?/.exec(head.split('\r\n')[0] ?? '');
  if (!status) throw new Error('it is not an HTTP proxy');
  const code = Number(status[1]);
  if (code === 407 || code === 401) throw new Error(`the proxy refused its credentials (${code})`);
  if (code < 200 || code > 299)
    throw new Error(`the proxy would not connect to ${authority} (${code} ${status[2] ?? ''})`);
  return socket;
}

async function socks5(ctx: VerifyContext, via: ProxyRoute, host: string, port: number): Promise<net.Socket> {
  // Loaded on first use: with its ip-address dependency it was ~10 % of the service's start-up CPU.
  const { SocksClient } = await import('socks');
  const { socket } = await SocksClient.createConnection({
    proxy: { host: bareHost(via.host), port: via.port, type: 5, userId: via.username, password: via.password },
    destination: { host, port },
    command: 'connect',
    timeout: ctx.remaining(),
  });
  ctx.defer(() => socket.destroy());
  // The library hands over, on the next turn of the loop, the bytes that came with its answer
  // (a server's greeting) as one 'data' event and resumes the socket: both are caught here.
  const early: Buffer[] = [];
  const collect = (d: Buffer) => early.push(d);
  socket.on('data', collect);
  await new Promise<void>((resolve) => setImmediate(resolve));
  socket.off('data', collect);
  socket.pause();
  if (early.length) socket.unshift(Buffer.concat(early));
  return socket;
}

/**
 * Hands a socket over with nothing lost: after the proxy's answer it is paused with the bytes
 * that followed put back; this returns it to the state of a fresh socket (neither flowing nor
 * paused), so the first 'data' listener or pipe the protocol's client attaches gets them.
 */
async function release(socket: net.Socket): Promise<net.Socket> {
  const noop = () => undefined;
  socket.on('readable', noop);
  socket.off('readable', noop); // schedules the stream's own update of its flowing state
  await new Promise<void>((resolve) => process.nextTick(resolve));
  return socket;
}

/** A connected socket to host:port through `ctx.via`; throws ConnectionFailed naming the proxy. */
export async function openTunnel(ctx: VerifyContext, host: string, port: number): Promise<net.Socket> {
  const via = ctx.via;
  if (!via) throw new Error('openTunnel without a proxy');
  try {
    return await release(
      await (via.type === 'socks5'
        ? socks5(ctx, via, bareHost(host), port)
        : httpConnect(ctx, via, bareHost(host), port)),
    );
  } catch (err) {
    if (err instanceof VerifyFailure)
      throw new VerifyFailure('ConnectionFailed', `${through(via)}: ${err.detail ?? err.code}`);
    // socks' errors carry their options (the proxy's password) as a property: only the text is kept
    const e = err as { message?: string; code?: string };
    throw failure(via, e.code && !String(e.message).includes(e.code) ? `${e.message} (${e.code})` : String(e.message));
  }
}

type CreateConnection = (
  options: tls.ConnectionOptions & { host?: string; port?: number },
  callback: (err: Error | null, socket?: net.Socket) => void,
) => net.Socket | undefined;

/**
 * An http(s) Agent of a DAV check whose connections go through `ctx.via` (unchanged without
 * one): each socket is a tunnel, with the agent's TLS (trust, server name) on top for https.
 */
export function routeAgent<A extends http.Agent>(agent: A, ctx: VerifyContext, secure: boolean): A {
  if (!ctx.via) return agent;
  const create: CreateConnection = (options, callback) => {
    openTunnel(ctx, String(options.host), Number(options.port)).then(
      (socket) => callback(null, secure ? tls.connect({ ...options, socket }) : socket),
      (err: Error) => callback(err),
    );
    return undefined;
  };
  (agent as unknown as { createConnection: CreateConnection }).createConnection = create;
  return agent;
}
