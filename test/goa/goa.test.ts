/**
 * The GNOME Online Accounts view (docs/goa.md) read by libgoa's own client (Debian
 * gir1.2-goa-1.0 through python3-gi, test/goa/goa_client.py) on the private bus: which accounts
 * are shown, Mail/Calendar/Contacts/Files, GetPassword with its grants and audit,
 * EnsureCredentials, account-added/-removed, an account kept while its file is unreadable, and
 * the view's own contract (interfaces/goa/).
 */
import { strict as assert } from 'node:assert';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { cli } from '../cli/helpers.js';
import { declared as declaredPx, introspect, shape } from '../harness/contract.js';
import { ACCOUNT, MANAGER, ROOT, TestClient, as, errorOf, q, s } from '../harness/client.js';
import { flatpakRun } from '../harness/flatpak.js';
import { nameHasOwner, ROOT as REPO, waitFor } from '../harness/session.js';
import { GOA_CLIENT, GoaWatcher, goaClient, listed, type GoaAnswer } from './helpers.js';
import { ACCESS_ANNOTATION, ACCESS_LEVELS } from '../../src/contract/access.js';
import { parseInterfaces } from '../../src/bus/contract-xml.js';
import type { InterfaceSpec } from '../../src/bus/contract.js';
import { testSecret, useFixture } from '../harness/fixture.js';

const GOA = 'org.gnome.OnlineAccounts';
const GOA_ROOT = '/org/gnome/OnlineAccounts';
const goaPath = (id: string) => `${GOA_ROOT}/Accounts/${id}`;
const NOT_AUTHORIZED = 'org.gnome.OnlineAccounts.Error.NotAuthorized';
const FLATPAK_APP = 'org.example.GoaMail';

/** interfaces/goa/*.xml, as the view's contract declares it. */
const declaredGoa = new Map<string, InterfaceSpec>(
  parseInterfaces(readFileSync(join(REPO, 'interfaces/goa/org.gnome.OnlineAccounts.xml'), 'utf8')).map((i) => [
    i.name,
    i,
  ]),
);

