/**
 * How long one check of each protocol takes through the bus (Account.Verify on an account
 * with only that protocol), against the real loopback servers of the test harness: median and
 * worst of N runs, after one warm-up (the verifier thread loads each client library once).
 * Prints a Markdown table; never part of the pass/fail tests. Needs root (the harness starts
 * the servers as root).
 *
 *   node dist/bench/checks.js [--runs 15]
 */
import { parseArgs } from 'node:util';
import { ACCOUNT, TestClient, b, q, s, type V } from '../test/harness/client.js';
import { startPeers } from '../test/harness/peers.js';
import { vpnProfile } from '../test/harness/peers/openvpn.js';
import { startService, startSession } from '../test/harness/session.js';

const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '15' } }, strict: true });
const RUNS = Math.max(1, Number(opt.runs) || 15);

const peers = await startPeers();
const session = await startSession();
const service = await startService(session);
const client = await TestClient.connect(session.address, false);
const p = peers;
const vpn = p.vpn!;
const cases: Array<[string, string, string, Record<string, string>, Record<string, V>]> = [
  [
    'IMAP (plain, LOGIN)',
    'imap',
    p.user,
    { password: p.password },
    { 'imap.host': s('127.0.0.1'), 'imap.port': q(p.ports.imap), 'imap.security': s('none') },
  ],
  [
    'IMAP (implicit TLS)',
    'imap',
    p.user,
    { password: p.password },
    {
      'imap.host': s('127.0.0.1'),
      'imap.port': q(p.ports.imaps),
      'imap.ca': s(p.certs.selfSigned),
      'imap.security': s('tls'),
    },
  ],
  [
    'SMTP (STARTTLS, AUTH)',
    'smtp',
    p.user,
    { password: p.password },
    {
      'smtp.host': s('127.0.0.1'),
      'smtp.port': q(p.ports.smtp),
      'smtp.security': s('starttls'),
      'smtp.ca': s(p.certs.selfSigned),
    },
  ],
  [
    'POP3 (plain)',
    'pop3',
    p.user,
    { password: p.password },
    { 'pop3.host': s('127.0.0.1'), 'pop3.port': q(p.ports.pop3), 'pop3.security': s('none') },
  ],
  [
    'CalDAV (HTTP)',
    'caldav',
    p.user,
    { password: p.password },
    { 'caldav.url': s(`http://127.0.0.1:${p.ports.http}/`) },
  ],
  [
    'SFTP (password)',
    'sftp',
    p.sftpUser,
    { password: p.sftpPassword },
    { 'sftp.host': s('127.0.0.1'), 'sftp.port': q(p.ports.ssh) },
  ],
  [
    'FTP (explicit FTPS)',
    'ftp',
    p.ftpUser,
    { password: p.ftpPassword },
    {
      'ftp.host': s('127.0.0.1'),
      'ftp.port': q(p.ports.ftp),
      'ftp.security': s('starttls'),
      'ftp.ca': s(p.certs.selfSigned),
    },
  ],
  [
    'FTP (implicit FTPS)',
    'ftp',
    p.ftpUser,
    { password: p.ftpPassword },
    {
      'ftp.host': s('127.0.0.1'),
      'ftp.port': q(p.ports.ftps),
      'ftp.security': s('tls'),
      'ftp.ca': s(p.certs.selfSigned),
    },
  ],
  [
    'Proxy (HTTP CONNECT)',
    'proxy',
    p.proxyUser,
    { password: p.proxyPassword },
    { 'proxy.host': s('127.0.0.1'), 'proxy.port': q(p.ports.httpProxy) },
  ],
  [
    'Proxy (SOCKS5)',
    'proxy',
    p.sftpUser,
    { password: p.sftpPassword },
    { 'proxy.host': s('127.0.0.1'), 'proxy.port': q(p.ports.socks), 'proxy.type': s('socks5') },
  ],
  [
    'OpenVPN (certificate + password)',
    'openvpn',
    vpn.user,
    { password: vpn.password },
    { 'openvpn.profile': s(vpnProfile(vpn, vpn.passwordPort)) },
  ],
  ['OpenVPN (certificate only)', 'openvpn', 'certonly', {}, { 'openvpn.profile': s(vpnProfile(vpn, vpn.certPort)) }],
];

const rows: string[] = [];
try {
  for (const [title, protocol, user, secrets, options] of cases) {
    const path = await client.addAccount(protocol, user, secrets, { ...options, verify: b(true) });
    const times: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const t0 = performance.now();
      const [results] = await client.call(path, ACCOUNT, 'Verify');
      const ms = performance.now() - t0;
      const r = (results as Record<string, V>)[protocol]!.value as Record<string, V>;
      if (r.code!.value !== 'Ok') throw new Error(`${title}: ${String(r.message!.value)}`);
      if (i > 0) times.push(ms); // the first run warms up
    }
    await client.call(path, ACCOUNT, 'Remove');
    times.sort((x, y) => x - y);
    rows.push(`| ${title} | ${times[times.length >> 1]!.toFixed(1)} | ${times.at(-1)!.toFixed(1)} |`);
    process.stderr.write(`[checks] ${title} done\n`);
  }
} finally {
  client.disconnect();
  await service.stop();
  await session.stop();
  await peers.stop();
}
console.log(`One check through the bus (Account.Verify), ${RUNS} runs after a warm-up, loopback servers:\n`);
console.log('| check | median (ms) | worst (ms) |\n|---|---|---|');
console.log(rows.join('\n'));
