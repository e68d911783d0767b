// FTP verifier (basic-ftp): connect with implicit TLS, AUTH TLS or plain, log in, change to
// `path` when set, ask for the working directory. No data connection is opened: the check is
// about the account, and passive data ports behind NAT are a matter of the app's transfer.
import { Client, FTPError } from 'basic-ftp';

import { VerifyFailure } from '../common/classify.js';
import { runVerification, type ProtocolClassifier } from '../common/run.js';
import { bareHost, tlsOptions } from '../common/trust.js';
import type { Verifier } from '../common/types.js';

const classifyFtp: ProtocolClassifier = (err) => {
  if (!(err instanceof FTPError)) return undefined;
  const text = err.message.replace(/^\d{3}\s*/, '');
  if (err.code === 530) return { code: 'Unauthorized', detail: text };
  if (err.code === 421) return { code: 'Unavailable', detail: text };
  if (/\b(TLS|SSL)\b/i.test(text))
    return { code: 'ServerError', detail: `the server requires TLS (${text}): use security starttls or tls` };
  return { code: 'ServerError', detail: `${err.code} ${text}` };
};

export const verifyFtp: Verifier = (settings, secret, options) =>
  runVerification(
    'FTP',
    settings,
    secret,
    options,
    async (ctx) => {
      const tls = settings.security === 'none' ? undefined : await tlsOptions(settings);
      const client = new Client(ctx.remaining());
      ctx.defer(() => client.close());
      await client.access({
        host: bareHost(settings.host),
        port: settings.port,
        user: settings.username,
        password: secret,
        secure: settings.security === 'tls' ? 'implicit' : settings.security === 'starttls',
        ...(tls
          ? {
              secureOptions: {
                secureContext: tls.secureContext,
                ...(tls.servername ? { servername: tls.servername } : {}),
              },
            }
          : {}),
      });
      if (settings.path) {
        try {
          await client.cd(settings.path);
        } catch (err) {
          if (err instanceof FTPError && err.code >= 500)
            throw new VerifyFailure(
              'ServerError',
              `cannot change to "${settings.path}": ${err.message.replace(/^\d{3}\s*/, '')}`,
            );
          throw err;
        }
      }
      const dir = await client.pwd();
      return { detail: `working directory "${dir}"` };
    },
    classifyFtp,
  );