describe("GOA view: libgoa's own client on the private bus", function () {
  this.timeout(60_000);
  const f = useFixture({ service: { args: ['--goa'] } });
  const ids = { mail: '', dav: '', files: '', nopass: '', wallet: '', sftp: '', imapOnly: '' };
  const secrets = { mail: testSecret(), dav: testSecret(), files: testSecret() };
  const idOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

  before(async () => {
    ids.mail = idOf(
      await f.client.addAccount(
        'imap',
        'ada@example.org',
        { password: secrets.mail },
        {
          protocols: as(['imap', 'smtp']),
          'imap.host': s('127.0.0.1'),
          'imap.port': q(1143),
          'imap.security': s('none'),
          'smtp.host': s('mail.example.org'),
          'smtp.port': q(465),
          'smtp.security': s('tls'),
          'identity.name': s('Ada Lovelace'),
          'identity.aliases': as(['countess@example.org']),
        },
      ),
    );
    ids.dav = idOf(
      await f.client.addAccount(
        'caldav',
        'dav-user',
        { password: secrets.dav },
        {
          protocols: as(['caldav', 'carddav']),
          'caldav.url': s('https://dav.example.org/cal/'),
          'carddav.url': s('https://dav.example.org/card/'),
        },
      ),
    );
    ids.files = idOf(
      await f.client.addAccount(
        'webdav',
        'files-user',
        { password: secrets.files },
        { 'webdav.url': s('https://files.example.org/remote.php/webdav/') },
      ),
    );
    ids.nopass = idOf(
      await f.client.addAccount(
        'imap',
        'nopass@example.org',
        {},
        {
          protocols: as(['imap', 'smtp']),
          'imap.host': s('127.0.0.1'),
          'smtp.host': s('127.0.0.1'),
        },
      ),
    );
    ids.wallet = idOf(
      await f.client.addAccount(
        'btc',
        'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080',
        {},
        { 'btc.network': s('regtest'), 'btc.url': s('tcp://127.0.0.1:9') },
      ),
    );
    ids.sftp = idOf(
      await f.client.addAccount('sftp', 'sftp-user', { password: testSecret() }, { 'sftp.host': s('127.0.0.1') }),
    );
    ids.imapOnly = idOf(
      await f.client.addAccount(
        'imap',
        'imaponly@example.org',
        { password: testSecret() },
        { 'imap.host': s('127.0.0.1') },
      ),
    );
  });

  it('lists mail, calendar/contacts and files accounts with their ids, and no wallet, SFTP or IMAP-only account', async () => {
    const list = await goaClient(f.session.env, 'list');
    assert.deepEqual(list.map((a) => a.id).sort(), [ids.mail, ids.dav, ids.files, ids.nopass].sort());
    const mail = listed(list, ids.mail);
    assert.equal(mail.provider_type, 'imap_smtp');
    assert.equal(mail.identity, 'ada@example.org');
    assert.equal(mail.password_based, true);
    assert.equal(mail.oauth2_based, false);
    const dav = listed(list, ids.dav);
    assert.equal(dav.provider_type, 'owncloud', 'evolution-data-server makes a WebDAV collection only of owncloud');
    assert.equal(dav.mail, undefined);
  });

  it("reads Mail (hosts with ports, SSL/TLS, user names, the identity's name and address), Calendar, Contacts and Files", async () => {
    const list = await goaClient(f.session.env, 'list');
    const mail = listed(list, ids.mail).mail;
    assert.deepEqual(mail, {
      'email-address': 'ada@example.org',
      name: 'Ada Lovelace',
      'imap-supported': true,
      'imap-host': '127.0.0.1:1143',
      'imap-use-ssl': false,
      'imap-use-tls': false,
      'imap-user-name': 'ada@example.org',
      'smtp-supported': true,
      'smtp-host': 'mail.example.org:465',
      'smtp-use-ssl': true,
      'smtp-use-tls': false,
      'smtp-user-name': 'ada@example.org',
      'smtp-use-auth': true,
      'smtp-auth-plain': true,
      'smtp-auth-xoauth2': false,
    });
    const dav = listed(list, ids.dav);
    assert.deepEqual(dav.calendar, { uri: 'https://dav.example.org/cal/', accept_ssl_errors: false });
    assert.deepEqual(dav.contacts, { uri: 'https://dav.example.org/card/', accept_ssl_errors: false });
    const files = listed(list, ids.files);
    assert.deepEqual(files.files, {
      uri: 'davs://files-user@files.example.org/remote.php/webdav/',
      accept_ssl_errors: false,
    });
  });

  it("GetPassword hands out the password for imap-password, smtp-password, password and '', each audited with SecretAccessed", async () => {
    for (const id of ['imap-password', 'smtp-password', 'password', '']) {
      const from = f.client.signals.length;
      assert.deepEqual(await goaClient(f.session.env, 'password', ids.mail, id), { value: secrets.mail }, id);
      const sig = await f.client.waitSignal((x) => x.member === 'SecretAccessed' && x.body[0] === ids.mail, 5000, from);
      assert.equal(sig.body[1], 'password');
    }
    assert.deepEqual(await goaClient(f.session.env, 'password', ids.dav, ''), { value: secrets.dav });
    assert.deepEqual(await goaClient(f.session.env, 'password', ids.files, 'password'), { value: secrets.files });
    const unknown = await goaClient(f.session.env, 'password', ids.mail, 'pop3-password');
    assert.equal(unknown.error, 'org.gnome.OnlineAccounts.Error.NotSupported');
    const missing = await goaClient(f.session.env, 'password', ids.nopass, 'imap-password');
    assert.equal(missing.error, NOT_AUTHORIZED);
  });

  it('EnsureCredentials touches no network: ok with a stored password (the servers do not exist), NotAuthorized without, or with AttentionNeeded', async () => {
    assert.deepEqual(await goaClient(f.session.env, 'ensure', ids.mail), { value: 0 });
    assert.deepEqual(await goaClient(f.session.env, 'ensure', ids.files), { value: 0 });
    assert.equal((await goaClient(f.session.env, 'ensure', ids.nopass)).error, NOT_AUTHORIZED);
    // A server that refuses the login: Verify sets AttentionNeeded, and EnsureCredentials says so.
    const refusing = createServer((_req, res) =>
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end(),
    );
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/dav/`;
      const secret = testSecret();
      const path = await f.client.addAccount('caldav', 'refused-user', { password: secret }, { 'caldav.url': s(url) });
      const id = idOf(path);
      assert.deepEqual(await goaClient(f.session.env, 'ensure', id), { value: 0 });
      await f.client.call(path, ACCOUNT, 'Verify');
      await waitFor(
        'AttentionNeeded on the GOA object',
        async () => listed(await goaClient(f.session.env, 'list'), id).attention_needed,
      );
      const refused = await goaClient(f.session.env, 'ensure', id);
      assert.equal(refused.error, NOT_AUTHORIZED);
      // A new secret clears it.
      await f.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', secret]);
      await waitFor(
        'AttentionNeeded cleared',
        async () => !listed(await goaClient(f.session.env, 'list'), id).attention_needed,
      );
      assert.deepEqual(await goaClient(f.session.env, 'ensure', id), { value: 0 });
      await f.client.call(path, ACCOUNT, 'Remove');
    } finally {
      refusing.close();
    }
  });

  it("a sandboxed app (libgoa's client in a fake Flatpak) without a grant is refused with NotAuthorized; with one it gets the password, audited under its name", async () => {
    const source = readFileSync(GOA_CLIENT, 'utf8');
    const inSandbox = async (...args: string[]) => {
      const r = await flatpakRun(f.session, FLATPAK_APP, ['/usr/bin/python3', '-c', source, ...args]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as GoaAnswer;
    };
    const refused = await inSandbox('password', ids.mail, 'imap-password');
    assert.equal(refused.error, NOT_AUTHORIZED);
    assert.match(
      refused.message ?? '',
      new RegExp(`${FLATPAK_APP.replace(/\./g, '\\.')} has no grant for account ${ids.mail}`),
    );
    assert.equal((await inSandbox('ensure', ids.mail)).error, NOT_AUTHORIZED, 'EnsureCredentials needs the grant too');
    assert.ok(!JSON.stringify(refused).includes(secrets.mail));
    const granted = await cli(f.session.env, ['access', 'grant', ids.mail, FLATPAK_APP]);
    assert.equal(granted.code, 0, granted.stderr);
    const from = f.client.signals.length;
    assert.deepEqual(await inSandbox('password', ids.mail, 'imap-password'), { value: secrets.mail });
    const sig = await f.client.waitSignal((x) => x.member === 'SecretAccessed' && x.body[0] === ids.mail, 5000, from);
    assert.deepEqual(sig.body, [ids.mail, 'password', FLATPAK_APP]);
    // The grant is for that account only.
    assert.equal((await inSandbox('password', ids.dav, '')).error, NOT_AUTHORIZED);
  });

  it('sees account-added and account-removed; an identity change reaches Mail', async () => {
    const watcher = new GoaWatcher(f.session.env);
    try {
      await watcher.wait((e) => e.ready, 'the watcher ready');
      const path = await f.client.addAccount(
        'imap',
        'late@example.org',
        { password: testSecret() },
        {
          protocols: as(['imap', 'smtp']),
          'imap.host': s('127.0.0.1'),
          'smtp.host': s('127.0.0.1'),
        },
      );
      const id = idOf(path);
      await watcher.wait((e) => e.added === id, 'account-added');
      await f.client.call(path, ACCOUNT, 'Update', 'a{sv}', [
        { 'identity.name': s('Late Comer'), 'identity.address': s('comer@example.org') },
      ]);
      await watcher.wait((e) => e.changed === id, 'account-changed');
      const mail = listed(await goaClient(f.session.env, 'list'), id).mail;
      assert.equal(mail?.name, 'Late Comer');
      assert.equal(mail?.['email-address'], 'comer@example.org');
      // Adding a wallet announces nothing here.
      const wallet = idOf(
        await f.client.addAccount(
          'eth',
          '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
          {},
          { 'eth.network': s('local'), 'eth.url': s('http://127.0.0.1:9/') },
        ),
      );
      await f.client.call(path, ACCOUNT, 'Remove');
      await watcher.wait((e) => e.removed === id, 'account-removed');
      assert.ok(!watcher.events.some((e) => e.added === wallet || e.removed === wallet));
    } finally {
      await watcher.stop();
    }
  });

  it('an account whose file is briefly unparsable is not removed; a deleted file removes it', async () => {
    const path = await f.client.addAccount(
      'imap',
      'edited@example.org',
      { password: testSecret() },
      {
        protocols: as(['imap', 'smtp']),
        'imap.host': s('127.0.0.1'),
        'smtp.host': s('127.0.0.1'),
      },
    );
    const id = idOf(path);
    const file = join(f.session.accountsDir, `${id}.ini`);
    const text = readFileSync(file, 'utf8');
    const watcher = new GoaWatcher(f.session.env);
    try {
      await watcher.wait((e) => e.ready?.includes(id), 'the watcher ready');
      const from = f.client.signals.length;
      writeFileSync(file, 'this is [not an account file\n');
      // The service drops the broken account (past its grace period)…
      await f.client.waitSignal((x) => x.member === 'InterfacesRemoved' && x.body[0] === path, 10_000, from);
      // …the GOA view keeps it: libgoa's client still lists it.
      assert.ok((await goaClient(f.session.env, 'list')).some((a) => a.id === id));
      writeFileSync(file, text);
      await f.client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === path, 10_000, from);
      assert.ok(!watcher.events.some((e) => e.removed === id), 'never removed while the file was there');
      unlinkSync(file);
      await watcher.wait((e) => e.removed === id, 'account-removed once the file is gone');
    } finally {
      await watcher.stop();
    }
  });

  it('exports exactly interfaces/goa/ (documented, with an access rule on every method); the org.pantherx objects carry none of it', async () => {
    for (const spec of declaredGoa.values()) {
      for (const m of [spec, ...spec.methods.values(), ...spec.properties.values()]) {
        const doc = m.annotations.find((a) => a.name === 'org.gtk.GDBus.DocString');
        assert.ok(doc && doc.value.length > 10, `${spec.name} ${m.name} has no doc annotation`);
      }
      for (const m of spec.methods.values()) {
        const access = m.annotations.filter((a) => a.name === ACCESS_ANNOTATION);
        assert.equal(access.length, 1, `${spec.name}.${m.name} has no access annotation`);
        assert.ok((ACCESS_LEVELS as readonly string[]).includes(access[0]!.value));
      }
    }
    const goa = await TestClient.connect(f.session.address, false);
    try {
      const introspectGoa = async (path: string) => {
        const [xml] = await goa.callTo(GOA, path, 'org.freedesktop.DBus.Introspectable', 'Introspect');
        return new Map(parseInterfaces(xml as string).map((i) => [i.name, i]));
      };
      const seen = new Map<string, InterfaceSpec>();
      for (const id of [ids.mail, ids.dav, ids.files])
        for (const [k, v] of await introspectGoa(goaPath(id))) seen.set(k, v);
      const ours = [...seen.keys()].filter((n) => n.startsWith(`${GOA}.`)).sort();
      assert.deepEqual(
        ours,
        [...declaredGoa.keys()].filter((n) => n !== `${GOA}.OAuth2Based`).sort(),
        'OAuth2Based: see the OAuth2 suite',
      );
      for (const name of ours) assert.deepEqual(shape(seen.get(name)!), shape(declaredGoa.get(name)!), name);
      const [objects] = await goa.callTo(GOA, GOA_ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects');
      assert.ok(Object.keys(objects as object).every((p) => p.startsWith(`${GOA_ROOT}/Accounts/`)));
      // Remove is not for apps.
      const err = await errorOf(goa.callTo(GOA, goaPath(ids.mail), `${GOA}.Account`, 'Remove'));
      assert.equal(err.type, 'org.gnome.OnlineAccounts.Error.NotSupported');
    } finally {
      goa.disconnect();
    }
    const px = await introspect(f.client, `${ROOT}/account/${ids.mail}`);
    assert.ok(![...px.keys()].some((n) => n.startsWith(GOA)));
    assert.ok(
      ![...declaredPx.keys()].some((n) => n.startsWith(GOA)),
      'interfaces/*.xml (the org.pantherx contract) does not declare GOA',
    );
    assert.ok(await nameHasOwner(f.session.env, MANAGER.replace('.Manager', '')));
  });
});
