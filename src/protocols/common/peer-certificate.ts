// The certificate a server presents, whether or not it is trusted: what a failed check reports
// (its fingerprint, so the person can accept exactly that one) and what a pinned server is
// compared with. No credentials are sent: a TLS handshake, after the protocol's STARTTLS
// question where the connection starts in plaintext; bounded in time and in bytes read.
import net from 'node:net';
import tls from 'node:tls';

import { fingerprintOf, pemOf } from './pins.js';
import { bareHost, sniName } from './trust.js';

/** How the TLS starts: at once, or after the protocol's STARTTLS command. */
export type TlsDialect = 'tls' | 'imap' | 'smtp' | 'pop3';

export interface PeerCertificate {
  fingerprint: string;
  pem: string;
}

const MAX_READ = 16 * 1024;
/** STARTTLS in each protocol: what the server says first, what we ask, the answer that lets TLS start. */
const STARTTLS: Record<Exclude<TlsDialect, 'tls'>, Array<{ wait: RegExp; send: string }>> = {
  imap: [
    { wait: /^\* (OK|PREAUTH)[^\n]*\n/m, send: 'a STARTTLS\r\n' },
    { wait: /^a OK[^\n]*\n/m, send: '' },
  ],
  smtp: [
    { wait: /^220 [^\n]*\n/m, send: 'EHLO px-accounts\r\n' },
    { wait: /^250 [^\n]*\n/m, send: 'STARTTLS\r\n' },
    { wait: /^220 [^\n]*\n/m, send: '' },
  ],
  pop3: [
    { wait: /^\+OK[^\n]*\n/m, send: 'STLS\r\n' },
    { wait: /^\+OK[^\n]*\n/m, send: '' },
  ],
};

/** Plaintext until STARTTLS is accepted; rejects when the server says otherwise or too much. */
function startTls(sock: net.Socket, steps: Array<{ wait: RegExp; send: string }>): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let step = 0;
    const done = (err?: Error) => {
      sock.removeListener('data', onData);
      sock.removeListener('error', done);
      sock.removeListener('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onClose = () => done(new Error('the server closed the connection'));
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.length > MAX_READ) return done(new Error('the server said too much'));
      const m = steps[step]!.wait.exec(buf);
      if (!m) return;
      buf = buf.slice(m.index + m[0].length);
      const send = steps[step]!.send;
      step++;
      if (step === steps.length) return done();
      sock.write(send);
    };
    sock.on('data', onData);
    sock.once('error', done);
    sock.once('close', onClose);
  });
}

/**
 * The leaf certificate host:port presents (`security` tls: at once; starttls: after the
 * dialect's STARTTLS). Rejects when there is none within `timeoutMs` or on any failure.
 * `open`: how to reach host:port (a tunnel through the account's parent proxy); directly without.
 */
export async function peerCertificate(
  dialect: TlsDialect,
  host: string,
  port: number,
  security: 'tls' | 'starttls',
  timeoutMs: number,
  signal?: AbortSignal,
  open?: (host: string, port: number) => Promise<net.Socket>,
): Promise<PeerCertificate> {
  const sockets: net.Socket[] = [];
  const bound = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]);
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(new Error(`no certificate from ${host}:${port} within ${timeoutMs} ms`));
    if (bound.aborted) fail();
    else bound.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    const run = async (): Promise<PeerCertificate> => {
      let plain: net.Socket | undefined;
      if (security === 'starttls' && dialect === 'tls') throw new Error('no STARTTLS dialect for this protocol');
      if (open) {
        plain = await open(host, port);
        sockets.push(plain);
      } else if (security === 'starttls') {
        plain = net.connect({ host: bareHost(host), port });
        sockets.push(plain);
      }
      if (security === 'starttls') await startTls(plain!, STARTTLS[dialect as Exclude<TlsDialect, 'tls'>]);
      const servername = sniName(host);
      const sock = tls.connect({
        ...(plain ? { socket: plain } : { host: bareHost(host), port }),
        ...(servername ? { servername } : {}),
        // only to read the certificate: nothing is sent over this connection
        rejectUnauthorized: false,
      });
      sockets.push(sock);
      await new Promise<void>((resolve, reject) => {
        sock.once('secureConnect', () => resolve());
        sock.once('error', reject);
      });
      const cert = sock.getPeerCertificate();
      if (!cert?.raw) throw new Error(`${host}:${port} presented no certificate`);
      return { fingerprint: fingerprintOf(cert.raw), pem: pemOf(cert.raw) };
    };
    return await Promise.race([run(), aborted]);
  } finally {
    // the TLS socket owns the plaintext one's handle: closing both would close it twice
    const outer = sockets.at(-1);
    outer?.on('error', () => undefined);
    outer?.destroy();
  }
}
