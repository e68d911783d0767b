// Real servers on loopback for protocol tests: Dovecot (IMAP, POP3, submission), Exim (SMTP),
// Radicale (CalDAV/CardDAV over HTTP and HTTPS), sshd (SFTP), ProFTPD (FTPS) and timeout peers.
//
// Everything lives in a fresh temp dir: TLS material and credentials are generated per run,
// ports are chosen free per run (or PX_PEERS_BASE_PORT, PX_PEERS_BASE_PORT+1, …), every process
// is recorded by PID and stopped by PID. PX_PEERS_KEEP=1 keeps the temp dir (logs) after stop().
//
// Needs root and the Debian packages dovecot-imapd dovecot-pop3d dovecot-submissiond
// exim4-daemon-light radicale openssh-server proftpd-core proftpd-mod-crypto openssl (and /usr/bin/python3).
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { generateCerts, type CertFiles } from './peers/certs.js';
import {
  ADDR,
  BLACKHOLE_PY,
  danteConf,
  dovecotConf,
  dovecotOAuth2Conf,
  eximConf,
  proftpdConf,
  radicaleConf,
  sshdConfig,
  tinyproxyConf,
} from './peers/configs.js';
import { startOpenVpn, type VpnPeer } from './peers/openvpn.js';
import { canConnect, converse, freePorts, ProcessGroup, waitUntil } from './peers/proc.js';

const run = promisify(execFile);

export type PeerName =
  'dovecot' | 'exim' | 'radicale' | 'sshd' | 'proftpd' | 'tinyproxy' | 'dante' | 'openvpn' | 'blackhole';
export const ALL_PEERS: readonly PeerName[] = [
  'dovecot',
  'exim',
  'radicale',
  'sshd',
  'proftpd',
  'tinyproxy',
  'dante',
  'openvpn',
  'blackhole',
];

export interface PeerPorts {
  /** Dovecot IMAP, plain + STARTTLS (143-style) */
  imap: number;
  /** Dovecot IMAP, implicit TLS (993-style) */
  imaps: number;
  /** Dovecot POP3, plain + STLS (110-style) */
  pop3: number;
  /** Dovecot POP3, implicit TLS (995-style) */
  pop3s: number;
  /** Dovecot submission, plain + STARTTLS (587-style; relays to a closed port, fine for AUTH checks) */
  submission: number;
  /** Dovecot submission, implicit TLS (465-style) */
  submissions: number;
  /** Exim SMTP submission with STARTTLS (587-style) */
  smtp: number;
  /** Exim SMTP, implicit TLS (465-style) */
  smtps: number;
  /** Radicale over plain HTTP on 127.0.0.1 and ::1 */
  http: number;
  /** Radicale over HTTPS: self-signed on 127.0.0.1, ::1 and 127.0.0.3 (mismatch), expired on 127.0.0.2 */
  https: number;
  /** sshd (SFTP only) on 127.0.0.1 and ::1 */
  ssh: number;
  /** ProFTPD on 127.0.0.1, explicit FTPS (AUTH TLS required; plain login refused), self-signed certificate */
  ftp: number;
  /** ProFTPD on 127.0.0.1, implicit FTPS, self-signed certificate */
  ftps: number;
  /** tinyproxy on 127.0.0.1: HTTP proxy with basic auth (proxyUser / proxyPassword) */
  httpProxy: number;
  /** Dante on 127.0.0.1: SOCKS5 with user name/password of the system user (sftpUser / sftpPassword) */
  socks: number;
  /** 127.0.0.1: accepts connections and never says a word */
  silent: number;
  /** 127.0.0.1: full accept queue, SYNs are dropped (TCP connect times out) */
  synDrop: number;
  /** a port nothing listens on (connection refused) */
  closed: number;
}

