/** IMAP: implicit TLS on 993, STARTTLS or plain on 143; `path` is a folder that must exist. */
import { SERVER_SETTINGS as S, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'imap',
  title: 'IMAP',
  iface: 'org.pantherx.Accounts.Imap',
  viaProxy: true,
  ports: { tls: 993, starttls: 143, none: 143 },
  settings: [
    S.host,
    S.port,
    S.security,
    S.username,
    { ...S.path, doc: 'Folder that must exist (for example INBOX): the check fails without it; empty for none.' },
    S.ca,
  ],
  tokens: true,
  load: () => import('./verifier.js').then((m) => m.verifyImap),
});
