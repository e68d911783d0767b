/** CalDAV: addressed by URL (discovery through .well-known and the principal). */
import { SERVER_SETTINGS as S, URL_PARTS as U, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'caldav',
  title: 'CalDAV',
  iface: 'org.pantherx.Accounts.CalDav',
  viaProxy: true,
  ports: { tls: 443, starttls: 443, none: 80 },
  securities: ['tls', 'none'],
  urlBased: true,
  settings: [
    U.host,
    U.port,
    U.security,
    S.username,
    U.path,
    { ...S.url, doc: 'CalDAV discovery URL (https://host[:port]/path); host, port, security and path derive from it.' },
    S.ca,
  ],
  tokens: true,
  load: () => import('../common/dav.js').then((m) => m.verifyCalDav),
});
