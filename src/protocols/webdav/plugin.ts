/**
 * WebDAV (files): a folder addressed by URL; host, port, security and path derive from it, as
 * for CalDAV. Checked by an authenticated PROPFIND (Depth 0) on the URL itself. The settings
 * `url` and `username` are what GNOME Online Accounts' Files interface is built from.
 */
import { SERVER_SETTINGS as S, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'webdav', title: 'WebDAV', iface: 'org.pantherx.Accounts.WebDav',
  ports: { tls: 443, starttls: 443, none: 80 }, securities: ['tls', 'none'], urlBased: true,
  settings: [
    S.host, S.port, S.security, S.username, S.path,
    { ...S.url, doc: 'URL of the WebDAV folder (https://host[:port]/path/); host, port, security and path derive from it.' },
    S.ca,
  ],
  load: () => import('./verifier.js').then((m) => m.verifyWebDav),
});
