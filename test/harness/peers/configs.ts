// Configuration files of the private test servers. Every path and port comes from the caller:
// nothing here refers to a fixed location, so several runs can coexist on one machine.
import type { CertFiles } from './certs.js';

/** Loopback addresses with a meaning: which certificate the TLS listeners there present. */
export const ADDR = {
  /** self-signed cert for localhost/127.0.0.1/::1 */
  selfSigned: '127.0.0.1',
  /** expired cert (signed by the test CA) */
  expired: '127.0.0.2',
  /** the self-signed cert again: its names do not include 127.0.0.3, so hostname mismatch */
  mismatch: '127.0.0.3',
  /** leaf signed by the test CA */
  caSigned: '127.0.0.4',
} as const;

export interface DovecotPorts {
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  submission: number;
  submissions: number;
  relay: number;
}

/**
 * `oauth2`: also accept OAuth2 access tokens (SASL XOAUTH2 and OAUTHBEARER) checked by
 * introspection at the given URL; the token's `sub` is the user name.
 * `listen`: the addresses to serve on (default: 127.0.0.1, ::1 and the addresses of ADDR).
 */
export function dovecotConf(o: {
  dir: string;
  logFile: string;
  certs: CertFiles;
  ports: DovecotPorts;
  instance: string;
  oauth2?: boolean;
  listen?: readonly string[];
}): string {
  const { dir, certs, ports } = o;
  return `# Private Dovecot for px-accounts tests (generated)
protocols = imap pop3 submission
listen = ${(o.listen ?? ['127.0.0.1', '::1', ADDR.expired, ADDR.mismatch, ADDR.caSigned]).join(', ')}
instance_name = ${o.instance}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${o.logFile}
hostname = localhost
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
default_process_limit = 300
default_client_limit = 3000

ssl = yes
ssl_cert = <${certs.selfSigned}
ssl_key = <${certs.selfSignedKey}
local ${ADDR.expired} {
  ssl_cert = <${certs.expired}
  ssl_key = <${certs.expiredKey}
}
local ${ADDR.caSigned} {
  ssl_cert = <${certs.leaf}
  ssl_key = <${certs.leafKey}
}
disable_plaintext_auth = no
auth_mechanisms = plain login${o.oauth2 ? ' xoauth2 oauthbearer' : ''}
auth_failure_delay = 0
mail_max_userip_connections = 1000

${
  o.oauth2
    ? `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/oauth2.conf.ext
}
`
    : ''
}passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/home/%u
}
mail_location = maildir:~/Maildir

service imap-login {
  chroot =
  service_count = 0
  process_min_avail = 2
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  chroot =
  service_count = 0
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}
service submission-login {
  chroot =
  service_count = 0
  inet_listener submission {
    port = ${ports.submission}
  }
  inet_listener submissions {
    port = ${ports.submissions}
    ssl = yes
  }
}
# Mail processes serve many clients each (fine for a test box with one user): 50 logins at
# once must not mean 50 forks + execs, which on two cores takes longer than the logins themselves.
service imap {
  client_limit = 200
  service_count = 0
  process_min_avail = 2
}
service pop3 {
  client_limit = 200
  service_count = 0
}
service submission {
  client_limit = 200
  service_count = 0
}
service auth {
  # above the sum of the protocol services' process limits, or doveconf warns at every start
  client_limit = 8000
}
service anvil {
  chroot =
  # mode 0: no per-IP penalty after failed logins (it would add 2..15 s delays to later tests)
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
submission_relay_host = 127.0.0.1
submission_relay_port = ${ports.relay}
`;
}

/** Dovecot's oauth2 passdb: every token is introspected at the OpenID provider. */
export function dovecotOAuth2Conf(introspectionUrl: string): string {
  return `introspection_url = ${introspectionUrl}
introspection_mode = post
force_introspection = yes
username_attribute = sub
active_attribute = active
active_value = true
`;
}

export interface EximPorts {
  smtp: number;
  smtps: number;
}

/** `listen`: the addresses to serve on (default: 127.0.0.1, ::1 and the addresses of ADDR). */
export function eximConf(o: { dir: string; certs: CertFiles; ports: EximPorts; listen?: readonly string[] }): string {
  const { dir, certs, ports } = o;
  // the certificate depends on the address the client dialled, as with Dovecot's local {} blocks
  const pick = (kind: 'crt' | 'key') => {
    const f = (c: string, k: string) => (kind === 'crt' ? c : k);
    return (
      '${if eq{$received_ip_address}{' +
      ADDR.expired +
      '}{' +
      f(certs.expired, certs.expiredKey) +
      '}' +
      '{${if eq{$received_ip_address}{' +
      ADDR.caSigned +
      '}{' +
      f(certs.leaf, certs.leafKey) +
      '}' +
      '{' +
      f(certs.selfSigned, certs.selfSignedKey) +
      '}}}}'
    );
  };
  const auth = (pass: string, user: string) =>
    '${if eq{' + pass + '}' + '{${lookup{' + user + '}lsearch{' + dir + '/passwd}{$value}fail}}}';
  return `# Private Exim (exim4-daemon-light) SMTP submission peer for px-accounts tests (generated)
primary_hostname = localhost
local_interfaces = <; ${(o.listen ?? ['127.0.0.1', '::1', ADDR.expired, ADDR.mismatch, ADDR.caSigned]).join(' ; ')}
daemon_smtp_ports = ${ports.smtp} : ${ports.smtps}
tls_on_connect_ports = ${ports.smtps}
spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog
pid_file_path = ${dir}/exim.pid
host_lookup =
helo_lookup_domains =
rfc1413_hosts =
smtp_accept_max = 300
smtp_connect_backlog = 128
tls_advertise_hosts = *
tls_certificate = ${pick('crt')}
tls_privatekey = ${pick('key')}
auth_advertise_hosts = *
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  accept authenticated = *
  deny   message = relay not permitted

begin routers
discard_all:
  driver = redirect
  data = :blackhole:

begin transports

begin authenticators
PLAIN:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${auth('$auth3', '$auth2')}
  server_set_id = $auth2
LOGIN:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = ${auth('$auth2', '$auth1')}
  server_set_id = $auth1
`;
}

