/**
 * The discovery suite's own little internet, inside the network namespace the suite runs in
 * (netns.ts): dnsmasq on 127.0.0.1:53 answering for *.test (A, MX, SRV, TXT), a CA made at run
 * time, an HTTPS and an HTTP server on WEB (autoconfig files, the online ISPDB), a host whose
 * every port accepts and never answers (SILENT), an IMAP server without STARTTLS (NO_TLS), a
 * real Dovecot on MAIL at the standard ports, Radicale on DAV:443 and Exim on EXIM:587/465. Every process is stopped by its PID.
 * What the servers saw is there to wait for: the names asked of dnsmasq (its query log), each
 * answer of the web servers, the connections to SILENT.
 */
import { execFile } from 'node:child_process';
import { promises as dnsp } from 'node:dns';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dovecotConf, eximConf, radicaleConf } from '../harness/peers/configs.js';
import { canConnect, converse, ProcessGroup, waitUntil } from '../harness/peers/proc.js';

const run = promisify(execFile);

export const WEB = '127.0.0.10';
export const SILENT = '127.0.0.11';
export const NO_TLS = '127.0.0.12';
export const MAIL = '127.0.0.20';
/** Radicale (CalDAV and CardDAV) over HTTPS on 443, same users and certificate as Dovecot. */
export const DAV = '127.0.0.21';
/** Exim (SMTP submission: STARTTLS on 587, TLS on 465), same users and certificate. */
export const EXIM = '127.0.0.22';
/**
 * A self-hosted server: the same Dovecot, with a certificate for SELF_HOSTED_NAMES from a CA of
 * its own that the service does not trust (World.reissueSelfHosted replaces it).
 */
export const SELF = '127.0.0.30';
export const SELF_HOSTED_NAMES = ['mail.self.test'];
export const ISPDB_URL = 'https://ispdb.test/v1.1/';

/** One incoming or outgoing server of a config file. */
export interface XmlServer {
  type: 'imap' | 'pop3' | 'smtp';
  host: string;
  port: number;
  socket: 'SSL' | 'STARTTLS' | 'plain';
  username?: string;
}

/** A config-v1.1.xml for `domains`. */
export function configXml(domains: string[], servers: XmlServer[]): string {
  const one = (s: XmlServer) => {
    const tag = s.type === 'smtp' ? 'outgoingServer' : 'incomingServer';
    return `    <${tag} type="${s.type}">
      <hostname>${s.host}</hostname>
      <port>${s.port}</port>
      <socketType>${s.socket}</socketType>
      <username>${s.username ?? '%EMAILADDRESS%'}</username>
      <authentication>password-cleartext</authentication>
    </${tag}>`;
  };
  return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="${domains[0]}">
${domains.map((d) => `    <domain>${d}</domain>`).join('\n')}
    <displayName>${domains[0]}</displayName>
${servers.map(one).join('\n')}
  </emailProvider>
</clientConfig>
`;
}

/**
 * What a web route answers: a body and a status (held back until `heldUntil` resolves: an
 * answer that must come after others), never, a stream of `bytes`, or a redirect.
 */
export type Route =
  | { body: string; status?: number; heldUntil?: (world: World) => Promise<unknown> }
  | { never: true }
  | { bytes: number }
  | { redirect: string };

/** One answer of the web servers, once it ended. */
export interface Answer {
  url: string;
  /** Bytes of the body written. */
  bytes: number;
  /** false: the client closed the connection before the whole answer was written. */
  complete: boolean;
}

export interface Zone {
  /** name → IPv4 */
  hosts: Record<string, string>;
  /** dnsmasq srv-host values: `_imaps._tcp.d,target,port,prio,weight`, or `_submissions._tcp.d` for "not offered" */
  srv: string[];
  /** domain → MX host */
  mx: Record<string, string>;
  /** name → TXT text */
  txt: Record<string, string>;
  /** `https://host/path` or `http://host/path` → what it answers (anything else: 404) */
  web: Record<string, Route>;
}

