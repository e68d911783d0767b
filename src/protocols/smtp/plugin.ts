/** SMTP submission: implicit TLS on 465, STARTTLS on 587, plain on 25. */
import { SERVER_SETTINGS as S, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'smtp',
  title: 'SMTP',
  iface: 'org.pantherx.Accounts.Smtp',
  viaProxy: true,
  ports: { tls: 465, starttls: 587, none: 25 },
  settings: [S.host, S.port, S.security, S.username, S.ca],
  tokens: true,
  load: () => import('./verifier.js').then((m) => m.verifySmtp),
});
