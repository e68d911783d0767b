/**
 * SFTP over SSH (no security setting: SSH always encrypts). The server's host key is pinned on
 * the first successful check; a server presenting another key then fails with HostKeyChanged
 * before the secret is sent. The login secret is a password or a PEM private key.
 */
import { SERVER_SETTINGS as S, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'sftp',
  title: 'SFTP',
  iface: 'org.pantherx.Accounts.Sftp',
  viaProxy: true,
  ports: { tls: 22, starttls: 22, none: 22 },
  settings: [
    S.host,
    S.port,
    S.username,
    { ...S.path, doc: 'Remote directory opened by default; empty for the login directory.' },
    {
      key: 'hostkey',
      property: 'HostKey',
      kind: 'hostkey',
      doc: "The server's pinned host key as OpenSSH prints it (SHA256:...), learned on the first successful check; empty until then. A server presenting another key fails the check with HostKeyChanged; to accept a new key, clear it (sftp.hostkey set to '') or set the expected one.",
    },
  ],
  load: () => import('./verifier.js').then((m) => m.verifySftp),
  learn: (result, settings) =>
    result.ok && result.hostKey && !settings.hostkey ? { ...settings, hostkey: result.hostKey } : undefined,
});
