/**
 * Talking to mail servers without logging in: does a TLS port answer with a valid certificate
 * and the protocol's greeting, and does a plaintext port offer STARTTLS. Nothing about the
 * person is sent; each exchange is bounded in time and size.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { MailProtocol } from '../types.js';
import { describe } from './http.js';
import { secureContext } from './tls-trust.js';

const MAX_READ = 16 * 1024;

/** What each protocol says first, and how to ask for its capabilities. */
const DIALOG: Record<MailProtocol, { greeting: RegExp; ask: string; done: RegExp; starttls: RegExp }> = {
  imap: {
    greeting: /^\* (OK|PREAUTH)/m,
    ask: 'a CAPABILITY\r\n',
    done: /^a (OK|NO|BAD)/m,
    starttls: /^\* CAPABILITY .*\bSTARTTLS\b/im,
  },
  smtp: { greeting: /^220[ -]/m, ask: 'EHLO px-accounts\r\n', done: /^250 /m, starttls: /^250[ -]STARTTLS\b/im },
  pop3: { greeting: /^\+OK/m, ask: 'CAPA\r\n', done: /^\.\r?$|^-ERR/m, starttls: /^STLS\b/im },
};
const QUIT: Record<MailProtocol, string> = { imap: 'z LOGOUT\r\n', smtp: 'QUIT\r\n', pop3: 'QUIT\r\n' };

/**
 * Reads until `want` matches or the exchange fails; `steps` alternate: wait for a pattern,
 * then write. Resolves with the text read, or rejects with a short reason.
 */
function exchange(
  sock: net.Socket,
  steps: Array<{ wait: RegExp; send?: string }>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let step = 0;
    const finish = (err?: Error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.removeAllListeners('data');
      if (err) {
        sock.destroy();
        reject(err);
      } else {
        resolve(buf);
      }
    };
    const onAbort = () => finish(new Error('cancelled'));
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.setEncoding('latin1');
    sock.on('error', (err: NodeJS.ErrnoException) => finish(new Error(describe(err))));
    sock.on('close', () => finish(new Error('the server closed the connection')));
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_READ) return finish(new Error('the server said too much'));
      while (step < steps.length && steps[step]!.wait.test(buf)) {
        const send = steps[step]!.send;
        step++;
        if (step === steps.length) return finish();
        if (send) sock.write(send);
      }
    });
  });
}

function close(sock: net.Socket, protocol: MailProtocol): void {
  sock.removeAllListeners('close');
  sock.removeAllListeners('error');
  sock.on('error', () => undefined);
  sock.end(QUIT[protocol]);
  sock.destroySoon?.();
  setTimeout(() => sock.destroy(), 1000).unref();
}

/** Connects with TLS to host:port, requires a valid certificate for host and the protocol's greeting. */
export async function tlsGreets(
  protocol: MailProtocol,
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const sock = tls.connect({
    host,
    port,
    servername: net.isIP(host) ? undefined : host,
    rejectUnauthorized: true,
    secureContext: await secureContext(host),
  });
  await exchange(sock, [{ wait: DIALOG[protocol].greeting }], timeoutMs, signal);
  close(sock, protocol);
}

/** Connects in plaintext and asks for the capabilities: true when STARTTLS (STLS) is offered. */
export async function offersStartTls(
  protocol: MailProtocol,
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const d = DIALOG[protocol];
  const sock = net.connect({ host, port });
  const text = await exchange(sock, [{ wait: d.greeting, send: d.ask }, { wait: d.done }], timeoutMs, signal);
  close(sock, protocol);
  return d.starttls.test(text);
}
