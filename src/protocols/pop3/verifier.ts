// POP3 verifier: a small client of our own (no maintained npm client does STLS). Greeting,
// STLS upgrade when asked, USER/PASS (or AUTH XOAUTH2 with an OAuth2 token, RFC 5034), QUIT.
import net from 'node:net';
import tls from 'node:tls';

import { VerifyFailure } from '../common/classify.js';
import { runVerification } from '../common/run.js';
import { bareHost, tlsOptions } from '../common/trust.js';
import type { Verifier } from '../common/types.js';
import { openTunnel } from '../common/tunnel.js';

/** Reads CRLF-terminated lines; a pending read fails with the socket's error or on close. */
class Lines {
  private buf = '';
  private queue: string[] = [];
  private waiter?: { resolve: (l: string) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private onData = (chunk: string) => {
    this.buf += chunk;
    if (this.buf.length > 64 * 1024)
      return this.fail(new VerifyFailure('ServerError', 'the server sent an overlong line'));
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      this.queue.push(this.buf.slice(0, i).replace(/\r$/, ''));
      this.buf = this.buf.slice(i + 1);
    }
    this.flush();
  };
  private onError = (err: Error) => this.fail(err);
  private onClose = () =>
    this.fail(Object.assign(new Error('the server closed the connection'), { code: 'EConnectionClosed' }));

  private fail(err: Error) {
    this.failure ??= err;
    this.flush();
  }

  private flush() {
    if (!this.waiter) return;
    const w = this.waiter;
    if (this.queue.length) {
      this.waiter = undefined;
      w.resolve(this.queue.shift()!);
    } else if (this.failure) {
      this.waiter = undefined;
      w.reject(this.failure);
    }
  }

  next(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.flush();
    });
  }

  /** Sends a command (when given) and reads the one-line reply. */
  async command(cmd?: string): Promise<{ ok: boolean; text: string }> {
    if (cmd !== undefined) this.socket.write(cmd + '\r\n');
    const line = await this.next();
    if (line.startsWith('+OK')) return { ok: true, text: line.slice(3).trim() };
    if (line.startsWith('-ERR')) return { ok: false, text: line.slice(4).trim() };
    // A SASL challenge (RFC 5034): XOAUTH2 sends its error as one, to be answered with an empty line.
    if (line.startsWith('+ ') || line === '+')
      return { ok: false, text: '', challenge: line.slice(2) } as { ok: boolean; text: string };
    throw new VerifyFailure('ServerError', `unexpected reply "${line.slice(0, 80)}" (is this a POP3 server?)`);
  }

  detach() {
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
  }
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

/** -ERR to USER/PASS: a rejected login, unless the server says it is a temporary condition (RFC 3206). */
function loginRefused(text: string): never {
  if (/\[(SYS\/TEMP|IN-USE)\]/i.test(text)) throw new VerifyFailure('Unavailable', text);
  if (/\[SYS\/PERM\]/i.test(text)) throw new VerifyFailure('ServerError', text);
  throw new VerifyFailure('Unauthorized', text || undefined);
}

export const verifyPop3: Verifier = (settings, secret, options) =>
  runVerification('POP3', settings, secret, options, async (ctx) => {
    if (/[\r\n]/.test(settings.username + secret))
      throw new VerifyFailure('Unknown', 'the user name or password contains a line break');
    const trust = settings.security === 'none' ? undefined : await tlsOptions(settings, 'pop3', ctx);
    const host = bareHost(settings.host);
    const tlsConnect = (extra: tls.ConnectionOptions) =>
      tls.connect({
        host,
        secureContext: trust!.secureContext,
        ...(trust?.servername ? { servername: trust.servername } : {}),
        ...(trust?.checkServerIdentity ? { checkServerIdentity: trust.checkServerIdentity } : {}),
        ...extra,
      });

    // through the account's proxy (Account.Parent) the TCP connection is the tunnel, already open
    const tunnel = ctx.via ? await openTunnel(ctx, settings.host, settings.port) : undefined;
    let socket: net.Socket =
      settings.security === 'tls'
        ? tlsConnect(tunnel ? { socket: tunnel } : { port: settings.port })
        : (tunnel ?? net.connect({ host, port: settings.port }));
    const sockets = [socket];
    // failures are read through the promises below; a stray late 'error' must not go unhandled
    const ignore = () => undefined;
    socket.on('error', ignore);
    ctx.defer(() => {
      for (const s of sockets) s.destroy();
    });
    if (settings.security === 'tls' || !tunnel)
      await connected(socket, settings.security === 'tls' ? 'secureConnect' : 'connect');
    let lines = new Lines(socket);

    const greeting = await lines.command();
    if (!greeting.ok) throw new VerifyFailure('Unavailable', greeting.text);

    if (settings.security === 'starttls') {
      const stls = await lines.command('STLS');
      if (!stls.ok) throw new VerifyFailure('ServerError', `the server does not offer STLS (${stls.text})`);
      lines.detach();
      socket = tlsConnect({ socket });
      sockets.push(socket);
      socket.on('error', ignore);
      await connected(socket, 'secureConnect');
      lines = new Lines(socket);
    }

    if (options.auth === 'oauth2') {
      // XOAUTH2 (Google, Microsoft, Dovecot's oauth2 passdb): user and Bearer token in one SASL response.
      const response = Buffer.from(`user=${settings.username}\x01auth=Bearer ${secret}\x01\x01`, 'utf8').toString(
        'base64',
      );
      let reply = await lines.command(`AUTH XOAUTH2 ${response}`);
      if ('challenge' in reply) reply = await lines.command('');
      if (!reply.ok) loginRefused(reply.text);
    } else {
      const user = await lines.command(`USER ${settings.username}`);
      if (!user.ok) loginRefused(user.text);
      const pass = await lines.command(`PASS ${secret}`);
      if (!pass.ok) loginRefused(pass.text);
    }

    await lines.command('QUIT').catch(() => undefined);
    socket.end();
  });
