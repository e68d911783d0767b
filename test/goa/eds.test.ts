/**
 * evolution-data-server's own registry (/usr/libexec/evolution-source-registry, Debian
 * evolution-data-server 3.46) against the GOA view on the private bus: the sources it makes
 * for px accounts (read from its files under $XDG_CONFIG_HOME/evolution/sources and through
 * its Sources D-Bus API with its own client library, test/goa/eds_client.py), its credentials
 * module reading the password through GetPassword, a restart of our service, a removal, and
 * the registry starting before the service.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, as, q, s } from '../harness/client.js';
import { testSecret, useFixture, type Fixture } from '../harness/fixture.js';
import { run, stopPid } from '../harness/process.js';
import { nameHasOwner, pidOfName, ROOT as REPO, SERVICE_BIN, waitFor, type Session } from '../harness/session.js';

const REGISTRY = '/usr/libexec/evolution-source-registry';
const EDS_CLIENT = join(REPO, 'test/goa/eds_client.py');
const SOURCES_NAME = 'org.gnome.evolution.dataserver.Sources5';

interface SourceFile {
  uid: string;
  text: string;
  accountId?: string;
  parent: string;
}

/** The registry's source files, read as it writes them. */
function sourceFiles(session: Session): SourceFile[] {
  const dir = join(session.env.XDG_CONFIG_HOME!, 'evolution', 'sources');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.source'));
  } catch {
    return [];
  }
  return names.map((n) => {
    const text = readFileSync(join(dir, n), 'utf8');
    return {
      uid: n.slice(0, -'.source'.length),
      text,
      accountId: /^AccountId=(.*)$/m.exec(text)?.[1],
      parent: /^Parent=(.*)$/m.exec(text)?.[1] ?? '',
    };
  });
}

/** The collection of a px account and its children. */
function sourcesOf(session: Session, id: string): SourceFile[] {
  const all = sourceFiles(session);
  const collection = all.find((f) => f.accountId === id);
  return collection ? [collection, ...all.filter((f) => f.parent === collection.uid)] : [];
}

/** One source as eds_client.py's `list` describes it (evolution-data-server's ESource). */
interface EdsSource {
  uid: string;
  parent: string;
  name: string;
  extensions: string[];
  goa?: { account_id: string; calendar_url: string | null; contacts_url: string | null };
  collection?: { backend: string };
  identity?: { name: string; address: string };
  mail_backend?: string;
  transport_backend?: string;
}