export interface Peers {
  /** the run's temp dir (configs, logs under logs/, TLS material under certs/) */
  dir: string;
  /** account of the mail and DAV servers (Dovecot, Exim, Radicale) */
  user: string;
  password: string;
  ports: PeerPorts;
  /**
   * Loopback addresses by the certificate their TLS listeners present (Dovecot and Exim on all
   * of them; Radicale HTTPS on selfSigned, expired and mismatch).
   */
  hosts: typeof ADDR;
  /** PEM files (paths): `ca` is the test CA (signs `leaf` and `expired`); `selfSigned` can be pinned as a CA */
  certs: { ca: string; selfSigned: string; leaf: string; expired: string };
  /** an IMAP folder that exists besides INBOX */
  imapFolder: string;
  /** system user of the sshd peer (created for this run, deleted by stop()) */
  sftpUser: string;
  sftpPassword: string;
  /** OpenSSH private key (PEM, unencrypted ed25519) whose public half is authorized */
  sftpKey: string;
  sftpPublicKey: string;
  /** the sshd host key as OpenSSH prints it: 'SHA256:<base64 without padding>' */
  sftpHostKey: string;
  /** a directory the SFTP user can list (also its home, the default directory) */
  sftpDir: string;
  /** virtual FTP user of the ProFTPD peers (a user file, no system account); its home holds `docs/` */
  ftpUser: string;
  ftpPassword: string;
  /** basic-auth credentials of the HTTP proxy peer */
  proxyUser: string;
  proxyPassword: string;
  /** the OpenVPN servers and their PKI (undefined unless the openvpn peer runs) */
  vpn: VpnPeer | undefined;
  /** which peers run, and their PIDs */
  started: PeerName[];
  pids: Record<string, number>;
  /** stops every process by PID, deletes the SFTP user and the temp dir; idempotent */
  stop(): Promise<void>;
}

const live = new Set<{ group: ProcessGroup; cleanupSync: () => void }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const entry of live) {
      entry.group.killAllSync();
      entry.cleanupSync();
    }
  });
}

const SFTP_USER_RE = /^pxsftp-[0-9a-f]{6}$/;

/**
 * Starts the given peers (default: all) and resolves once each one really serves. Ports are
 * picked free at run time; should one be taken in the moment between picking and binding
 * (another run, an outgoing connection), everything is stopped and started again on new ports.
 */
export interface PeerOptions {
  /** Dovecot also accepts OAuth2 tokens, introspected at this URL (http://ID:SECRET@HOST:PORT/PATH). */
  oauth2IntrospectionUrl?: string;
}

export async function startPeers(which: readonly PeerName[] = ALL_PEERS, options: PeerOptions = {}): Promise<Peers> {
  if (process.getuid?.() !== 0) throw new Error('startPeers() needs root (dovecot, exim and sshd are started as root)');
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPeersOnce(which, options);
    } catch (err) {
      const inUse = err instanceof Error && /address already in use|EADDRINUSE/i.test(err.message);
      if (!inUse || attempt >= 3 || process.env.PX_PEERS_BASE_PORT) throw err;
    }
  }
}

