/** POP3: implicit TLS on 995, STLS or plain on 110. */
import { SERVER_SETTINGS as S, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'pop3',
  title: 'POP3',
  iface: 'org.pantherx.Accounts.Pop3',
  viaProxy: true,
  ports: { tls: 995, starttls: 110, none: 110 },
  settings: [S.host, S.port, S.security, S.username, S.ca],
  tokens: true,
  load: () => import('./verifier.js').then((m) => m.verifyPop3),
});
