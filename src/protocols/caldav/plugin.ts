/** CalDAV: addressed by URL (discovery through .well-known and the principal). */
import { SERVER_SETTINGS as S, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'caldav', title: 'CalDAV', iface: 'org.pantherx.Accounts.CalDav',
  ports: { tls: 443, starttls: 443, none: 80 }, securities: ['tls', 'none'], urlBased: true,
  settings: [S.host, S.port, S.security, S.username, S.path, { ...S.url, doc: 'CalDAV discovery URL; host, port, security and path derive from it.' }, S.ca],
  tokens: true,
  load: () => import('../common/dav.js').then((m) => m.verifyCalDav),
});
