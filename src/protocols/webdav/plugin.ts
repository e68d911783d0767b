/**
 * WebDAV (files): a folder addressed by URL; host, port, security and path derive from it, as
 * for CalDAV. Checked by an authenticated PROPFIND (Depth 0) on the URL itself. The settings
 * `url` and `username` are what GNOME Online Accounts' Files interface is built from.
 */
import { SERVER_SETTINGS as S, URL_PARTS as U, serverProtocol } from '../server.js';

export default serverProtocol({
  id: 'webdav',
  title: 'WebDAV',
  iface: 'org.pantherx.Accounts.WebDav',
  viaProxy: true,
  doc: "WebDAV (files) settings of an account, present on the account object while WebDAV is enabled. Read-only: change them with Account.Update. The password is read with Account.GetSecret('password'); secrets are never properties. Checked with an authenticated PROPFIND (Depth 0) on Url.",
  ports: { tls: 443, starttls: 443, none: 80 },
  securities: ['tls', 'none'],
  urlBased: true,
  settings: [
    U.host,
    U.port,
    U.security,
    S.username,
    { ...U.path, doc: 'Path part of Url: the folder on the server.' },
    {
      ...S.url,
      doc: "URL of the WebDAV folder (https://host[:port]/path/; a Nextcloud account's is <server>/remote.php/dav/files/<login name>/); host, port, security and path derive from it.",
    },
    S.ca,
  ],
  load: () => import('./verifier.js').then((m) => m.verifyWebDav),
});
