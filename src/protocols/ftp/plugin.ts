/**
 * FTP and FTPS: `tls` is implicit FTPS (port 990), `starttls` explicit AUTH TLS (port 21), and
 * `none` plain FTP (port 21), used only when asked for: the default is TLS.
 */
import { SERVER_SETTINGS as S, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'ftp',
  title: 'FTP',
  iface: 'org.pantherx.Accounts.Ftp',
  doc: "FTP and FTPS settings of an account, present on the account object while FTP is enabled. Read-only: change them with Account.Update. The password is a secret (GetSecret 'ftp', else 'password'), never a property.",
  ports: { tls: 990, starttls: 21, none: 21 },
  settings: [
    S.host,
    { ...S.port, doc: 'Server TCP port (990 for implicit FTPS, 21 otherwise, unless set).' },
    {
      ...S.security,
      doc: 'tls: implicit FTPS; starttls: explicit FTPS (AUTH TLS, required: a server without it fails the check); none: plain FTP, only when set explicitly, since the password then crosses the network in clear.',
    },
    S.username,
    {
      ...S.path,
      doc: 'Remote directory changed to by verification and opened by default; empty for the login directory.',
    },
    S.ca,
  ],
  load: () => import('./verifier.js').then((m) => m.verifyFtp),
});
