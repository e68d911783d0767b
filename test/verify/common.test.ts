import { strict as assert } from 'node:assert';
import net from 'node:net';

import {
  classifyError,
  describe as describeResult,
  endpoint,
  scrubSecret,
} from '../../src/protocols/common/classify.js';
import { FAILURE_CODES, type Verifier, type VerifySettings } from '../../src/protocols/common/types.js';
import { verifyImap } from '../../src/protocols/imap/verifier.js';
import { verifyPop3 } from '../../src/protocols/pop3/verifier.js';
import { allProtocols } from '../../src/protocols/registry.js';
import { verifySmtp } from '../../src/protocols/smtp/verifier.js';
import type { Peers } from '../harness/peers.js';
import { assertNoSecret, expectCode, LOCAL, openSockets, peers, socketsSettle } from './fixture.js';

/** A one-connection-at-a-time line server for replies no real server gives on demand. */
async function fakeServer(
  onLine: (line: string, sock: net.Socket) => void,
  greeting: string,
): Promise<{ port: number; close: () => Promise<void> }> {
  const conns = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => undefined);
    sock.setEncoding('utf8');
    let buf = '';
    sock.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        onLine(line, sock);
      }
    });
    sock.write(greeting);
  });
  await new Promise<void>((r) => server.listen(0, LOCAL, () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const c of conns) c.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * A server that accepts and never answers: `connected` once a client reached it, `hungUp` once
 * every connection it accepted was closed by the client.
 */
async function silentServer(): Promise<{
  port: number;
  connected: Promise<void>;
  hungUp: Promise<void>;
  close: () => Promise<void>;
}> {
  const open = new Set<net.Socket>();
  let reached: () => void = () => undefined;
  let allClosed: () => void = () => undefined;
  const connected = new Promise<void>((r) => (reached = r));
  const hungUp = new Promise<void>((r) => (allClosed = r));
  const server = net.createServer((sock) => {
    open.add(sock);
    sock.on('error', () => undefined);
    sock.resume(); // read (and drop) what comes, so the client's FIN is seen and the socket closes
    sock.on('close', () => {
      open.delete(sock);
      if (open.size === 0) allClosed();
    });
    reached();
  });
  await new Promise<void>((r) => server.listen(0, LOCAL, () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    connected,
    hungUp: connected.then(() => hungUp),
    close: () =>
      new Promise<void>((r) => {
        for (const c of open) c.destroy();
        server.close(() => r());
      }),
  };
}

describe('verifiers: common behaviour', function () {
  this.timeout(30_000);

  describe('classification (library error shapes, see ENVIRONMENT.md)', () => {
    const cases: Array<[string, unknown, string]> = [
      [
        'imapflow ENOTFOUND',
        Object.assign(new Error('getaddrinfo ENOTFOUND x.invalid'), { code: 'ENOTFOUND' }),
        'HostNotFound',
      ],
      [
        'nodemailer EDNS + originalCode',
        Object.assign(new Error('dns'), { code: 'EDNS', originalCode: 'ENOTFOUND' }),
        'HostNotFound',
      ],
      [
        'nodemailer ESOCKET + ECONNREFUSED',
        Object.assign(new Error('refused'), { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }),
        'ConnectionRefused',
      ],
      [
        'fetch cause.code',
        new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }),
        'ConnectionRefused',
      ],
      [
        'happy eyeballs AggregateError',
        Object.assign(
          new AggregateError([
            Object.assign(new Error('a'), { code: 'ECONNREFUSED' }),
            Object.assign(new Error('b'), { code: 'ECONNREFUSED' }),
          ]),
          { code: 'ECONNREFUSED' },
        ),
        'ConnectionRefused',
      ],
      ['imapflow GREETING_TIMEOUT', Object.assign(new Error('t'), { code: 'GREETING_TIMEOUT' }), 'Timeout'],
      ['nodemailer ETIMEDOUT', Object.assign(new Error('t'), { code: 'ETIMEDOUT' }), 'Timeout'],
      [
        'ssh2 client-timeout',
        Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }),
        'Timeout',
      ],
      ['ECONNRESET', Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'ConnectionFailed'],
      [
        'self-signed',
        Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
        'TlsUntrusted',
      ],
      [
        'nodemailer originalCode expired',
        Object.assign(new Error('x'), { code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED' }),
        'TlsExpired',
      ],
      [
        'text only (wrapped TLS error)',
        Object.assign(new Error('Error initiating TLS - self-signed certificate'), { code: 'ETLS' }),
        'TlsUntrusted',
      ],
      [
        'TLS before network',
        Object.assign(new Error('x'), {
          code: 'ECONNRESET',
          cause: Object.assign(new Error('y'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
        }),
        'TlsUntrusted',
      ],
      [
        'expired before mismatch',
        Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID', cause: { code: 'CERT_HAS_EXPIRED' } }),
        'TlsExpired',
      ],
      [
        'mismatch before untrusted',
        Object.assign(new Error('x'), {
          code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
          cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
        }),
        'TlsHostnameMismatch',
      ],
      [
        'TLS handshake failure',
        Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
        'ConnectionFailed',
      ],
    ];
    for (const [name, err, code] of cases) {
      it(`${name} → ${code}`, () => assert.equal(classifyError(err), code));
    }
    it('an unknown error is left to the verifier (undefined)', () => {
      assert.equal(classifyError(new Error('something else')), undefined);
    });
  });

  describe('messages', () => {
    it('name the protocol and host:port, IPv6 in brackets', () => {
      assert.equal(endpoint('::1', 993), '[::1]:993');
      assert.equal(
        describeResult('IMAP', { host: 'imap.example.org', port: 993 }, 'Unauthorized'),
        'IMAP server imap.example.org:993 rejected the user name or password',
      );
      for (const code of ['Ok', ...FAILURE_CODES] as const) {
        const m = describeResult('SMTP', { host: 'mail.example.org', port: 465 }, code);
        assert.ok(m.includes('SMTP') && m.includes('mail.example.org:465'), m);
      }
    });
    it('scrubSecret removes the secret in every form a library could echo', () => {
      const secret = 'p4ss:wörd/+=';
      const b64 = Buffer.from(secret).toString('base64');
      const sasl = Buffer.from(`\0alice\0${secret}`).toString('base64');
      const out = scrubSecret(`a ${secret} b ${b64} c ${sasl} d ${encodeURIComponent(secret)}`, secret, 'alice');
      assert.ok(
        !out.includes(secret) && !out.includes(b64) && !out.includes(sasl) && !out.includes(encodeURIComponent(secret)),
        out,
      );
      const pem =
        '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ\n-----END OPENSSH PRIVATE KEY-----\n';
      const leaked = scrubSecret('parse error near AAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ', pem);
      assert.ok(!leaked.includes('AAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ'), leaked);
    });
  });

  describe('servers that echo the secret or are busy (fake servers)', () => {
    it('POP3: a -ERR that echoes the password → Unauthorized, scrubbed', async () => {
      const secret = 'echo-me-if-you-dare-42';
      const srv = await fakeServer((line, sock) => {
        if (line.startsWith('USER')) sock.write('+OK\r\n');
        else if (line.startsWith('PASS')) sock.write(`-ERR [AUTH] bad password ${line.slice(5)}\r\n`);
        else if (line === 'QUIT') sock.end('+OK\r\n');
      }, '+OK fake POP3\r\n');
      try {
        const r = await expectCode(
          verifyPop3,
          { host: LOCAL, port: srv.port, security: 'none', username: 'alice' },
          secret,
          'Unauthorized',
        );
        assert.match(r.message, /\*\*\*/);
      } finally {
        await srv.close();
      }
    });
    it('POP3: [SYS/TEMP] → Unavailable', async () => {
      const srv = await fakeServer((line, sock) => {
        if (line.startsWith('USER')) sock.write('+OK\r\n');
        else if (line.startsWith('PASS')) sock.write('-ERR [SYS/TEMP] try again later\r\n');
      }, '+OK fake POP3\r\n');
      try {
        await expectCode(
          verifyPop3,
          { host: LOCAL, port: srv.port, security: 'none', username: 'alice' },
          'whatever-secret',
          'Unavailable',
        );
      } finally {
        await srv.close();
      }
    });
    it('IMAP: a NO that echoes the LOGIN command → Unauthorized, scrubbed', async () => {
      const secret = 'imap-echo-secret-7';
      const srv = await fakeServer((line, sock) => {
        const [tag, cmd] = line.split(' ');
        if (cmd?.toUpperCase() === 'LOGIN') sock.write(`${tag} NO [AUTHENTICATIONFAILED] no such login: ${line}\r\n`);
        else if (cmd?.toUpperCase() === 'LOGOUT') sock.end(`* BYE\r\n${tag} OK\r\n`);
        else sock.write(`${tag} BAD unknown\r\n`);
      }, '* OK [CAPABILITY IMAP4rev1] fake IMAP\r\n');
      try {
        const r = await expectCode(
          verifyImap,
          { host: LOCAL, port: srv.port, security: 'none', username: 'alice' },
          secret,
          'Unauthorized',
        );
        assert.match(r.message, /LOGIN "alice" "\*\*\*"/);
      } finally {
        await srv.close();
      }
    });
    it('IMAP: NO [UNAVAILABLE] → Unavailable', async () => {
      const srv = await fakeServer((line, sock) => {
        const [tag, cmd] = line.split(' ');
        if (cmd?.toUpperCase() === 'LOGIN') sock.write(`${tag} NO [UNAVAILABLE] Temporary authentication failure\r\n`);
        else sock.write(`${tag} BAD unknown\r\n`);
      }, '* OK [CAPABILITY IMAP4rev1] fake IMAP\r\n');
      try {
        await expectCode(
          verifyImap,
          { host: LOCAL, port: srv.port, security: 'none', username: 'alice' },
          'some-secret-1',
          'Unavailable',
        );
      } finally {
        await srv.close();
      }
    });
    it('SMTP: 421 greeting → Unavailable', async () => {
      const srv = await fakeServer(() => undefined, '421 fake.example Service not available, too busy\r\n');
      try {
        await expectCode(
          verifySmtp,
          { host: LOCAL, port: srv.port, security: 'none', username: 'alice' },
          'some-secret-2',
          'Unavailable',
        );
      } finally {
        await srv.close();
      }
    });
  });

  describe('with the real servers', () => {
    let p: Peers;
    let baseline: number;
    /** The verifier of every built-in protocol, loaded as the verifier thread loads them. */
    const verifiers: Record<string, Verifier> = {};
    before(async () => {
      p = await peers();
      for (const plugin of allProtocols()) if (plugin.loadVerifier) verifiers[plugin.id] = await plugin.loadVerifier();
      baseline = await socketsSettle(0, 500);
    });

    /** Settings for every verifier against a server that accepts and never answers (the run's, or `port`). */
    const silentSettings = (port = p.ports.silent): Record<string, VerifySettings> => ({
      imap: { host: LOCAL, port, security: 'tls', username: 'u' },
      smtp: { host: LOCAL, port, security: 'starttls', username: 'u' },
      pop3: { host: LOCAL, port, security: 'none', username: 'u' },
      caldav: { host: LOCAL, port, security: 'none', username: 'u' },
      carddav: { host: LOCAL, port, security: 'tls', username: 'u' },
      webdav: { host: LOCAL, port, security: 'tls', username: 'u' },
      sftp: { host: LOCAL, port, security: 'none', username: 'u' },
      ftp: { host: LOCAL, port, security: 'tls', username: 'u' },
      proxy: { host: LOCAL, port, type: 'http', security: 'none', username: 'u' },
      openvpn: {
        host: LOCAL,
        port,
        security: 'tls',
        username: 'u',
        auth: 'password',
        remotes: `${LOCAL} ${port} tcp-client`,
        ca: Buffer.from(p.vpn!.ca.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64'),
        options: '',
      },
    });

    it('every built-in protocol has a verifier, and this suite covers each', () => {
      const ids = allProtocols()
        .filter((x) => x.verifier.thread)
        .map((x) => x.id)
        .sort();
      assert.deepEqual(Object.keys(verifiers).sort(), ids);
      assert.deepEqual(Object.keys(silentSettings()).sort(), ids);
    });

    it('every verifier times out on a silent server within timeoutMs + 1 s, all at once', async () => {
      const s = silentSettings();
      await Promise.all(
        Object.entries(verifiers).map(([name, verify]) =>
          expectCode(verify, s[name]!, 'silent-secret', 'Timeout', { timeoutMs: 800 }),
        ),
      );
    });

    it("the caller's signal cancels an attempt (Unknown, 'cancelled', not its Timeout) and the verifier hangs up", async () => {
      await Promise.all(
        Object.entries(verifiers).map(async ([name, verify]) => {
          const server = await silentServer();
          try {
            const ac = new AbortController();
            // Aborted once the attempt has reached the server, which never answers: only the abort can end it.
            void server.connected.then(() => ac.abort());
            const r = await verify(silentSettings(server.port)[name]!, 'cancel-secret', {
              timeoutMs: 20_000,
              signal: ac.signal,
            });
            assert.equal(r.code, 'Unknown', `${name}: ${r.message}`);
            assert.match(r.message, /cancelled/);
            await server.hungUp;
          } finally {
            await server.close();
          }
        }),
      );
    });

    it('an AbortSignal.timeout() of the caller counts as Timeout', async () => {
      const caldav = silentSettings().caldav;
      assert.ok(caldav);
      const r = await verifiers.caldav!(caldav, 'x-secret', {
        timeoutMs: 10_000,
        signal: AbortSignal.timeout(200),
      });
      assert.equal(r.code, 'Timeout', r.message);
    });

    it('an already aborted signal resolves immediately', async () => {
      const r = await verifiers.imap!(
        { host: LOCAL, port: p.ports.imap, security: 'none', username: p.user },
        p.password,
        { timeoutMs: 5000, signal: AbortSignal.abort() },
      );
      assert.equal(r.code, 'Unknown');
    });

    it('invalid settings resolve as Unknown, never reject', async () => {
      const bad: Array<Partial<VerifySettings> | null> = [
        null,
        { host: '', port: 993, security: 'tls', username: 'u' },
        { host: LOCAL, port: 0, security: 'tls', username: 'u' },
        { host: LOCAL, port: 70000, security: 'tls', username: 'u' },
        { host: LOCAL, port: 993, security: 'ssl' as never, username: 'u' },
      ];
      for (const [name, verify] of Object.entries(verifiers)) {
        for (const s of bad) {
          const r = await verify(s as VerifySettings, 'invalid-secret', { timeoutMs: 1000 });
          assert.equal(r.code, 'Unknown', `${name} ${JSON.stringify(s)}: ${r.message}`);
          assertNoSecret(r.message, 'invalid-secret');
        }
      }
    });

    it('leaves no socket open', async () => {
      const left = await socketsSettle(baseline);
      assert.ok(left <= baseline, `${left} sockets open, ${baseline} before the tests (now ${openSockets()})`);
    });
  });
});