/** eds_client.py's answers: `list` the sources, `credentials` a source's password (or the error). */
async function edsClient(session: Session, command: 'list'): Promise<EdsSource[]>;
async function edsClient(
  session: Session,
  command: 'credentials',
  uid: string,
): Promise<{ password?: string | null; error?: string }>;
async function edsClient(session: Session, ...args: string[]): Promise<unknown> {
  const r = await run('/usr/bin/python3', [EDS_CLIENT, ...args], session.env, undefined, 30_000);
  if (r.code !== 0) throw new Error(`eds_client.py ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

/** The registry, started once per suite and stopped with it (no dconf on the private bus: settings in memory). */
function startRegistry(fx: Fixture): { log: () => string } {
  const child = spawn(REGISTRY, [], {
    env: { ...fx.session.env, GSETTINGS_BACKEND: 'memory', GOA_DEBUG: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  fx.onStop(() => stopPid(child.pid));
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  return { log: () => log };
}

const mailOptions = (port: number) => ({
  protocols: as(['imap', 'smtp']),
  'imap.host': s('127.0.0.1'),
  'imap.port': q(port),
  'imap.security': s('none'),
  'smtp.host': s('127.0.0.1'),
  'smtp.port': q(port + 1),
  'smtp.security': s('starttls'),
});
const idOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

describe("GOA view: evolution-data-server's registry makes and keeps its sources", function () {
  this.timeout(90_000);
  const fx = useFixture({ service: { args: ['--goa'] } });
  let session: Session;
  let registry: ReturnType<typeof startRegistry>;
  const secrets = { mail: testSecret(), dav: testSecret() };
  let mail = '';
  let dav = '';

  before(async () => {
    session = fx.session;
    mail = await fx.client.addAccount(
      'imap',
      'ada@example.org',
      { password: secrets.mail },
      { ...mailOptions(1143), 'identity.name': s('Ada Lovelace') },
    );
    dav = await fx.client.addAccount(
      'caldav',
      'dav-user',
      { password: secrets.dav },
      {
        protocols: as(['caldav', 'carddav']),
        'caldav.url': s('https://dav.example.org/cal/'),
        'carddav.url': s('https://dav.example.org/card/'),
      },
    );
    registry = startRegistry(fx);
    await waitFor('the registry on the bus', () => nameHasOwner(session.env, SOURCES_NAME), 20_000);
  });

  it('creates a mail collection (account, identity with the px identity, transport) and a WebDAV collection with the calendar and contacts URLs', async () => {
    await waitFor('the mail sources', () => sourcesOf(session, idOf(mail)).length === 4, 20_000);
    await waitFor('the DAV collection', () => sourcesOf(session, idOf(dav)).length >= 1, 20_000);
    const sources = await edsClient(session, 'list');
    const collection = sources.find((x) => x.goa?.account_id === idOf(mail));
    assert.ok(collection, 'the mail collection is a source');
    assert.equal(collection.collection?.backend, 'none');
    const children = sources.filter((x) => x.parent === collection.uid);
    assert.deepEqual(children.map((x) => x.extensions[0]).sort(), ['mail_account', 'mail_identity', 'mail_transport']);
    assert.equal(children.find((x) => x.mail_backend)?.mail_backend, 'imapx');
    assert.equal(children.find((x) => x.transport_backend)?.transport_backend, 'smtp');
    assert.deepEqual(children.find((x) => x.identity)?.identity, {
      name: 'Ada Lovelace',
      address: 'ada@example.org',
    });
    const account = sourcesOf(session, idOf(mail)).find(
      (f) => /\[Imapx? Backend\]|\[Network\]/.test(f.text) && /Host=127\.0\.0\.1/.test(f.text),
    );
    assert.ok(account, 'the IMAP host is in the mail account source');
    assert.match(account.text, /Port=1143/);
    const davCollection = sources.find((x) => x.goa?.account_id === idOf(dav));
    assert.equal(davCollection?.collection?.backend, 'webdav');
    assert.deepEqual(
      [davCollection?.goa?.calendar_url, davCollection?.goa?.contacts_url],
      ['https://dav.example.org/cal/', 'https://dav.example.org/card/'],
    );
  });

  it('its credentials module reads the password through GetPassword (audited with SecretAccessed)', async () => {
    const sources = sourcesOf(session, idOf(mail));
    const from = fx.client.signals.length;
    for (const src of sources.filter((x) => /\[Mail (Account|Transport)\]/.test(x.text))) {
      assert.deepEqual(await edsClient(session, 'credentials', src.uid), { password: secrets.mail }, src.uid);
    }
    await fx.client.waitSignal((x) => x.member === 'SecretAccessed' && x.body[0] === idOf(mail), 5000, from);
    const davCollection = sourcesOf(session, idOf(dav))[0]!;
    assert.deepEqual(await edsClient(session, 'credentials', davCollection.uid), { password: secrets.dav });
  });

  it('a restart of our service keeps the same sources', async () => {
    const before = sourceFiles(session)
      .filter((f) => f.accountId || f.parent)
      .map((f) => f.uid)
      .sort();
    await fx.stopService();
    await waitFor('the GOA name gone', async () => !(await nameHasOwner(session.env, 'org.gnome.OnlineAccounts')));
    await fx.startService();
    await waitFor('the GOA name back', () => nameHasOwner(session.env, 'org.gnome.OnlineAccounts'));
    // The registry handles its events in order: once a new account's sources are there, the
    // restart has been dealt with.
    const late = await fx.client.addAccount('imap', 'late@example.org', { password: testSecret() }, mailOptions(2143));
    await waitFor("the new account's sources", () => sourcesOf(session, idOf(late)).length === 4, 20_000);
    const after = sourceFiles(session)
      .filter((f) => (f.accountId || f.parent) && !sourcesOf(session, idOf(late)).some((x) => x.uid === f.uid))
      .map((f) => f.uid)
      .sort();
    assert.deepEqual(after, before);
    assert.doesNotMatch(registry.log(), /remove source/i);
  });

  it('removing the account removes its sources', async () => {
    const uids = sourcesOf(session, idOf(dav)).map((x) => x.uid);
    assert.ok(uids.length >= 1);
    await fx.client.call(dav, ACCOUNT, 'Remove');
    await waitFor('the DAV sources gone', () => !sourceFiles(session).some((f) => uids.includes(f.uid)), 20_000);
    assert.equal(sourcesOf(session, idOf(mail)).length, 4, "the other account's sources stay");
  });
});

describe("GOA view: evolution-data-server's registry started before the service", function () {
  this.timeout(90_000);
  // The fixture's service (without --goa) only makes the account of an earlier session; the bus starts the view.
  const fx = useFixture({ service: true });
  let session: Session;
  let registry: ReturnType<typeof startRegistry>;
  let id = '';
  let collectionUid = '';

  before(async () => {
    session = fx.session;
    id = idOf(await fx.client.addAccount('imap', 'early@example.org', { password: testSecret() }, mailOptions(3143)));
    await fx.stopService();
    // The sources of an earlier session: the registry's collection for the px account.
    const dir = join(session.env.XDG_CONFIG_HOME!, 'evolution', 'sources');
    mkdirSync(dir, { recursive: true });
    collectionUid = 'px-test-collection-0001';
    writeFileSync(
      join(dir, `${collectionUid}.source`),
      `[Data Source]\nDisplayName=early@example.org\nEnabled=true\nParent=\n\n[Authentication]\nIsExternal=true\n\n[Collection]\nBackendName=none\nIdentity=early@example.org\nMailEnabled=true\n\n[GNOME Online Accounts]\nAccountId=${id}\n`,
    );
    // The activation file docs/goa.md installs, pointed at this build: the bus starts the service for the registry.
    const shipped = readFileSync(join(REPO, 'dbus-config/goa/org.gnome.OnlineAccounts.service'), 'utf8');
    assert.match(shipped, /^Exec=\/usr\/bin\/env MALLOC_ARENA_MAX=1 \/usr\/local\/bin\/px-accounts-service --goa$/m);
    writeFileSync(
      join(session.servicesDir, 'org.gnome.OnlineAccounts.service'),
      shipped.replace('/usr/local/bin/px-accounts-service', `${process.execPath} ${SERVICE_BIN}`),
    );
    fx.onStop(async () => {
      if (await nameHasOwner(session.env, 'org.gnome.OnlineAccounts'))
        await stopPid(await pidOfName(session.env, 'org.gnome.OnlineAccounts'));
    });
    registry = startRegistry(fx);
  });

  it('the registry starts the service through D-Bus activation, pairs its collection with the account and deletes nothing', async () => {
    await waitFor('the registry on the bus', () => nameHasOwner(session.env, SOURCES_NAME), 20_000);
    await waitFor(
      'the service started by the bus',
      () => nameHasOwner(session.env, 'org.gnome.OnlineAccounts'),
      20_000,
    );
    // The registry's client, once it answers, has seen the accounts: the collection is still there.
    const sources = await edsClient(session, 'list');
    assert.ok(
      sources.some((x) => x.uid === collectionUid && x.goa?.account_id === id),
      'the collection was not deleted',
    );
    assert.ok(sourceFiles(session).some((f) => f.uid === collectionUid));
    await waitFor(
      'the collection paired',
      () => registry.log().includes(`Assign source '${collectionUid}' (enabled:1) with account '${id}'`),
      10_000,
    );
    assert.doesNotMatch(registry.log(), /doesn't exist, remove source/);
  });
});