export function radicaleConf(o: {
  hosts: string[];
  port: number;
  users: string;
  collections: string;
  tls?: { cert: string; key: string };
}): string {
  const hosts = o.hosts.map((h) => (h.includes(':') ? `[${h}]:${o.port}` : `${h}:${o.port}`)).join(', ');
  return `# Radicale CalDAV/CardDAV for px-accounts tests (generated)
[server]
hosts = ${hosts}
${o.tls ? `ssl = True\ncertificate = ${o.tls.cert}\nkey = ${o.tls.key}\n` : ''}
[auth]
type = htpasswd
htpasswd_filename = ${o.users}
htpasswd_encryption = plain
# no random delay after a failed login
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = ${o.collections}
[web]
type = none
[logging]
level = info
mask_passwords = True
`;
}

export function sshdConfig(o: { dir: string; port: number; user: string }): string {
  return `# Private sshd (SFTP only) for px-accounts tests (generated)
Port ${o.port}
ListenAddress 127.0.0.1
ListenAddress ::1
HostKey ${o.dir}/ssh_host_ed25519_key
PidFile ${o.dir}/sshd.pid
LogLevel VERBOSE
PermitRootLogin no
AllowUsers ${o.user}
PasswordAuthentication yes
PubkeyAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile ${o.dir}/authorized_keys/%u
StrictModes no
MaxAuthTries 6
MaxStartups 100:30:200
LoginGraceTime 20
Subsystem sftp internal-sftp
ForceCommand internal-sftp
AllowTcpForwarding no
X11Forwarding no
`;
}

/**
 * Timeout peers, run with /usr/bin/python3 (argv: silent-port syn-drop-port):
 * - silent: accepts TCP connections and never sends a byte (greeting / TLS handshake / HTTP timeouts);
 * - syn-drop: listen(0), never accept(), the accept queue pre-filled, so further SYNs are dropped
 *   and a client's TCP connect itself times out.
 */
/**
 * ProFTPD with a passwd-style user file and TLS required: explicit AUTH TLS on one instance,
 * implicit FTPS on another (one config each; `proftpd -n` stays in the foreground).
 */
export function proftpdConf(o: {
  dir: string;
  name: string;
  port: number;
  users: string;
  cert: string;
  key: string;
  implicit: boolean;
}): string {
  return `ServerName "px-accounts test ${o.name}"
ServerType standalone
DefaultServer on
Port ${o.port}
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
PidFile ${o.dir}/${o.name}.pid
ScoreboardFile ${o.dir}/${o.name}.scoreboard
DelayTable none
DelayEngine off
WtmpLog off
UseReverseDNS off
RequireValidShell off
AuthOrder mod_auth_file.c
AuthUserFile ${o.users}
DefaultRoot ~
TransferLog none
MaxLoginAttempts 1000
MaxInstances 200
LoadModule mod_tls.c
TLSEngine on
TLSRequired on
TLSRSACertificateFile ${o.cert}
TLSRSACertificateKeyFile ${o.key}
TLSProtocol TLSv1.2 TLSv1.3
TLSOptions NoSessionReuseRequired${o.implicit ? ' UseImplicitSSL' : ''}
TLSVerifyClient off
`;
}

/** tinyproxy in the foreground with basic auth; CONNECT only to `connectPort` and `also` (the mail servers: accounts behind the proxy). */
export function tinyproxyConf(o: {
  port: number;
  user: string;
  password: string;
  connectPort: number;
  also?: readonly number[];
}): string {
  return `User nobody
Group nogroup
Port ${o.port}
Listen 127.0.0.1
Timeout 30
Allow 127.0.0.1
BasicAuth ${o.user} ${o.password}
ConnectPort ${o.connectPort}
${(o.also ?? []).map((p) => `ConnectPort ${p}\n`).join('')}LogLevel Info
MaxClients 100
`;
}

/** Dante SOCKS5 with user name/password checked against system users (RFC 1929). */
export function danteConf(o: { port: number; log: string }): string {
  return `logoutput: ${o.log}
internal: 127.0.0.1 port = ${o.port}
external: 127.0.0.1
socksmethod: username
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect disconnect }
`;
}

export const BLACKHOLE_PY = `import socket, sys, threading, time
silent_port, drop_port = int(sys.argv[1]), int(sys.argv[2])
def listener(port, backlog):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    s.listen(backlog)
    return s
silent = listener(silent_port, 128)
drop = listener(drop_port, 0)
def accept_forever():
    conns = []
    while True:
        c, _ = silent.accept()
        conns.append(c)  # keep it open, never write
        conns = [x for x in conns if x.fileno() != -1][-500:]
threading.Thread(target=accept_forever, daemon=True).start()
fillers = []
for _ in range(3):  # backlog 0 leaves one slot: fill it, the rest of the SYNs are dropped
    f = socket.socket(); f.setblocking(False)
    try: f.connect(('127.0.0.1', drop_port))
    except BlockingIOError: pass
    fillers.append(f)
time.sleep(0.1)
print('blackhole ready', flush=True)
while True:
    time.sleep(3600)
`;
