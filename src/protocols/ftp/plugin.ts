/**
 * FTP and FTPS: `tls` is implicit FTPS (port 990), `starttls` explicit AUTH TLS (port 21), and
 * `none` plain FTP (port 21), used only when asked for: the default is TLS.
 */
import { SERVER_SETTINGS as S, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'ftp', title: 'FTP', iface: 'org.pantherx.Accounts.Ftp',
  ports: { tls: 990, starttls: 21, none: 21 },
  settings: [
    S.host, S.port,
    { ...S.security, doc: 'tls: implicit FTPS (port 990); starttls: explicit FTPS with AUTH TLS (port 21); none: plain FTP, password in clear (port 21).' },
    S.username, { ...S.path, doc: 'Remote directory changed to by verification and opened by default; empty for the login directory.' }, S.ca,
  ],
  load: () => import('./verifier.js').then((m) => m.verifyFtp),
});
