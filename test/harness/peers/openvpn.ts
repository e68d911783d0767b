// OpenVPN test servers: a PKI made at run time (CA, server, client with a plain and an
// encrypted key, and an unrelated CA), a tls-crypt key, and two servers over TCP on loopback:
//   password  client certificate AND user name/password (auth-user-pass-verify script)
//   cert      client certificate only
// They run as root in this machine's network namespace, where each adds a bare tun device (no
// address, no route: ifconfig-noexec, route-noexec) until it stops.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { canConnect, waitUntil, type ProcessGroup } from './proc.js';

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface VpnPeer {
  /** TCP port of the server that wants a certificate and a password */
  passwordPort: number;
  /** TCP port of the server that wants a certificate only */
  certPort: number;
  user: string;
  password: string;
  /** passphrase of `clientKeyEncrypted` */
  keyPassphrase: string;
  /** PEM texts */
  ca: string;
  otherCa: string;
  clientCert: string;
  clientKey: string;
  clientKeyEncrypted: string;
  tlsCrypt: string;
  /** the CN the server certificate carries */
  serverName: string;
  /** directory with ca.crt, client.crt, client.key, tc.key (for profiles naming files) */
  dir: string;
}

async function openssl(cwd: string, args: string[], input?: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile('openssl', args, { cwd, timeout: 20_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`openssl ${args[0]}: ${stderr || err.message}`)) : resolve(),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function startOpenVpn(
  dir: string,
  logs: string,
  ports: { password: number; cert: number },
  secret: () => string,
  group: ProcessGroup,
): Promise<VpnPeer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const user = 'vpnuser';
  const password = secret();
  const keyPassphrase = secret();
  const ext = (usage: string) =>
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=${usage}\n`;
  await writeFile(join(dir, 'server.ext'), ext('serverAuth'));
  await writeFile(join(dir, 'client.ext'), ext('clientAuth'));
  await Promise.all([
    openssl(dir, [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '30',
      '-subj',
      '/CN=px-accounts test VPN CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    openssl(dir, [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'other-ca.key',
      '-out',
      'other-ca.crt',
      '-days',
      '30',
      '-subj',
      '/CN=another VPN CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    openssl(dir, ['req', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=px-vpn-server']),
    openssl(dir, ['req', ...EC, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=px-vpn-client']),
    run('openvpn', ['--genkey', 'tls-crypt', join(dir, 'tc.key')]),
  ]);
  await Promise.all([
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '30',
      '-extfile',
      'server.ext',
    ]),
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'client.crt',
      '-days',
      '30',
      '-extfile',
      'client.ext',
    ]),
    openssl(
      dir,
      ['pkey', '-in', 'client.key', '-aes256', '-passout', 'stdin', '-out', 'client-enc.key'],
      keyPassphrase + '\n',
    ),
  ]);
  // via-file: the file holds the user name, then the password
  await writeFile(join(dir, 'expected'), `${user}\n${password}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'verify.sh'), `#!/bin/sh\ncmp -s "$1" "${join(dir, 'expected')}"\n`, { mode: 0o700 });
  await chmod(join(dir, 'verify.sh'), 0o700);
  const conf = (port: number, withPassword: boolean) => `mode server
tls-server
dev tun
proto tcp-server
local 127.0.0.1
port ${port}
topology subnet
ifconfig 10.${withPassword ? 98 : 97}.0.1 255.255.255.0
ifconfig-pool 10.${withPassword ? 98 : 97}.0.10 10.${withPassword ? 98 : 97}.0.100
ifconfig-noexec
route-noexec
ca ${join(dir, 'ca.crt')}
cert ${join(dir, 'server.crt')}
key ${join(dir, 'server.key')}
dh none
tls-crypt ${join(dir, 'tc.key')}
verify-client-cert require
${withPassword ? `auth-user-pass-verify ${join(dir, 'verify.sh')} via-file\nscript-security 2\ntmp-dir ${dir}\n` : ''}verb 3
`;
  for (const [name, port, withPassword] of [
    ['openvpn-password', ports.password, true],
    ['openvpn-cert', ports.cert, false],
  ] as const) {
    const file = join(dir, `${name}.conf`);
    await writeFile(file, conf(port, withPassword));
    const proc = group.spawn(name, 'openvpn', ['--config', file], { log: join(logs, `${name}.log`) });
    await waitUntil(name, () => canConnect('127.0.0.1', port), { timeoutMs: 15_000, proc });
  }
  const read = (f: string) => readFile(join(dir, f), 'utf8');
  return {
    passwordPort: ports.password,
    certPort: ports.cert,
    user,
    password,
    keyPassphrase,
    serverName: 'px-vpn-server',
    dir,
    ca: await read('ca.crt'),
    otherCa: await read('other-ca.crt'),
    clientCert: await read('client.crt'),
    clientKey: await read('client.key'),
    clientKeyEncrypted: await read('client-enc.key'),
    tlsCrypt: await read('tc.key'),
  };
}

/** A client profile for one of the servers; `parts` replaces or drops pieces (null drops). */
export function vpnProfile(
  v: VpnPeer,
  port: number,
  parts: Partial<Record<'ca' | 'cert' | 'key' | 'tls-crypt' | 'extra', string | null>> = {},
): string {
  const pick = (name: 'ca' | 'cert' | 'key' | 'tls-crypt', fallback: string) => {
    const value = name in parts ? parts[name] : fallback;
    return value === null || value === undefined ? '' : `<${name}>\n${value.trim()}\n</${name}>\n`;
  };
  return (
    `# a test profile\nclient\ndev tun\nproto tcp-client\nremote 127.0.0.1 ${port}\nnobind\nremote-cert-tls server\n` +
    `verify-x509-name ${v.serverName} name\n${port === v.passwordPort ? 'auth-user-pass\n' : ''}${parts.extra ?? ''}` +
    pick('ca', v.ca) +
    pick('cert', v.clientCert) +
    pick('key', v.clientKey) +
    pick('tls-crypt', v.tlsCrypt)
  );
}
