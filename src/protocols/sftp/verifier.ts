// SFTP verifier (ssh2): host key check, password or private-key authentication, the sftp
// subsystem, and a listing of `path` (default: the login directory).
//
// The host key is reported as OpenSSH prints it ('SHA256:' + unpadded base64 of the SHA-256 of
// the key blob) in every result once the server presented one. With a pinned `hostKey` that
// differs, the attempt stops before authenticating: the secret never reaches that server.
import { createHash } from 'node:crypto';
import { Client, type FileEntry, type SFTPWrapper } from 'ssh2';

import { errorFacts, VerifyFailure } from '../common/classify.js';
import { runVerification, type ProtocolClassifier } from '../common/run.js';
import { bareHost } from '../common/trust.js';
import type { Verifier } from '../common/types.js';
import { openTunnel } from '../common/tunnel.js';

/** 'SHA256:<base64 without padding>' of an SSH public key blob. */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

function normalizePin(pin: string): string {
  const p = pin.trim().replace(/=+$/, '');
  return p.startsWith('SHA256:') ? p : `SHA256:${p}`;
}

const SFTP_STATUS: Record<number, string> = { 2: 'no such file or directory', 3: 'permission denied', 4: 'failure' };

const classifySftp: ProtocolClassifier = (err) => {
  if (err instanceof VerifyFailure) return undefined;
  const { codes } = errorFacts(err);
  if (codes.has('client-authentication')) return { code: 'Unauthorized' };
  if (codes.has('protocol')) return { code: 'ServerError', detail: (err as Error).message };
  if (codes.has('handshake'))
    return { code: 'ConnectionFailed', detail: `SSH handshake failed: ${(err as Error).message}` };
  return undefined;
};

export const verifySftp: Verifier = (settings, secret, options) =>
  // SSH has no security setting of its own: a missing one is fine here
  runVerification(
    'SFTP',
    settings ? { ...settings, security: settings.security ?? 'none' } : settings,
    secret,
    options,
    async (ctx) => {
      const keyAuth = /^\s*-----BEGIN /.test(secret);
      ctx.keyAuth = keyAuth;
      const pinned = settings.hostkey ? normalizePin(settings.hostkey) : undefined;
      let keyChanged = false;
      const client = new Client();
      ctx.defer(() => client.destroy());

      // through the account's proxy (Account.Parent): SSH over the tunnel
      const sock = ctx.via ? await openTunnel(ctx, settings.host, settings.port) : undefined;
      await new Promise<void>((resolve, reject) => {
        client.on('error', (err) =>
          reject(
            keyChanged
              ? new VerifyFailure('HostKeyChanged', `expected ${pinned}, the server presented ${ctx.hostKey}`)
              : err,
          ),
        );
        client.once('ready', () => resolve());
        client.once('close', () =>
          reject(
            keyChanged
              ? new VerifyFailure('HostKeyChanged', `expected ${pinned}, the server presented ${ctx.hostKey}`)
              : Object.assign(new Error('the server closed the connection'), { code: 'EConnectionClosed' }),
          ),
        );
        try {
          client.connect({
            ...(sock ? { sock } : {}),
            host: bareHost(settings.host),
            port: settings.port,
            username: settings.username,
            ...(keyAuth ? { privateKey: secret } : { password: secret }),
            authHandler: keyAuth ? ['publickey'] : ['password'],
            tryKeyboard: false,
            readyTimeout: ctx.remaining(),
            keepaliveInterval: 0,
            hostVerifier: (key: Buffer) => {
              ctx.hostKey = hostKeyFingerprint(key);
              if (pinned && pinned !== ctx.hostKey) {
                keyChanged = true;
                return false;
              }
              return true;
            },
          });
        } catch (err) {
          // ssh2 parses the private key synchronously
          reject(new VerifyFailure('Unknown', `cannot use the private key: ${(err as Error).message}`));
        }
      });

      const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
        client.sftp((err, s) =>
          err
            ? reject(new VerifyFailure('ServerError', `the server does not offer SFTP (${err.message})`))
            : resolve(s),
        );
      });
      const dir = settings.path || '.';
      const entries = await new Promise<FileEntry[]>((resolve, reject) => {
        sftp.readdir(dir, (err: Error | undefined, list: FileEntry[]) => {
          if (!err) return resolve(list);
          const code = (err as Error & { code?: number }).code;
          reject(
            new VerifyFailure(
              'ServerError',
              `cannot list "${dir}": ${(code !== undefined && SFTP_STATUS[code]) || err.message}`,
            ),
          );
        });
      });

      sftp.end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1000, ctx.remaining()));
        client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        client.end();
      });
      return { detail: `"${dir}" lists ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}` };
    },
    classifySftp,
  );