async function startPeersOnce(which: readonly PeerName[], options: PeerOptions): Promise<Peers> {
  const want = new Set(which);
  const dir = await mkdtemp(join(tmpdir(), 'px-peers-'));
  // the dovecot auth process (user dovecot), exim (Debian-exim) and sshd (reading authorized_keys
  // as the SFTP user) need +x on every directory on the way; secrets stay in 0600/0640 files.
  await chmod(dir, 0o755);
  const logs = join(dir, 'logs');
  await mkdir(logs, { mode: 0o700 });

  const group = new ProcessGroup();
  const hex = randomBytes(3).toString('hex');
  const user = `pxuser-${hex}`;
  const password = randomBytes(15).toString('base64url');
  const sftpUser = `pxsftp-${hex}`;
  const sftpPassword = randomBytes(15).toString('base64url');
  let sftpUserCreated = false;

  const [
    imap,
    imaps,
    pop3,
    pop3s,
    submission,
    submissions,
    relay,
    smtp,
    smtps,
    http,
    https,
    ssh,
    silent,
    synDrop,
    closed,
    ftp,
    ftps,
    httpProxy,
    socks,
    vpnPassword,
    vpnCert,
  ] = await freePorts(21);
  const ports: PeerPorts = {
    imap: imap!,
    imaps: imaps!,
    pop3: pop3!,
    pop3s: pop3s!,
    submission: submission!,
    submissions: submissions!,
    smtp: smtp!,
    smtps: smtps!,
    http: http!,
    https: https!,
    ssh: ssh!,
    silent: silent!,
    synDrop: synDrop!,
    closed: closed!,
    ftp: ftp!,
    ftps: ftps!,
    httpProxy: httpProxy!,
    socks: socks!,
  };

  let stopping: Promise<void> | undefined;
  const cleanupSync = () => {
    if (sftpUserCreated) {
      try {
        execFileSync('userdel', [sftpUser], { stdio: 'ignore' });
      } catch {
        /* gone */
      }
      sftpUserCreated = false;
    }
    if (!process.env.PX_PEERS_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  const entry = { group, cleanupSync };
  live.add(entry);
  installExitHook();

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await group.stopAll();
      if (sftpUserCreated) {
        await retry(() => run('userdel', [sftpUser])).catch(() => undefined);
        sftpUserCreated = false;
      }
      if (!process.env.PX_PEERS_KEEP) await rm(dir, { recursive: true, force: true });
      live.delete(entry);
    })();
    return stopping;
  };

  const peers: Peers = {
    dir,
    user,
    password,
    ports,
    hosts: ADDR,
    certs: { ca: '', selfSigned: '', leaf: '', expired: '' },
    imapFolder: 'Archive',
    sftpUser: want.has('sshd') || want.has('dante') ? sftpUser : '',
    sftpPassword: want.has('sshd') || want.has('dante') ? sftpPassword : '',
    sftpKey: '',
    sftpPublicKey: '',
    sftpHostKey: '',
    sftpDir: '',
    ftpUser: `pxftp-${hex}`,
    ftpPassword: randomBytes(15).toString('base64url'),
    proxyUser: `pxproxy-${hex}`,
    proxyPassword: randomBytes(15).toString('base64url'),
    vpn: undefined,
    started: [],
    pids: {},
    stop,
  };

  try {
    const needCerts = want.has('dovecot') || want.has('exim') || want.has('radicale') || want.has('proftpd');
    const certs = needCerts ? await generateCerts(join(dir, 'certs')) : undefined;
    if (certs) peers.certs = { ca: certs.ca, selfSigned: certs.selfSigned, leaf: certs.leaf, expired: certs.expired };

    // sshd and Dante authenticate the same system user.
    if (want.has('sshd') || want.has('dante')) await createSystemUser();
    const starters: Array<Promise<void>> = [];
    if (want.has('dovecot')) starters.push(startDovecot());
    if (want.has('exim')) starters.push(startExim());
    if (want.has('radicale')) starters.push(startRadicale());
    if (want.has('sshd')) starters.push(startSshd());
    if (want.has('proftpd')) starters.push(startProftpd());
    if (want.has('tinyproxy')) starters.push(startTinyproxy());
    if (want.has('dante')) starters.push(startDante());
    if (want.has('openvpn')) {
      starters.push(
        startOpenVpn(
          join(dir, 'openvpn'),
          logs,
          { password: vpnPassword!, cert: vpnCert! },
          () => randomBytes(15).toString('base64url'),
          group,
        ).then((vpn) => {
          peers.vpn = vpn;
          peers.started.push('openvpn');
        }),
      );
    }
    if (want.has('blackhole')) starters.push(startBlackhole());
    const results = await Promise.allSettled(starters);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length)
      throw new Error(
        failed.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n---\n'),
      );
    for (const p of group.procs) peers.pids[p.name] = p.pid;
    return peers;

    // --- the peers ------------------------------------------------------------------------

    async function startDovecot(): Promise<void> {
      const d = join(dir, 'dovecot');
      await mkdir(join(d, 'run'), { recursive: true });
      await mkdir(join(d, 'state'), { recursive: true });
      await chmod(d, 0o755);
      // the passdb is read by the auth process, which runs as user dovecot
      await writeFile(join(d, 'users'), `${user}:${password}\n`, { mode: 0o640 });
      await chownByName(join(d, 'users'), 'root', 'dovecot');
      // mail processes run as nobody; the Maildir with one extra folder exists from the start
      const maildir = join(d, 'home', user, 'Maildir');
      for (const sub of [
        'cur',
        'new',
        'tmp',
        `.${peers.imapFolder}/cur`,
        `.${peers.imapFolder}/new`,
        `.${peers.imapFolder}/tmp`,
      ]) {
        await mkdir(join(maildir, sub), { recursive: true });
      }
      await run('chown', ['-R', 'nobody:nogroup', join(d, 'home')]);
      const conf = join(d, 'dovecot.conf');
      const log = join(logs, 'dovecot.log');
      if (options.oauth2IntrospectionUrl) {
        // holds the introspection client's secret: readable by the auth process only
        await writeFile(join(d, 'oauth2.conf.ext'), dovecotOAuth2Conf(options.oauth2IntrospectionUrl), { mode: 0o640 });
        await chownByName(join(d, 'oauth2.conf.ext'), 'root', 'dovecot');
      }
      await writeFile(
        conf,
        dovecotConf({
          dir: d,
          logFile: log,
          certs: certs!,
          instance: `px-test-${hex}`,
          oauth2: !!options.oauth2IntrospectionUrl,
          ports: {
            imap: ports.imap,
            imaps: ports.imaps,
            pop3: ports.pop3,
            pop3s: ports.pop3s,
            submission: ports.submission,
            submissions: ports.submissions,
            relay: relay!,
          },
        }),
      );
      const proc = group.spawn('dovecot', 'dovecot', ['-F', '-c', conf], { log: join(logs, 'dovecot.out') });
      await waitUntil(
        'dovecot (IMAP login)',
        () =>
          converse({
            host: '127.0.0.1',
            port: ports.imap,
            timeoutMs: 1500,
            steps: [
              { expect: /^\* OK/m, send: `a LOGIN "${user}" "${password}"\r\n` },
              { expect: /^a OK/m, fail: /^a (NO|BAD)/m, send: 'b LOGOUT\r\n' },
            ],
          }),
        { timeoutMs: 15_000, proc, logs: [proc.log, log] },
      );
      peers.started.push('dovecot');
    }

    async function startExim(): Promise<void> {
      const d = join(dir, 'exim');
      for (const sub of ['spool', 'log', 'tls']) await mkdir(join(d, sub), { recursive: true });
      // connections are served by children running as Debian-exim: it reads the keys and the
      // password file, and writes spool and log
      const own: CertFiles = { ...certs! };
      for (const k of Object.keys(own) as Array<keyof CertFiles>) {
        if (k === 'caKey') continue;
        own[k] = join(d, 'tls', k + '.pem');
        await copyFile(certs![k], own[k]);
        await chmod(own[k], 0o600);
      }
      await writeFile(join(d, 'passwd'), `${user}: ${password}\n`, { mode: 0o640 });
      await run('chown', ['-R', 'Debian-exim:Debian-exim', join(d, 'spool'), join(d, 'log'), join(d, 'tls')]);
      await chownByName(join(d, 'passwd'), 'root', 'Debian-exim');
      const conf = join(d, 'exim.conf');
      await writeFile(conf, eximConf({ dir: d, certs: own, ports: { smtp: ports.smtp, smtps: ports.smtps } }), {
        mode: 0o644,
      });
      const proc = group.spawn('exim', '/usr/sbin/exim4', ['-C', conf, '-bdf'], { log: join(logs, 'exim.out') });
      await waitUntil(
        'exim (SMTP greeting)',
        () =>
          converse({
            host: '127.0.0.1',
            port: ports.smtp,
            timeoutMs: 1500,
            steps: [{ expect: /^220 /m, send: 'QUIT\r\n' }],
          }),
        { timeoutMs: 15_000, proc, logs: [proc.log, join(d, 'log', 'mainlog'), join(d, 'log', 'paniclog')] },
      );
      peers.started.push('exim');
    }

    async function startRadicale(): Promise<void> {
      const d = join(dir, 'radicale');
      await mkdir(d, { recursive: true, mode: 0o700 });
      await writeFile(join(d, 'users'), `${user}:${password}\n`, { mode: 0o600 });
      const instances = [
        { name: 'radicale-http', hosts: ['127.0.0.1', '::1'], port: ports.http },
        {
          name: 'radicale-https',
          hosts: ['127.0.0.1', '::1', ADDR.mismatch],
          port: ports.https,
          tls: { cert: certs!.selfSigned, key: certs!.selfSignedKey },
        },
        {
          name: 'radicale-https-expired',
          hosts: [ADDR.expired],
          port: ports.https,
          tls: { cert: certs!.expired, key: certs!.expiredKey },
        },
      ];
      await Promise.all(
        instances.map(async (inst) => {
          const conf = join(d, `${inst.name}.conf`);
          await writeFile(
            conf,
            radicaleConf({
              hosts: inst.hosts,
              port: inst.port,
              users: join(d, 'users'),
              collections: join(d, `${inst.name}-collections`),
              ...(inst.tls ? { tls: inst.tls } : {}),
            }),
          );
          const proc = group.spawn(inst.name, '/usr/bin/radicale', ['--config', conf], {
            log: join(logs, `${inst.name}.log`),
            env: { ...process.env, HOME: d },
          });
          for (const host of inst.hosts) {
            await waitUntil(`${inst.name} (${host}:${inst.port})`, () => canConnect(host, inst.port), {
              timeoutMs: 15_000,
              proc,
            });
          }
        }),
      );
      peers.started.push('radicale');
    }

    async function startSshd(): Promise<void> {
      const d = join(dir, 'sshd');
      const home = join(dir, 'sftp-home');
      await mkdir(join(d, 'authorized_keys'), { recursive: true });
      await chmod(d, 0o755);
      await mkdir(join(home, 'docs'), { recursive: true });
      await writeFile(join(home, 'hello.txt'), 'hello from the px-accounts test peer\n');
      await run('chown', ['-R', `${sftpUser}:`, home]);
      await chmod(home, 0o755);
      await Promise.all([
        run('ssh-keygen', [
          '-q',
          '-t',
          'ed25519',
          '-N',
          '',
          '-C',
          'px-test-host',
          '-f',
          join(d, 'ssh_host_ed25519_key'),
        ]),
        run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'px-test-client', '-f', join(d, 'client_key')]),
      ]);
      const pub = (await readFile(join(d, 'client_key.pub'), 'utf8')).trim();
      await writeFile(join(d, 'authorized_keys', sftpUser), pub + '\n', { mode: 0o644 });
      const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(d, 'ssh_host_ed25519_key.pub')]);
      const fp = /SHA256:[A-Za-z0-9+/]+/.exec(stdout)?.[0];
      if (!fp) throw new Error(`cannot read the host key fingerprint: ${stdout}`);
      peers.sftpKey = await readFile(join(d, 'client_key'), 'utf8');
      peers.sftpPublicKey = pub;
      peers.sftpHostKey = fp;
      peers.sftpDir = home;
      await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
      const conf = join(d, 'sshd_config');
      await writeFile(conf, sshdConfig({ dir: d, port: ports.ssh, user: sftpUser }));
      const proc = group.spawn('sshd', '/usr/sbin/sshd', ['-D', '-e', '-f', conf], { log: join(logs, 'sshd.log') });
      await waitUntil(
        'sshd (banner)',
        () =>
          converse({
            host: '127.0.0.1',
            port: ports.ssh,
            timeoutMs: 1500,
            steps: [{ expect: /^SSH-2\.0-/m }],
          }),
        { timeoutMs: 15_000, proc },
      );
      peers.started.push('sshd');
    }

    async function createSystemUser(): Promise<void> {
      await sweepStaleSftpUsers();
      await retry(() =>
        run('useradd', ['-M', '-d', join(dir, 'sftp-home'), '-s', '/bin/sh', '-c', 'px-accounts test peer', sftpUser]),
      );
      sftpUserCreated = true;
      await retry(() => runWithInput('chpasswd', [], `${sftpUser}:${sftpPassword}\n`));
    }

    async function startTinyproxy(): Promise<void> {
      const conf = join(dir, 'tinyproxy.conf');
      await writeFile(
        conf,
        tinyproxyConf({
          port: ports.httpProxy,
          user: peers.proxyUser,
          password: peers.proxyPassword,
          connectPort: ports.closed,
          also: [
            ports.imap,
            ports.imaps,
            ports.pop3,
            ports.pop3s,
            ports.submission,
            ports.submissions,
            ports.smtp,
            ports.smtps,
            ports.http,
            ports.https,
            ports.ssh,
          ],
        }),
        { mode: 0o644 },
      );
      const proc = group.spawn('tinyproxy', '/usr/bin/tinyproxy', ['-d', '-c', conf], {
        log: join(logs, 'tinyproxy.log'),
      });
      await waitUntil('tinyproxy', () => canConnect('127.0.0.1', ports.httpProxy), { timeoutMs: 15_000, proc });
      peers.started.push('tinyproxy');
    }

    async function startDante(): Promise<void> {
      const conf = join(dir, 'danted.conf');
      await writeFile(conf, danteConf({ port: ports.socks, log: join(logs, 'danted.log') }));
      const proc = group.spawn('danted', '/usr/sbin/danted', ['-f', conf], { log: join(logs, 'danted.out') });
      await waitUntil('danted', () => canConnect('127.0.0.1', ports.socks), { timeoutMs: 15_000, proc });
      peers.started.push('dante');
    }

    async function startProftpd(): Promise<void> {
      const d = join(dir, 'proftpd');
      const home = join(d, 'home');
      await mkdir(join(home, 'docs'), { recursive: true });
      await run('chown', ['-R', 'nobody:nogroup', home]);
      await chmod(d, 0o755);
      const users = join(d, 'users');
      await runWithInput(
        'ftpasswd',
        [
          '--passwd',
          `--file=${users}`,
          `--name=${peers.ftpUser}`,
          '--uid=65534',
          '--gid=65534',
          `--home=${home}`,
          '--shell=/bin/false',
          '--sha512',
          '--stdin',
        ],
        peers.ftpPassword,
      );
      await chmod(users, 0o600);
      await Promise.all(
        [
          { name: 'proftpd-explicit', port: ports.ftp, implicit: false },
          { name: 'proftpd-implicit', port: ports.ftps, implicit: true },
        ].map(async (inst) => {
          const conf = join(d, `${inst.name}.conf`);
          await writeFile(
            conf,
            proftpdConf({
              dir: d,
              name: inst.name,
              port: inst.port,
              users,
              cert: certs!.selfSigned,
              key: certs!.selfSignedKey,
              implicit: inst.implicit,
            }),
          );
          const proc = group.spawn(inst.name, '/usr/sbin/proftpd', ['-n', '-q', '-c', conf], {
            log: join(logs, `${inst.name}.log`),
          });
          await waitUntil(`${inst.name} (127.0.0.1:${inst.port})`, () => canConnect('127.0.0.1', inst.port), {
            timeoutMs: 15_000,
            proc,
          });
        }),
      );
      peers.started.push('proftpd');
    }

    async function startBlackhole(): Promise<void> {
      const script = join(dir, 'blackhole.py');
      await writeFile(script, BLACKHOLE_PY);
      const log = join(logs, 'blackhole.log');
      // /usr/bin/python3 on purpose: the python3 on PATH may be another installation
      const proc = group.spawn(
        'blackhole',
        '/usr/bin/python3',
        ['-u', script, String(ports.silent), String(ports.synDrop)],
        { log },
      );
      await waitUntil(
        'blackhole',
        async () => existsSync(log) && readFileSync(log, 'utf8').includes('blackhole ready'),
        { timeoutMs: 10_000, proc },
      );
      peers.started.push('blackhole');
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

async function chownByName(file: string, user: string, group: string): Promise<void> {
  const uid = Number((await run('id', ['-u', user])).stdout.trim());
  const gid = Number((await run('getent', ['group', group])).stdout.split(':')[2]);
  await chown(file, uid, gid);
}

function runWithInput(cmd: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, (err, _stdout, stderr) =>
      err ? reject(new Error(`${cmd}: ${stderr || err.message}`)) : resolve(),
    );
    child.stdin?.end(input);
  });
}

/** useradd/userdel/chpasswd fail while another run holds the lock on /etc/passwd: try again. */
async function retry<T>(fn: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Deletes SFTP users of earlier runs that ended without stop() (their home, in a temp dir, is gone). */
async function sweepStaleSftpUsers(): Promise<void> {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return;
  }
  for (const line of passwd.split('\n')) {
    const [name, , , , , home] = line.split(':');
    if (name && SFTP_USER_RE.test(name) && home && !existsSync(home)) {
      await run('userdel', [name]).catch(() => undefined);
    }
  }
}

export { startLatencyProxy, type LatencyProxy } from './peers/latency.js';
