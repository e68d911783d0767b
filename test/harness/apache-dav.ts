// A real WebDAV server for the tests: Apache httpd with mod_dav and mod_dav_fs from Debian's
// apache2 package, from a private configuration in a temp dir, on free loopback ports (plain
// HTTP and HTTPS with a certificate of a CA made at run time), Basic auth from an htpasswd file
// (apache2-utils), DAV on one folder. `apache2 -X` is one process: started once per suite,
// stopped by its PID. Needs root (it switches to www-data as Debian's configuration does).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { generateCerts } from './peers/certs.js';
import { freePorts, ProcessGroup, waitUntil } from './peers/proc.js';

const run = promisify(execFile);

export const APACHE_BIN = '/usr/sbin/apache2';
export const APACHE_MODULES = '/usr/lib/apache2/modules';

export interface ApacheDav {
  dir: string;
  user: string;
  password: string;
  /** http://127.0.0.1:<port>/dav/ */
  httpUrl: string;
  /** https://127.0.0.1:<port>/dav/ (certificate signed by `ca`, for localhost, 127.0.0.1, ::1) */
  httpsUrl: string;
  /** the CA that signed the HTTPS certificate (trust it with the protocol's `ca`) */
  ca: string;
  /** a certificate that did not sign the server's (a CA of no use) */
  otherCa: string;
  pid: number;
  stop(): Promise<void>;
}

const MODULES = [
  'mpm_prefork',
  'authz_core',
  'authn_core',
  'authn_file',
  'auth_basic',
  'authz_user',
  'alias',
  'dav',
  'dav_fs',
  'ssl',
  'socache_shmcb',
];

export async function startApacheDav(): Promise<ApacheDav> {
  if (process.getuid?.() !== 0) throw new Error('startApacheDav() needs root (apache2 switches to www-data)');
  if (!existsSync(APACHE_BIN))
    throw new Error(`${APACHE_BIN} is missing: install the Debian package apache2 (scripts/setup.sh does)`);
  const dir = await mkdtemp(join(tmpdir(), 'px-apache-'));
  await chmod(dir, 0o755);
  const group = new ProcessGroup();
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('exit', exitHook);
      await group.stopAll();
      if (!process.env.PX_PEERS_KEEP) await rm(dir, { recursive: true, force: true });
    })());
  const exitHook = () => {
    group.killAllSync();
    if (!process.env.PX_PEERS_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', exitHook);
  try {
    const user = `pxdav-${randomBytes(3).toString('hex')}`;
    const password = randomBytes(15).toString('base64url');
    const [httpPort, httpsPort] = await freePorts(2);
    const certs = await generateCerts(join(dir, 'certs'));
    for (const d of ['run', 'logs', 'lock', 'dav', 'dav/docs', 'www']) await mkdir(join(dir, d), { recursive: true });
    await writeFile(join(dir, 'dav', 'hello.txt'), 'hello from the px-accounts WebDAV test server\n');
    await run('htpasswd', ['-b', '-c', '-B', join(dir, 'htpasswd'), user, password]);
    const www = await run('id', ['-u', 'www-data']).then((r) => Number(r.stdout.trim()));
    const wwwGroup = await run('id', ['-g', 'www-data']).then((r) => Number(r.stdout.trim()));
    await chown(join(dir, 'htpasswd'), userInfo().uid, wwwGroup);
    await chmod(join(dir, 'htpasswd'), 0o640);
    await chmod(certs.leafKey, 0o600);
    for (const d of ['lock', 'dav', 'dav/docs']) await chown(join(dir, d), www, wwwGroup);
    const conf = join(dir, 'apache2.conf');
    await writeFile(
      conf,
      [
        '# Apache with mod_dav for px-accounts tests (generated)',
        ...MODULES.map((m) => `LoadModule ${m}_module ${APACHE_MODULES}/mod_${m}.so`),
        'ServerName localhost',
        `ServerRoot ${dir}`,
        `DefaultRuntimeDir ${dir}/run`,
        `PidFile ${dir}/run/apache2.pid`,
        `Mutex file:${dir}/run default`,
        `ErrorLog ${dir}/logs/error.log`,
        'LogLevel warn',
        // apache2 -X serves one connection at a time: a kept-alive one would hold the next back
        'KeepAlive Off',
        'User www-data',
        'Group www-data',
        `Listen 127.0.0.1:${httpPort}`,
        `Listen 127.0.0.1:${httpsPort}`,
        `DocumentRoot ${dir}/www`,
        `DavLockDB ${dir}/lock/DavLock`,
        'SSLSessionCache none',
        // No trailing slash: /dav (as gvfs asks for a mount root) and /dav/ both reach the folder.
        `Alias /dav ${dir}/dav`,
        `<Directory ${dir}/dav>`,
        '  Dav On',
        '  AuthType Basic',
        '  AuthName "px-accounts WebDAV test"',
        `  AuthUserFile ${dir}/htpasswd`,
        '  Require valid-user',
        '</Directory>',
        `<VirtualHost 127.0.0.1:${httpsPort}>`,
        '  SSLEngine on',
        `  SSLCertificateFile ${certs.leaf}`,
        `  SSLCertificateKeyFile ${certs.leafKey}`,
        '</VirtualHost>',
        '',
      ].join('\n'),
    );
    const proc = group.spawn('apache2', APACHE_BIN, ['-X', '-f', conf], {
      log: join(dir, 'logs', 'apache2.out'),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
    });
    const httpUrl = `http://127.0.0.1:${httpPort}/dav/`;
    await waitUntil('apache2 (PROPFIND)', () => propfindStatus(httpUrl, user, password).then((s) => s === 207), {
      timeoutMs: 15_000,
      proc,
      logs: [proc.log, join(dir, 'logs', 'error.log')],
    });
    return {
      dir,
      user,
      password,
      httpUrl,
      httpsUrl: `https://127.0.0.1:${httpsPort}/dav/`,
      ca: certs.ca,
      otherCa: certs.selfSigned,
      pid: proc.pid,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One PROPFIND (Depth 0) over plain HTTP: the status. */
export function propfindStatus(url: string, user: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'PROPFIND',
        agent: false,
        headers: {
          connection: 'close',
          depth: '0',
          authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64'),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}
