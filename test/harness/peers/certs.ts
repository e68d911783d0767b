// Test TLS material, generated at run time with the openssl command line tool.
//
//   selfsigned  self-signed leaf for localhost, 127.0.0.1, ::1 (the "untrusted" and "pinned" cert)
//   ca          a private test CA
//   leaf        leaf signed by the CA, for localhost, 127.0.0.1, ::1, 127.0.0.4
//   expired     leaf signed by the CA, valid 2020-01-01 .. 2021-01-01
//
// P-256 keys: generating them takes milliseconds where RSA takes a good part of a second.
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertFiles {
  /** PEM of the private test CA (trust it with `ca` to accept `leaf` and to see `expired` as expired) */
  ca: string;
  caKey: string;
  /** self-signed certificate for localhost/127.0.0.1/::1; trusted when given as `ca` (pinning) */
  selfSigned: string;
  selfSignedKey: string;
  /** CA-signed leaf for localhost/127.0.0.1/::1/127.0.0.4 */
  leaf: string;
  leafKey: string;
  /** CA-signed leaf that expired on 2021-01-01 */
  expired: string;
  expiredKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 20_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

export async function generateCerts(dir: string): Promise<CertFiles> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const p = (name: string) => join(dir, name);
  const san = 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1';

  await Promise.all([
    openssl(dir, [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'selfsigned.key',
      '-out',
      'selfsigned.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=localhost',
      '-addext',
      san,
    ]),
    openssl(dir, [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=px-accounts Test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    openssl(dir, ['req', ...EC, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost']),
    openssl(dir, [
      'req',
      ...EC,
      '-keyout',
      'expired.key',
      '-out',
      'expired.csr',
      '-subj',
      '/CN=localhost',
      '-addext',
      san,
    ]),
  ]);

  await writeFile(p('leaf.ext'), `${san},IP:127.0.0.4\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  // OpenSSL 3.0's `x509 -req` cannot set a start date in the past: the expired leaf goes through `openssl ca`.
  await mkdir(p('ca-db'), { recursive: true });
  await writeFile(p('ca-db/index.txt'), '');
  await writeFile(p('ca-db/serial'), '1000\n');
  await writeFile(
    p('ca-db/ca.cnf'),
    [
      '[ ca ]',
      'default_ca = testca',
      '[ testca ]',
      `dir = ${p('ca-db')}`,
      'database = $dir/index.txt',
      'serial = $dir/serial',
      'new_certs_dir = $dir',
      'default_md = sha256',
      'policy = pol',
      'copy_extensions = copy',
      'unique_subject = no',
      '[ pol ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );

  await Promise.all([
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      'leaf.ext',
      '-out',
      'leaf.crt',
    ]),
    openssl(dir, [
      'ca',
      '-batch',
      '-config',
      p('ca-db/ca.cnf'),
      '-cert',
      'ca.crt',
      '-keyfile',
      'ca.key',
      '-in',
      'expired.csr',
      '-out',
      'expired.crt',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20210101000000Z',
      '-notext',
    ]),
  ]);

  const files: CertFiles = {
    ca: p('ca.crt'),
    caKey: p('ca.key'),
    selfSigned: p('selfsigned.crt'),
    selfSignedKey: p('selfsigned.key'),
    leaf: p('leaf.crt'),
    leafKey: p('leaf.key'),
    expired: p('expired.crt'),
    expiredKey: p('expired.key'),
  };
  for (const [name, file] of Object.entries(files) as [string, string][])
    await chmod(file, name.endsWith('Key') ? 0o600 : 0o644);
  return files;
}
