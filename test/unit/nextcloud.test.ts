/** Nextcloud's pure parts: the server's address as people give it, the account's URLs, and where a removal revokes. */
import { strict as assert } from 'node:assert';

import { davUrls, serverUrl } from '../../src/nextcloud/login-flow.js';
import { accountName, revocationTarget } from '../../src/nextcloud/sign-in.js';

describe('Nextcloud: addresses and URLs', () => {
  it('takes the server as people write it: a bare host is https, a trailing slash, a query or a page of it is dropped', () => {
    assert.equal(serverUrl('cloud.example.org'), 'https://cloud.example.org');
    assert.equal(serverUrl(' https://cloud.example.org/ '), 'https://cloud.example.org');
    assert.equal(serverUrl('https://example.org/nextcloud/'), 'https://example.org/nextcloud');
    assert.equal(
      serverUrl('https://example.org/nextcloud/index.php/apps/files/?dir=/'),
      'https://example.org/nextcloud',
    );
    assert.equal(serverUrl('https://cloud.example.org:8443/apps/calendar/'), 'https://cloud.example.org:8443');
    assert.equal(serverUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.equal(serverUrl('http://[::1]:8080/'), 'http://[::1]:8080');
  });

  it('refuses plain http off loopback, credentials in the address, other schemes and nothing at all', () => {
    assert.throws(() => serverUrl('http://cloud.example.org'), /https/);
    assert.throws(() => serverUrl('https://alice:pw@cloud.example.org'), /user name or password/);
    assert.throws(() => serverUrl('ftp://cloud.example.org'), /https/);
    assert.throws(() => serverUrl(''), /required/);
    assert.throws(() => serverUrl('https://'), /not a server address/);
  });

  it("one account: CalDAV and CardDAV at remote.php/dav, WebDAV at the login's files; the user name is login@host", () => {
    assert.deepEqual(davUrls('https://example.org/nc', 'alice smith'), {
      caldav: 'https://example.org/nc/remote.php/dav',
      carddav: 'https://example.org/nc/remote.php/dav',
      webdav: 'https://example.org/nc/remote.php/dav/files/alice%20smith/',
    });
    assert.equal(
      accountName({ server: 'https://cloud.example.org:8443', loginName: 'alice', appPassword: 'x' }),
      'alice@cloud.example.org:8443',
    );
  });

  it('a removal revokes at the server and for the login its DAV URLs name', () => {
    const settings = { webdav: { url: 'https://example.org/nc/remote.php/dav/files/alice/', username: 'alice' } };
    assert.deepEqual(revocationTarget({ username: 'alice@example.org', settings }), {
      server: 'https://example.org/nc',
      loginName: 'alice',
    });
    assert.deepEqual(
      revocationTarget({
        username: 'bob@example.org',
        settings: { caldav: { url: 'https://example.org/remote.php/dav', username: '' } },
      }),
      { server: 'https://example.org', loginName: 'bob@example.org' },
    );
    assert.equal(
      revocationTarget({
        username: 'x',
        settings: { webdav: { url: 'https://dav.example.org/files/', username: 'x' } },
      }),
      undefined,
    );
  });
});
