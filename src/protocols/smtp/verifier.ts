// SMTP verifier (nodemailer): connect (implicit TLS, STARTTLS required, or plain), EHLO, AUTH
// (PLAIN/LOGIN, or XOAUTH2 with an OAuth2 token),
// QUIT. `forceAuth` makes verify() authenticate even when the server does not advertise AUTH:
// without it verify() reports success without ever checking the password.
import net from 'node:net';
import { createTransport } from 'nodemailer';

import { errorFacts, VerifyFailure } from '../common/classify.js';
import { runVerification, type ProtocolClassifier } from '../common/run.js';
import { bareHost, tlsOptions } from '../common/trust.js';
import type { Verifier } from '../common/types.js';
import { openTunnel } from '../common/tunnel.js';

const classifySmtp: ProtocolClassifier = (err) => {
  if (err instanceof VerifyFailure) return undefined;
  const e = err as { code?: string; responseCode?: number; response?: string; command?: string };
  const { codes } = errorFacts(err);
  const reply = typeof e?.response === 'string' ? e.response : undefined;
  const rc = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  if (rc === 421 || (rc !== undefined && rc >= 400 && rc < 500 && codes.has('EAUTH'))) {
    return { code: 'Unavailable', detail: reply };
  }
  if (codes.has('EAUTH')) {
    if (rc === 535 || rc === 534 || rc === 538 || (rc === 530 && !/STARTTLS/i.test(reply ?? '')))
      return { code: 'Unauthorized', detail: reply };
    if (rc !== undefined) return { code: 'ServerError', detail: `authentication is not possible: ${reply}` };
    return { code: 'Unauthorized', detail: (err as Error).message };
  }
  if (codes.has('ETLS') && rc !== undefined) {
    return { code: 'ServerError', detail: `STARTTLS failed: ${reply}` };
  }
  if (codes.has('EPROTOCOL') || (rc !== undefined && rc >= 500)) {
    return { code: 'ServerError', detail: reply ?? (err as Error).message };
  }
  return undefined;
};

export const verifySmtp: Verifier = (settings, secret, options) =>
  runVerification(
    'SMTP',
    settings,
    secret,
    options,
    async (ctx) => {
      const tls = settings.security === 'none' ? undefined : await tlsOptions(settings, 'smtp', ctx);
      // the transport connects through a socket of ours, so the attempt can always close it
      const sockets: net.Socket[] = [];
      ctx.defer(() => {
        for (const s of sockets) s.destroy();
      });
      const remaining = ctx.remaining();
      const transport = createTransport({
        host: bareHost(settings.host),
        port: settings.port,
        secure: settings.security === 'tls',
        requireTLS: settings.security === 'starttls',
        ignoreTLS: settings.security === 'none',
        ...(tls
          ? {
              tls: {
                secureContext: tls.secureContext,
                ...(tls.servername ? { servername: tls.servername } : {}),
                ...(tls.checkServerIdentity ? { checkServerIdentity: tls.checkServerIdentity } : {}),
              },
            }
          : {}),
        auth:
          options.auth === 'oauth2'
            ? { type: 'OAuth2', user: settings.username, accessToken: secret }
            : { user: settings.username, pass: secret },
        forceAuth: true,
        logger: false,
        debug: false,
        connectionTimeout: remaining,
        greetingTimeout: remaining,
        socketTimeout: remaining,
        dnsTimeout: remaining,
        // nodemailer uses a connected socket handed over as `connection` (and runs TLS over it
        // for implicit TLS); connecting ourselves keeps the socket in reach of the cleanup
        getSocket: (_opts, callback) => {
          if (ctx.via) {
            // through the account's proxy (Account.Parent): nodemailer runs its TLS over the tunnel
            openTunnel(ctx, settings.host, settings.port).then(
              (socket) => {
                sockets.push(socket);
                callback(null, { connection: socket });
              },
              (err: Error) => callback(err, false),
            );
            return;
          }
          const socket = net.connect({ host: bareHost(settings.host), port: settings.port });
          socket.on('error', () => undefined); // reported through the callback, later through verify()
          sockets.push(socket);
          if (ctx.signal.aborted) socket.destroy();
          const onError = (err: Error) => callback(err, false);
          socket.once('error', onError);
          socket.once('connect', () => {
            socket.off('error', onError);
            callback(null, { connection: socket });
          });
        },
      });
      ctx.defer(() => transport.close());

      await transport.verify();

      // verify() resolves as it sends QUIT: give the server the moment it needs to answer and close
      await Promise.all(sockets.map((s) => closed(s, Math.min(1000, ctx.remaining()))));
    },
    classifySmtp,
  );

function closed(socket: net.Socket, ms: number): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    socket.once('close', done);
    function done() {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    }
  });
}
