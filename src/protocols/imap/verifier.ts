// IMAP verifier (imapflow): connect (implicit TLS, STARTTLS required, or plain), LOGIN (or SASL
// OAUTHBEARER/XOAUTH2 with an OAuth2 token), check
// that `path` exists when set, LOGOUT.
import net from 'node:net';
import nodeTls from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';

import { errorFacts, VerifyFailure } from '../common/classify.js';
import { runVerification, type ProtocolClassifier } from '../common/run.js';
import { bareHost, tlsOptions } from '../common/trust.js';
import type { Verifier } from '../common/types.js';
import { openTunnel } from '../common/tunnel.js';

type Transport = NonNullable<ImapFlowOptions['transport']>;

/** imapflow over a socket already connected through the account's proxy (its TLS on top). */
function tunnelled(socket: net.Socket): Transport {
  const secure = (
    o: { host: string; servername?: string; tls?: nodeTls.ConnectionOptions },
    plain: net.Socket,
    done: () => void,
  ) =>
    nodeTls.connect(
      { ...o.tls, socket: plain, host: o.host, ...(o.servername ? { servername: o.servername } : {}) },
      done,
    );
  return {
    connect(o, onConnect) {
      if (o.secure) return secure(o, socket, onConnect);
      setImmediate(onConnect);
      return socket;
    },
    upgrade: (plain, o, onSecure) => secure(o, plain as net.Socket, onSecure),
  };
}

const classifyImap: ProtocolClassifier = (err) => {
  if (err instanceof VerifyFailure) return undefined;
  const e = err as {
    authenticationFailed?: boolean;
    serverResponseCode?: string;
    responseText?: string;
    response?: unknown;
  };
  const { codes } = errorFacts(err);
  const serverText = typeof e?.responseText === 'string' ? e.responseText : undefined;
  if (codes.has('UNAVAILABLE') || codes.has('INUSE') || codes.has('LIMIT') || codes.has('ETHROTTLE')) {
    return { code: 'Unavailable', detail: serverText };
  }
  if (
    e?.authenticationFailed ||
    codes.has('AUTHENTICATIONFAILED') ||
    codes.has('AUTHORIZATIONFAILED') ||
    codes.has('EXPIRED')
  ) {
    return { code: 'Unauthorized', detail: serverText };
  }
  if (
    codes.has('MissingServerExtension') ||
    codes.has('InvalidResponse') ||
    codes.has('UnexpectedTag') ||
    [...codes].some((c) => c.startsWith('ParserError'))
  ) {
    return { code: 'ServerError', detail: serverText ?? (err as Error).message };
  }
  return undefined;
};

export const verifyImap: Verifier = (settings, secret, options) =>
  runVerification(
    'IMAP',
    settings,
    secret,
    options,
    async (ctx) => {
      const tls = settings.security === 'none' ? undefined : await tlsOptions(settings, 'imap', ctx);
      const socket = ctx.via ? await openTunnel(ctx, settings.host, settings.port) : undefined;
      const client = new ImapFlow({
        ...(socket ? { transport: tunnelled(socket) } : {}),
        host: bareHost(settings.host),
        port: settings.port,
        secure: settings.security === 'tls',
        // 'starttls' must upgrade (or fail); 'none' never sends credentials through TLS it did not ask for
        doSTARTTLS: settings.security === 'starttls',
        ...(tls?.servername ? { servername: tls.servername } : {}),
        ...(tls
          ? {
              tls: {
                secureContext: tls.secureContext,
                ...(tls.checkServerIdentity ? { checkServerIdentity: tls.checkServerIdentity } : {}),
              },
            }
          : {}),
        // With a token imapflow prefers OAUTHBEARER when offered, else XOAUTH2.
        auth:
          options.auth === 'oauth2'
            ? { user: settings.username, accessToken: secret }
            : { user: settings.username, pass: secret },
        logger: false,
        emitLogs: false,
        disableAutoIdle: true,
        disableCompression: true,
        clientInfo: { name: 'px-accounts' },
        connectionTimeout: ctx.remaining(),
        greetingTimeout: ctx.remaining(),
        socketTimeout: ctx.remaining(),
      });
      // imapflow reports some failures as 'error' events as well; the promise carries them
      client.on('error', () => undefined);
      ctx.defer(() => client.close());

      await client.connect();

      if (settings.path) {
        try {
          await client.status(settings.path, { messages: true });
        } catch (err) {
          // imapflow: code 'NotFound', the tagged NO in `response`; other servers say [NONEXISTENT]
          type StatusError = {
            code?: string;
            mailboxMissing?: boolean;
            responseStatus?: string;
            responseText?: string;
            serverResponseCode?: string;
          };
          const e = err as StatusError & { response?: StatusError };
          const status = e?.responseStatus ?? e?.response?.responseStatus;
          if (
            e?.code === 'NotFound' ||
            e?.mailboxMissing ||
            e?.serverResponseCode === 'NONEXISTENT' ||
            status === 'NO' ||
            status === 'BAD'
          ) {
            throw new VerifyFailure('ServerError', `the folder "${settings.path}" does not exist`);
          }
          throw err;
        }
      }

      await client.logout();
      return settings.path ? { detail: `folder "${settings.path}" found` } : {};
    },
    classifyImap,
  );
