// Proxy verifier: asks the proxy itself whether it takes the credentials.
// - socks5: greeting offering only user name/password (RFC 1928), then the RFC 1929
//   sub-negotiation; its status byte is the answer. No CONNECT is sent.
// - http / https: `CONNECT 127.0.0.1:9` with Proxy-Authorization (inside TLS for https). A
//   proxy checks credentials before it connects: 407 (or 401, as tinyproxy says) means they
//   were refused; any other answer means they were taken, whatever became of the target, which
//   is the proxy's own loopback: a check never reaches the internet through the proxy.
import net from 'node:net';
import tls from 'node:tls';

import { detailText, VerifyFailure } from '../common/classify.js';
import { runVerification, type VerifyContext } from '../common/run.js';
import { bareHost, tlsOptions } from '../common/trust.js';
import type { Verifier } from '../common/types.js';

const TARGET = '127.0.0.1:9';

/** Reads from a socket until `done(buffer)` returns a value; `closed` says what an early end means. */
function readUntil<T>(socket: net.Socket, closed: string, done: (b: Buffer) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const v = done(buf);
      if (v !== undefined) {
        cleanup();
        resolve(v);
      } else if (buf.length > 16 * 1024) {
        cleanup();
        reject(new VerifyFailure('ServerError', 'the proxy answered with more than 16 KiB of headers'));
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new VerifyFailure('ServerError', closed));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
  });
}

async function open(ctx: VerifyContext): Promise<net.Socket> {
  const s = ctx.settings;
  const host = bareHost(s.host);
  if (s.type === 'https') {
    const trust = await tlsOptions(s);
    const socket = tls.connect({
      host,
      port: s.port,
      secureContext: trust.secureContext,
      ...(trust.servername ? { servername: trust.servername } : {}),
    });
    ctx.defer(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return socket;
  }
  const socket = net.connect({ host, port: s.port });
  ctx.defer(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

async function socks5(ctx: VerifyContext, socket: net.Socket): Promise<string> {
  const user = Buffer.from(ctx.settings.username, 'utf8');
  const pass = Buffer.from(ctx.secret, 'utf8');
  if (user.length > 255 || pass.length > 255)
    throw new VerifyFailure('Unknown', 'SOCKS5 takes user names and passwords of at most 255 bytes');
  socket.write(Buffer.from([5, 1, 2]));
  const method = await readUntil(socket, 'this is not a SOCKS5 proxy (it closed the connection)', (b) =>
    b.length >= 2 ? b.subarray(0, 2) : undefined,
  );
  if (method[0] !== 5) throw new VerifyFailure('ServerError', 'this is not a SOCKS5 proxy');
  if (method[1] === 0xff)
    throw new VerifyFailure('ServerError', 'the proxy does not accept user name and password authentication');
  if (method[1] !== 2)
    throw new VerifyFailure(
      'ServerError',
      `the proxy chose authentication method ${method[1]}, not user name and password`,
    );
  socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
  const status = await readUntil(socket, 'the proxy closed the connection during authentication', (b) =>
    b.length >= 2 ? b[1]! : undefined,
  );
  if (status !== 0) throw new VerifyFailure('Unauthorized');
  return 'SOCKS5 authentication succeeded';
}

async function httpConnect(ctx: VerifyContext, socket: net.Socket): Promise<string> {
  const auth = Buffer.from(`${ctx.settings.username}:${ctx.secret}`, 'utf8').toString('base64');
  socket.write(
    `CONNECT ${TARGET} HTTP/1.1\r\nHost: ${TARGET}\r\nProxy-Authorization: Basic ${auth}\r\nUser-Agent: px-accounts\r\n\r\n`,
  );
  const head = await readUntil(socket, 'the proxy closed the connection without an HTTP answer', (b) => {
    const end = b.indexOf('\r\n\r\n');
    if (end >= 0) return b.subarray(0, end).toString('latin1');
    // A first line that is not HTTP is enough to know (a mail or FTP server greets first).
    const line = b.indexOf('\n');
    return line >= 0 && !b.subarray(0, 5).toString('latin1').startsWith('HTTP/')
      ? b.subarray(0, line).toString('latin1')
      : undefined;
  });
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?/.exec(head.split('\r\n')[0] ?? '');
  if (!status)
    throw new VerifyFailure(
      'ServerError',
      `this is not an HTTP proxy (it said "${detailText(head, ctx.secret, undefined, 80)}")`,
    );
  const code = Number(status[1]);
  const text = detailText(`${code} ${status[2] ?? ''}`, ctx.secret);
  if (code === 407 || code === 401) throw new VerifyFailure('Unauthorized', text);
  return `credentials taken (${text})`;
}

export const verifyProxy: Verifier = (settings, secret, options) =>
  // The frame checks `security`: a proxy's comes from its type.
  runVerification(
    'Proxy',
    settings && { ...settings, security: settings.security ?? (settings.type === 'https' ? 'tls' : 'none') },
    secret,
    options,
    async (ctx) => {
      const socket = await open(ctx);
      const detail = ctx.settings.type === 'socks5' ? await socks5(ctx, socket) : await httpConnect(ctx, socket);
      return { detail };
    },
  );