export interface World {
  dir: string;
  ca: string;
  /** Every request the web servers got, as `https://host/path?query`. */
  requests: string[];
  /** The first answer to `url` (without its query), once it ended: written in full, or cut by the client. */
  answered(url: string): Promise<Answer>;
  /** Every name asked of dnsmasq so far, in order (it is sent a marker of its own and waited for). */
  dnsQueries(): Promise<string[]>;
  /** Resolves once dnsmasq has answered a question for `name`. */
  dnsAnswered(name: string): Promise<void>;
  /** Connections SILENT accepted so far. */
  silentOpened(): number;
  /** Resolves once every connection to SILENT is closed (it never closes one itself). */
  silentIdle(): Promise<void>;
  dovecotLog: string;
  /** A new certificate (and CA) for SELF, which Dovecot serves once it has reloaded; resolves when it is asked to reload. */
  reissueSelfHosted(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts everything; `users` are Dovecot's (name → password). */
export async function startWorld(zone: Zone, users: Record<string, string>): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'pxa-discovery-'));
  await chmod(dir, 0o755);
  const group = new ProcessGroup();
  const closers: Array<() => Promise<void>> = [];
  const requests: string[] = [];
  // routes held back until other things happened are given the world (set once it is complete)
  let world!: World;
  const stop = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    await group.stopAll();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // DNS first: every server below is found through it
    const domains = [...new Set(Object.keys(zone.hosts).map((h) => h.split('.').slice(-2).join('.')))];
    const conf =
      [
        'no-resolv',
        'no-hosts',
        'listen-address=127.0.0.1',
        'bind-interfaces',
        'port=53',
        'local=/test/',
        'user=root',
        'no-negcache',
        'log-queries',
        'log-facility=-',
        ...Object.entries(zone.hosts).map(([h, ip]) => `host-record=${h},${ip}`),
        ...zone.srv.map((s) => `srv-host=${s}`),
        ...Object.entries(zone.mx).map(([d, h]) => `mx-host=${d},${h},10`),
        ...Object.entries(zone.txt).map(([n, t]) => `txt-record=${n},"${t}"`),
        'host-record=ready.test,127.0.0.1',
      ].join('\n') + '\n';
    await writeFile(join(dir, 'dnsmasq.conf'), conf);
    const dnsLog = join(dir, 'dnsmasq.log');
    const dnsmasq = group.spawn(
      'dnsmasq',
      'dnsmasq',
      ['--keep-in-foreground', `--conf-file=${join(dir, 'dnsmasq.conf')}`, '--pid-file='],
      { log: dnsLog },
    );
    const resolver = new dnsp.Resolver({ timeout: 200, tries: 1 });
    resolver.setServers(['127.0.0.1']);
    await waitUntil('dnsmasq', async () => (await resolver.resolve4('ready.test')).includes('127.0.0.1'), {
      timeoutMs: 10_000,
      proc: dnsmasq,
    });
    // its query log: `query[SRV] NAME from 127.0.0.1`, then `config NAME is …` when it answered
    const logged = async (what: string, line: RegExp) =>
      waitUntil(what, async () => line.test(await readFile(dnsLog, 'utf8')), { timeoutMs: 10_000, proc: dnsmasq });
    let markers = 0;
    const dnsQueries = async () => {
      const marker = `marker-${++markers}.test`;
      await resolver.resolve4(marker).catch(() => undefined);
      await logged(`dnsmasq logging ${marker}`, new RegExp(`: query\\[\\w+\\] ${marker.replace(/\./g, '\\.')} `));
      const names = [...(await readFile(dnsLog, 'utf8')).matchAll(/: query\[\w+\] (\S+) from /g)].map((m) => m[1]!);
      return names.slice(0, names.indexOf(marker)).filter((n) => n !== 'ready.test' && !/^marker-\d+\.test$/.test(n));
    };
    const dnsAnswered = (name: string) =>
      logged(`dnsmasq answering ${name}`, new RegExp(`: config ${name.replace(/\./g, '\\.')} is `));

    // one CA and one certificate for every test name (and its subdomains)
    const names = [...new Set([...domains, ...Object.keys(zone.hosts)])];
    const certs = await makeCerts(
      join(dir, 'certs'),
      names.flatMap((n) => [n, `*.${n}`]),
    );

    // the web: HTTPS and HTTP on WEB, routed by Host and path; each answer, once it ended, in `answers`
    const answers = new Map<string, { ended: Promise<Answer>; end: (a: Answer) => void }>();
    const answerOf = (url: string) => {
      let entry = answers.get(url);
      if (!entry) {
        let end!: (a: Answer) => void;
        entry = { ended: new Promise<Answer>((r) => (end = r)), end };
        answers.set(url, entry);
      }
      return entry;
    };
    const handler = (scheme: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
      const url = `${scheme}://${(req.headers.host ?? '').replace(/:\d+$/, '')}${req.url}`;
      requests.push(url);
      const path = url.replace(/\?.*$/, '');
      const route = zone.web[path];
      let bytes = 0;
      res.on('close', () => answerOf(path).end({ url: path, bytes, complete: res.writableFinished }));
      if (!route) {
        res.writeHead(404).end('not here');
      } else if ('redirect' in route) {
        res.writeHead(301, { location: route.redirect }).end();
      } else if ('never' in route) {
        // holds the request open: the client's bound has to end it
      } else if ('bytes' in route) {
        res.writeHead(200, { 'content-type': 'application/xml' });
        const chunk = Buffer.alloc(64 * 1024, 'A');
        let left = route.bytes;
        const pump = () => {
          while (left > 0) {
            left -= chunk.length;
            bytes += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => {
          left = 0;
        });
        res.write('<?xml version="1.0"?><clientConfig><emailProvider><domain>');
        pump();
      } else {
        const answer = () => {
          bytes = Buffer.byteLength(route.body);
          res.writeHead(route.status ?? 200, { 'content-type': 'application/xml' }).end(route.body);
        };
        // what it waits for never happening (its wait gave up) fails the client's request
        if (route.heldUntil) route.heldUntil(world).then(answer, () => res.destroy());
        else answer();
      }
    };
    const web = https.createServer(
      { key: await readFile(certs.key), cert: await readFile(certs.cert) },
      handler('https'),
    );
    const plain = http.createServer(handler('http'));
    for (const [server, port] of [
      [web, 443],
      [plain, 80],
    ] as const) {
      await listen(server, WEB, port);
      closers.push(() => close(server));
    }

    // SILENT: accepts on every port a client might try and says nothing
    const held = new Set<net.Socket>();
    let silentOpened = 0;
    const idle: Array<() => void> = [];
    const silentIdle = () => (held.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve)));
    for (const port of [80, 443, 110, 143, 465, 587, 993, 995]) {
      const server = net.createServer((sock) => {
        held.add(sock);
        silentOpened++;
        sock.on('close', () => {
          held.delete(sock);
          if (held.size === 0) for (const resolve of idle.splice(0)) resolve();
        });
        sock.on('error', () => undefined);
        // read (and drop) what the client says: only then is its close seen, and closed here too
        sock.resume();
      });
      await listen(server, SILENT, port);
      closers.push(async () => {
        for (const s of held) s.destroy();
        await close(server);
      });
    }
    // NO_TLS: an IMAP server that offers no STARTTLS
    const noTls = net.createServer((sock) => {
      sock.on('error', () => undefined);
      sock.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no TLS here\r\n');
      sock.on('data', (d) => {
        const tag = d.toString().split(' ')[0];
        if (/CAPABILITY/i.test(d.toString())) sock.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
        else sock.end(`* BYE\r\n${tag} OK bye\r\n`);
      });
    });
    await listen(noTls, NO_TLS, 143);
    closers.push(() => close(noTls));

    // Dovecot on MAIL: IMAP 143/993, POP3 110/995, submission 587/465, with the test CA's certificate
    const d = join(dir, 'dovecot');
    await mkdir(join(d, 'run'), { recursive: true });
    await mkdir(join(d, 'state'), { recursive: true });
    await chmod(d, 0o755);
    await writeFile(
      join(d, 'users'),
      Object.entries(users)
        .map(([u, p]) => `${u}:${p}\n`)
        .join(''),
      { mode: 0o640 },
    );
    await run('chown', ['root:dovecot', join(d, 'users')]);
    for (const u of Object.keys(users))
      for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(d, 'home', u, 'Maildir', sub), { recursive: true });
    await run('chown', ['-R', 'nobody:nogroup', join(d, 'home')]);
    const dovecotLog = join(dir, 'dovecot.log');
    const all = {
      ca: certs.ca,
      caKey: certs.key,
      selfSigned: certs.cert,
      selfSignedKey: certs.key,
      leaf: certs.cert,
      leafKey: certs.key,
      expired: certs.cert,
      expiredKey: certs.key,
    };
    // SELF: the certificate of a CA nobody here trusts, in files a reissue overwrites
    const stranger = join(dir, 'stranger');
    let issued = 0;
    const issueStranger = async () => {
      const made = await makeCerts(join(stranger, String(++issued)), SELF_HOSTED_NAMES);
      await copyFile(made.cert, join(stranger, 'leaf.pem'));
      await copyFile(made.key, join(stranger, 'leaf.key'));
    };
    await issueStranger();
    await writeFile(
      join(d, 'dovecot.conf'),
      dovecotConf({
        dir: d,
        logFile: dovecotLog,
        certs: all,
        instance: `px-discovery-${process.pid}`,
        listen: [MAIL, SELF],
        ports: { imap: 143, imaps: 993, pop3: 110, pop3s: 995, submission: 587, submissions: 465, relay: 25 },
      }) +
        `\nlocal ${SELF} {\n  ssl_cert = <${join(stranger, 'leaf.pem')}\n  ssl_key = <${join(stranger, 'leaf.key')}\n}\n`,
    );
    const [user, password] = Object.entries(users)[0]!;
    const dovecot = group.spawn('dovecot', 'dovecot', ['-F', '-c', join(d, 'dovecot.conf')], {
      log: join(dir, 'dovecot.out'),
    });
    await waitUntil(
      'dovecot (IMAP login)',
      () =>
        converse({
          host: MAIL,
          port: 143,
          timeoutMs: 1500,
          steps: [
            { expect: /^\* OK/m, send: `a LOGIN "${user}" "${password}"\r\n` },
            { expect: /^a OK/m, fail: /^a (NO|BAD)/m, send: 'b LOGOUT\r\n' },
          ],
        }),
      { timeoutMs: 15_000, proc: dovecot, logs: [dovecot.log, dovecotLog] },
    );

    // Radicale on DAV:443 with the same users
    const r = join(dir, 'radicale');
    await mkdir(r, { recursive: true, mode: 0o700 });
    await writeFile(
      join(r, 'users'),
      Object.entries(users)
        .map(([u, p]) => `${u}:${p}\n`)
        .join(''),
      { mode: 0o600 },
    );
    await writeFile(
      join(r, 'radicale.conf'),
      radicaleConf({
        hosts: [DAV],
        port: 443,
        users: join(r, 'users'),
        collections: join(r, 'collections'),
        tls: { cert: certs.cert, key: certs.key },
      }),
    );
    const radicale = group.spawn('radicale', '/usr/bin/radicale', ['--config', join(r, 'radicale.conf')], {
      log: join(dir, 'radicale.log'),
      env: { ...process.env, HOME: r },
    });
    await waitUntil('radicale', () => canConnect(DAV, 443), { timeoutMs: 15_000, proc: radicale });

    // Exim on EXIM: its connection processes run as Debian-exim and read the key and passwords
    const x = join(dir, 'exim');
    for (const sub of ['spool', 'log', 'tls']) await mkdir(join(x, sub), { recursive: true });
    await copyFile(certs.cert, join(x, 'tls', 'cert.pem'));
    await copyFile(certs.key, join(x, 'tls', 'key.pem'));
    await chmod(join(x, 'tls', 'key.pem'), 0o600);
    await writeFile(
      join(x, 'passwd'),
      Object.entries(users)
        .map(([u, p]) => `${u}: ${p}\n`)
        .join(''),
      { mode: 0o640 },
    );
    await run('chown', ['-R', 'Debian-exim:Debian-exim', join(x, 'spool'), join(x, 'log'), join(x, 'tls')]);
    await run('chown', ['root:Debian-exim', join(x, 'passwd')]);
    const tlsFiles = { cert: join(x, 'tls', 'cert.pem'), key: join(x, 'tls', 'key.pem') };
    const eximCerts = {
      ca: certs.ca,
      caKey: tlsFiles.key,
      selfSigned: tlsFiles.cert,
      selfSignedKey: tlsFiles.key,
      leaf: tlsFiles.cert,
      leafKey: tlsFiles.key,
      expired: tlsFiles.cert,
      expiredKey: tlsFiles.key,
    };
    await writeFile(
      join(x, 'exim.conf'),
      eximConf({ dir: x, certs: eximCerts, ports: { smtp: 587, smtps: 465 }, listen: [EXIM] }),
      { mode: 0o644 },
    );
    const exim = group.spawn('exim', '/usr/sbin/exim4', ['-C', join(x, 'exim.conf'), '-bdf'], {
      log: join(dir, 'exim.out'),
    });
    await waitUntil(
      'exim (SMTP greeting)',
      () => converse({ host: EXIM, port: 587, timeoutMs: 1500, steps: [{ expect: /^220 /m, send: 'QUIT\r\n' }] }),
      { timeoutMs: 15_000, proc: exim, logs: [exim.log, join(x, 'log', 'mainlog'), join(x, 'log', 'paniclog')] },
    );
    const reissueSelfHosted = async () => {
      await issueStranger();
      process.kill(dovecot.pid, 'SIGHUP'); // Dovecot reads its configuration and certificates again
    };
    world = {
      dir,
      ca: certs.ca,
      requests,
      answered: (url) => answerOf(url).ended,
      dnsQueries,
      dnsAnswered,
      silentOpened: () => silentOpened,
      silentIdle,
      dovecotLog,
      reissueSelfHosted,
      stop,
    };
    return world;
  } catch (err) {
    await stop();
    throw err;
  }
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
}

function close(server: net.Server): Promise<void> {
  (server as http.Server).closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A CA and one leaf for `names` (P-256: milliseconds to make). */
async function makeCerts(dir: string, names: string[]): Promise<{ ca: string; cert: string; key: string }> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const o = (args: string[]) => run('openssl', args, { cwd: dir, timeout: 20_000 });
  await o([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=px-accounts discovery test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await o(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=discovery.test']);
  await writeFile(
    join(dir, 'leaf.ext'),
    `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  await o([
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'leaf.ext',
    '-out',
    'leaf.pem',
  ]);
  // Dovecot's processes read the key as root before dropping privileges; the CA is for everyone
  await chmod(join(dir, 'ca.pem'), 0o644);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'leaf.pem'), key: join(dir, 'leaf.key') };
}
