/**
 * Discovery against real DNS, real HTTPS and a real Dovecot, in a network namespace of its own
 * (netns.ts): the service under test has no hooks; it gets this world through
 * /etc/resolv.conf, NODE_EXTRA_CA_CERTS and PX_ACCOUNTS_ISPDB_URL, like any program would.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, as, b, errorOf, MANAGER, ROOT, type V } from '../harness/client.js';
import { nsTest as test, useDiscoveryWorld } from './fixture.js';
import { configXml, DAV, EXIM, ISPDB_URL, MAIL, NO_TLS, SILENT, WEB, type Zone } from './world.js';

const E = 'org.pantherx.Accounts.Error.';
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}`;
const xml = (d: string, host = `imap.${d}`) => ({
  body: configXml(
    [d],
    [
      { type: 'imap', host, port: 993, socket: 'SSL' },
      { type: 'smtp', host: `smtp.${d}`, port: 465, socket: 'SSL' },
    ],
  ),
});
const AC = (d: string) => `https://autoconfig.${d}/mail/config-v1.1.xml`;

const LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE clientConfig [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<clientConfig version="1.1"><emailProvider id="entity.test"><domain>entity.test</domain>
<incomingServer type="imap"><hostname>&e;</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
</emailProvider></clientConfig>`;

const hosts = (ip: string, ...names: string[]) => Object.fromEntries(names.map((n) => [n, ip]));
const ZONE: Zone = {
  hosts: {
    ...hosts(
      WEB,
      'ispdb.test',
      'autoconfig.ac.test',
      'wk.test',
      'autoconfig.mailhost.test',
      'autoconfig.prio.test',
      'autoconfig.plain.test',
      'autoconfig.entity.test',
      'autoconfig.big.test',
      'autoconfig.wrongdomain.test',
      'autoconfig.upgrade.test',
      'autoconfig.drop.test',
      'autoconfig.ok.test',
      'autoconfig.local.test',
      'autoconfig.okhoster.test',
      'autoconfig.dav.test',
      'autoconfig.wkdav.test',
      'wkdav.test',
      'autoconfig.exim.test',
    ),
    ...hosts(
      MAIL,
      'imap.ac.test',
      'smtp.ac.test',
      'imap.wk.test',
      'imap.srv.test',
      'smtp.srv.test',
      'dav.srv.test',
      'imap.hoster.test',
      'imap.guess.test',
      'smtp.guess.test',
      'imap.upgrade.test',
      'smtp.upgrade.test',
      'smtp.drop.test',
      'imap.ok.test',
      'smtp.ok.test',
      'imap.local.test',
      'smtp.local.test',
      'imap.okhoster.test',
      'smtp.okhoster.test',
      'imap.dav.test',
      'smtp.dav.test',
      'imap.wkdav.test',
      'smtp.wkdav.test',
      'imap.exim.test',
    ),
    ...hosts(
      SILENT,
      'autoconfig.slow.test',
      'slow.test',
      'autoconfig.silent.test',
      'silent.test',
      'imap.silent.test',
      'mail.silent.test',
      'smtp.silent.test',
      'pop.silent.test',
      'pop3.silent.test',
      'autoconfig.silenthost.test',
      'silenthost.test',
    ),
    'imap.drop.test': NO_TLS,
    'dav.dav.test': DAV,
    'smtp.exim.test': EXIM,
  },
  srv: [
    '_imaps._tcp.srv.test,imap.srv.test,993,0,1',
    '_submissions._tcp.srv.test',
    '_submission._tcp.srv.test,smtp.srv.test,587,0,1',
    '_caldavs._tcp.srv.test,dav.srv.test,443,0,1',
    '_carddavs._tcp.srv.test,dav.srv.test,8443,0,1',
    '_imaps._tcp.srvout.test,imap.hoster.test,993,0,1',
    '_imaps._tcp.prio.test,imap-srv.prio.test,993,0,1',
    '_imaps._tcp.prio2.test,imap-srv.prio2.test,993,0,1',
    '_imaps._tcp.slow.test,imap.slow.test,993,0,1',
    '_caldavs._tcp.dav.test,dav.dav.test,443,0,1',
    '_carddavs._tcp.dav.test,dav.dav.test,443,0,1',
  ],
  mx: {
    'custom.test': 'mx1.mailhost.test',
    'gapps.test': 'aspmx.l.google.com',
    'silent.test': 'mx.silenthost.test',
    'mxadd.test': 'mx.okhoster.test',
  },
  txt: {
    '_caldavs._tcp.srv.test': 'path=/dav/',
    '_caldavs._tcp.dav.test': 'path=/',
    '_carddavs._tcp.dav.test': 'path=/',
  },
  web: {
    [AC('ac.test')]: xml('ac.test'),
    'https://wk.test/.well-known/autoconfig/mail/config-v1.1.xml': xml('wk.test'),
    [`${ISPDB_URL}isp.test`]: xml('isp.test'),
    [`${ISPDB_URL}prio.test`]: xml('prio.test', 'imap-isp.prio.test'),
    [`${ISPDB_URL}prio2.test`]: xml('prio2.test', 'imap-isp.prio2.test'),
    [`${ISPDB_URL}silent.test`]: { never: true },
    [`${ISPDB_URL}silenthost.test`]: { never: true },
    [AC('mailhost.test')]: xml('mailhost.test'),
    [AC('prio.test')]: {
      ...xml('prio.test', 'imap-ac.prio.test'),
      heldUntil: (w) => Promise.all([w.dnsAnswered('_imaps._tcp.prio.test'), w.answered(`${ISPDB_URL}prio.test`)]),
    },
    'http://autoconfig.plain.test/mail/config-v1.1.xml': xml('plain.test'),
    [AC('entity.test')]: { body: LAUGHS },
    [AC('big.test')]: { bytes: 50 * 1024 * 1024 },
    [AC('wrongdomain.test')]: xml('other.test'),
    [AC('upgrade.test')]: {
      body: configXml(
        ['upgrade.test'],
        [
          { type: 'imap', host: 'imap.upgrade.test', port: 143, socket: 'plain' },
          { type: 'smtp', host: 'smtp.upgrade.test', port: 587, socket: 'plain' },
        ],
      ),
    },
    [AC('drop.test')]: {
      body: configXml(
        ['drop.test'],
        [
          { type: 'imap', host: 'imap.drop.test', port: 143, socket: 'plain' },
          { type: 'smtp', host: 'smtp.drop.test', port: 465, socket: 'SSL' },
        ],
      ),
    },
    [AC('ok.test')]: xml('ok.test'),
    [AC('local.test')]: xml('local.test'),
    [AC('okhoster.test')]: xml('okhoster.test'),
    [AC('dav.test')]: xml('dav.test'),
    [AC('wkdav.test')]: xml('wkdav.test'),
    [AC('exim.test')]: {
      body: configXml(
        ['exim.test'],
        [
          { type: 'imap', host: 'imap.exim.test', port: 993, socket: 'SSL' },
          { type: 'smtp', host: 'smtp.exim.test', port: 587, socket: 'STARTTLS' },
        ],
      ),
    },
    'https://wkdav.test/.well-known/caldav': { redirect: 'https://dav.dav.test/' },
    'https://wkdav.test/.well-known/carddav': { redirect: 'https://dav.dav.test/' },
  },
};
const USERS = {
  'alice@ok.test': PASSWORD,
  bob: PASSWORD,
  'carol@mxadd.test': PASSWORD,
  'erin@dav.test': PASSWORD,
  'frank@wkdav.test': PASSWORD,
  'gina@exim.test': PASSWORD,
};

describe('discovery (own network namespace: dnsmasq, HTTPS, Dovecot, Radicale)', function () {
  const fx = useDiscoveryWorld(import.meta.filename, ZONE, USERS, { minutes: 11 });

  /** Discover's answer as plain values. */
  async function discover(address: string, options: Record<string, V> = {}): Promise<Record<string, unknown>> {
    const [answer] = await fx.client.call(ROOT, MANAGER, 'Discover', 'sa{sv}', [address, options]);
    return Object.fromEntries(Object.entries(answer as Record<string, V>).map(([k, v]) => [k, v.value]));
  }
  const discoverFails = (address: string, options: Record<string, V> = {}) =>
    errorOf(fx.client.call(ROOT, MANAGER, 'Discover', 'sa{sv}', [address, options]));
  /** What the world's DNS and web servers were asked for `domain` since `webBefore` requests. */
  const askedAbout = async (domain: string, webBefore: number) => ({
    dns: (await fx.world.dnsQueries()).filter((n) => n === domain || n.endsWith(`.${domain}`)),
    web: fx.world.requests.slice(webBefore).filter((u) => u.includes(domain)),
  });
  const accountFile = (path: string) =>
    readFileSync(join(fx.session.accountsDir, `${path.split('/').pop()}.ini`), 'utf8');

  describe('each source alone', () => {
    test('catalogue: a provider of the catalogue from its domain, asking no network', async () => {
      const before = fx.world.requests.length;
      const r = await discover('someone@fastmail.com');
      assert.equal(r.source, 'catalogue');
      assert.equal(r.provider, 'fastmail');
      assert.equal(r.trusted, true);
      assert.equal(r.domain, 'fastmail.com');
      assert.deepEqual(r.protocols, ['imap', 'smtp', 'caldav', 'carddav']);
      assert.equal(r['imap.host'], 'imap.fastmail.com');
      assert.equal(r['imap.port'], 993);
      assert.equal(r['imap.security'], 'tls');
      assert.equal(r['imap.username'], 'someone@fastmail.com');
      assert.equal(r['caldav.url'], 'https://caldav.fastmail.com/');
      assert.equal(r.auth, 'password');
      assert.deepEqual(await askedAbout('fastmail.com', before), { dns: [], web: [] }, 'nothing asked of the network');
    });

    test('database: a big provider from the shipped database, with no network at all', async () => {
      const before = fx.world.requests.length;
      const r = await discover('jemand@posteo.de');
      assert.equal(r.source, 'database');
      assert.equal(r.provider, '');
      assert.equal(r.trusted, true);
      assert.deepEqual(r.protocols, ['imap', 'smtp']);
      assert.equal(r['imap.host'], 'posteo.de');
      assert.equal(r['imap.port'], 993);
      assert.equal(r['smtp.port'], 465);
      assert.equal(r['smtp.username'], 'jemand@posteo.de');
      // a domain of the same entry, and a provider the catalogue names by its servers
      assert.equal((await discover('x@posteo.net'))['imap.host'], 'posteo.de');
      // answered without waiting for any network source: none was started (no DNS question, no request)
      assert.deepEqual(await askedAbout('posteo.de', before), { dns: [], web: [] });
      assert.deepEqual(await askedAbout('posteo.net', before), { dns: [], web: [] });
    });

    test('autoconfig: HTTPS at autoconfig.<domain>, trusted, the address sent to nobody', async () => {
      const r = await discover('zq7user@ac.test');
      assert.equal(r.source, 'autoconfig');
      assert.equal(r.trusted, true);
      assert.equal(r.domain, 'ac.test');
      assert.deepEqual(r.protocols, ['imap', 'smtp']);
      assert.equal(r['imap.host'], 'imap.ac.test');
      assert.equal(r['imap.username'], 'zq7user@ac.test');
      assert.equal(r['smtp.host'], 'smtp.ac.test');
      assert.equal(r['smtp.security'], 'tls');
      assert.ok(fx.world.requests.includes(AC('ac.test')), fx.world.requests.join(' '));
      assert.deepEqual(
        fx.world.requests.filter((u) => /zq7user|%40|@/.test(u)),
        [],
      );
    });

    test('autoconfig: HTTPS at <domain>/.well-known/autoconfig', async () => {
      const r = await discover('someone@wk.test');
      assert.equal(r.source, 'autoconfig');
      assert.equal(r.trusted, true);
      assert.equal(r['imap.host'], 'imap.wk.test');
      // its web server answers 404 to a PROPFIND of /.well-known/caldav: no calendars there
      assert.deepEqual(r.protocols, ['imap', 'smtp']);
    });

    test('srv: RFC 6186 and 8314 records ("." is not offered), RFC 6764 with TXT path=', async () => {
      const r = await discover('someone@srv.test');
      assert.equal(r.source, 'srv');
      assert.equal(r.trusted, true);
      assert.deepEqual(r.protocols, ['imap', 'smtp', 'caldav', 'carddav']);
      assert.deepEqual([r['imap.host'], r['imap.port'], r['imap.security']], ['imap.srv.test', 993, 'tls']);
      // _submissions says "not offered": _submission is used, with STARTTLS
      assert.deepEqual([r['smtp.host'], r['smtp.port'], r['smtp.security']], ['smtp.srv.test', 587, 'starttls']);
      assert.equal(r['caldav.url'], 'https://dav.srv.test/dav/');
      assert.equal(r['carddav.url'], 'https://dav.srv.test:8443/.well-known/carddav');
      // the questions were asked of the world's DNS (as "no network" above reads them)
      assert.ok((await askedAbout('srv.test', 0)).dns.includes('_imaps._tcp.srv.test'));
    });

    test('srv: a target in another domain is not trusted', async () => {
      const r = await discover('someone@srvout.test');
      assert.equal(r.source, 'srv');
      assert.equal(r.trusted, false);
      assert.equal(r.domain, 'srvout.test');
      assert.equal(r['imap.host'], 'imap.hoster.test');
    });

    test('ispdb: the online ISPDB, sent the domain and nothing else', async () => {
      const r = await discover('zq8user@isp.test');
      assert.equal(r.source, 'ispdb');
      assert.equal(r.trusted, true);
      assert.equal(r['imap.host'], 'imap.isp.test');
      assert.deepEqual(
        fx.world.requests.filter((u) => u.startsWith(ISPDB_URL) && u.includes('isp.test')),
        [`${ISPDB_URL}isp.test`],
      );
    });

    test('mx: the settings of the domain receiving the mail, not trusted, that domain named', async () => {
      const r = await discover('someone@custom.test');
      assert.equal(r.source, 'mx');
      assert.equal(r.trusted, false);
      assert.equal(r.domain, 'mailhost.test');
      assert.equal(r['imap.host'], 'imap.mailhost.test');
      assert.equal(r['imap.username'], 'someone@custom.test');
    });

    test("mx: the MX host's registrable domain after its full domain (a custom domain at Google)", async () => {
      const r = await discover('someone@gapps.test');
      assert.equal(r.source, 'mx');
      assert.equal(r.trusted, false);
      assert.equal(r.domain, 'google.com');
      assert.equal(r.provider, 'google', 'the catalogue provider with these servers');
      assert.equal(r['imap.host'], 'imap.gmail.com');
    });

    test('guess: the usual host names on the TLS ports, with a valid certificate', async () => {
      const r = await discover('someone@guess.test');
      assert.equal(r.source, 'guess');
      assert.equal(r.trusted, true);
      assert.deepEqual(r.protocols, ['imap', 'smtp']);
      assert.deepEqual([r['imap.host'], r['imap.port'], r['imap.security']], ['imap.guess.test', 993, 'tls']);
      assert.deepEqual([r['smtp.host'], r['smtp.port'], r['smtp.security']], ['smtp.guess.test', 465, 'tls']);
      // without probing, nothing is found there
      const none = await discoverFails('someone@guess.test', { probe: b(false) });
      assert.equal(none.type, E + 'NotFound');
    });

    test('plain HTTP only as the last resort: not trusted, sent no address', async () => {
      const r = await discover('zq9user@plain.test');
      assert.equal(r.source, 'autoconfig');
      assert.equal(r.trusted, false);
      assert.equal(r['imap.host'], 'imap.plain.test');
      const plain = fx.world.requests.filter((u) => u.startsWith('http://'));
      assert.deepEqual(plain, ['http://autoconfig.plain.test/mail/config-v1.1.xml']);
    });
  });

  describe('priority, not arrival', () => {
    test('autoconfig answering last still wins over SRV and the ISPDB', async () => {
      // the autoconfig file is held back until dnsmasq answered the SRV question and the ISPDB its request (ZONE)
      const r = await discover('someone@prio.test');
      assert.equal(r.source, 'autoconfig');
      assert.equal(r['imap.host'], 'imap-ac.prio.test');
      const [ispdb, autoconfig] = await Promise.all([
        fx.world.answered(`${ISPDB_URL}prio.test`),
        fx.world.answered(AC('prio.test')),
      ]);
      assert.ok(ispdb.complete && autoconfig.complete, 'both answers were read to the end');
    });

    test('SRV over the online ISPDB', async () => {
      const r = await discover('someone@prio2.test');
      assert.equal(r.source, 'srv');
      assert.equal(r['imap.host'], 'imap-srv.prio2.test');
    });

    test('the protocols option: only those', async () => {
      const r = await discover('someone@srv.test', { protocols: as(['caldav']) });
      assert.deepEqual(r.protocols, ['caldav']);
      assert.equal(r['imap.host'], undefined);
      assert.equal(r['caldav.url'], 'https://dav.srv.test/dav/');
    });
  });

  describe('bounds', () => {
    test('a server that never answers holds up nothing but its own source: SRV once the silent requests were given up', async () => {
      const opened = fx.world.silentOpened();
      const r = await discover('someone@slow.test');
      assert.equal(r.source, 'srv');
      assert.equal(r['imap.host'], 'imap.slow.test');
      // autoconfig (before SRV) was asked of the silent server at both of its places, which never
      // answered: the service ended those requests itself and left nothing open
      assert.ok(fx.world.silentOpened() - opened >= 2, `${fx.world.silentOpened() - opened} connections`);
      await fx.world.silentIdle();
    });

    test('every server silent: NotFound naming the domain, within the deadline; 4 at once per app', async () => {
      const ended: string[] = [];
      const all = await Promise.all(
        ['a', 'b', 'c', 'd', 'e'].map((x) =>
          discoverFails(`${x}@silent.test`).then((err) => (ended.push(err.type), err)),
        ),
      );
      // the fifth is refused at once: before any of the four running ones ended
      assert.deepEqual(ended, [E + 'LimitExceeded', ...Array<string>(4).fill(E + 'NotFound')]);
      const r = all.find((x) => x.type !== E + 'LimitExceeded')!;
      assert.match(r.text, /silent\.test/);
      // every request ended at its own bound; the plain-HTTP last resort, asked then, at the deadline
      assert.match(r.text, /autoconfig: https:\/\/autoconfig\.silent\.test\/\S+: no answer within 5000 ms/);
      assert.match(r.text, /autoconfig over plain HTTP: no answer within 8000 ms/);
      await fx.world.silentIdle();
      // the service is still there
      assert.equal((await discover('a@posteo.de')).source, 'database');
    });

    test('nothing found: NotFound naming the domain and what was tried, at once', async () => {
      const r = await discoverFails('someone@nothing.test');
      assert.equal(r.type, E + 'NotFound');
      assert.match(r.text, /nothing\.test/);
      for (const tried of ['catalogue', 'database', 'autoconfig', 'srv', 'ispdb', 'mx', 'guess'])
        assert.match(r.text, new RegExp(tried));
      // at once: every source ended with its own answer, none at a bound or the deadline
      assert.doesNotMatch(r.text, /no answer within|cancelled|not asked/);
    });

    test('not an address, or a bad option: InvalidArgument', async () => {
      for (const bad of ['', 'no-at-sign', 'a@nodot', 'a@b..test', '@x.test']) {
        assert.equal((await discoverFails(bad)).type, E + 'InvalidArgument', bad);
      }
      assert.equal((await discoverFails('a@x.test', { protocols: as(['sftp']) })).type, E + 'InvalidArgument');
      assert.equal((await discoverFails('a@x.test', { colour: b(true) })).type, E + 'InvalidArgument');
    });
  });

  describe('hostile and plaintext answers', () => {
    test('entity declarations are refused, never expanded', async () => {
      const r = await discoverFails('someone@entity.test');
      assert.equal(r.type, E + 'NotFound');
      assert.match(r.text, /DTD or entities/);
    });

    test('a 50 MB answer is cut at the size cap', async () => {
      const r = await discoverFails('someone@big.test');
      assert.equal(r.type, E + 'NotFound');
      assert.match(r.text, /too large/);
      // the service stopped reading at the cap: the server could not write its 50 MB
      const answer = await fx.world.answered(AC('big.test'));
      assert.equal(answer.complete, false);
      assert.ok(answer.bytes < 50 * 1024 * 1024, `${answer.bytes} bytes written`);
    });

    test('a config for another <domain> is refused', async () => {
      const r = await discoverFails('someone@wrongdomain.test');
      assert.equal(r.type, E + 'NotFound');
      assert.match(r.text, /other\.test, not wrongdomain\.test/);
    });

    test('plaintext only: upgraded to STARTTLS where the server offers it', async () => {
      const r = await discover('someone@upgrade.test');
      assert.equal(r.source, 'autoconfig');
      assert.deepEqual([r['imap.host'], r['imap.port'], r['imap.security']], ['imap.upgrade.test', 143, 'starttls']);
      assert.deepEqual([r['smtp.port'], r['smtp.security']], [587, 'starttls']);
      // asked not to connect anywhere, plaintext cannot be upgraded: nothing is left
      assert.equal((await discoverFails('someone@upgrade.test', { probe: b(false) })).type, E + 'NotFound');
    });

    test('plaintext only: left out where the server offers no STARTTLS', async () => {
      const r = await discover('someone@drop.test');
      assert.deepEqual(r.protocols, ['smtp']);
      assert.equal(r['imap.host'], undefined);
      assert.equal(r['smtp.security'], 'tls');
    });
  });

  describe('AddAccount with no provider, against Dovecot and Radicale', () => {
    test('trusted settings are checked and saved, with source and domain in the file', async () => {
      const path = await fx.client.addAccount('', 'alice@ok.test', { password: PASSWORD });
      const file = accountFile(path);
      assert.match(file, /^source = autoconfig$/m);
      assert.match(file, /^domain = ok\.test$/m);
      assert.match(file, /^host = imap\.ok\.test$/m);
      assert.match(file, /^protocols = imap, smtp$/m);
      assert.equal(await fx.client.get(path, ACCOUNT, 'DiscoverySource'), 'autoconfig');
      assert.equal(await fx.client.get(path, ACCOUNT, 'DiscoveryDomain'), 'ok.test');
      assert.equal(await fx.client.get(path, ACCOUNT, 'Provider'), 'imap');
    });

    test('mail from autoconfig, calendars and contacts from SRV: all four checked (Dovecot, Radicale) and saved with their home sets', async () => {
      const r = await discover('erin@dav.test');
      assert.equal(r.source, 'autoconfig');
      assert.equal(r.trusted, true);
      assert.deepEqual(r.protocols, ['imap', 'smtp', 'caldav', 'carddav']);
      // Discover, without a password, gives the context URL (SRV, TXT path=/)
      assert.equal(r['caldav.url'], 'https://dav.dav.test/');
      const path = await fx.client.addAccount('', 'erin@dav.test', { password: PASSWORD });
      assert.deepEqual(await fx.client.get(path, ACCOUNT, 'Protocols'), ['imap', 'smtp', 'caldav', 'carddav']);
      // AddAccount followed it with the credentials: current-user-principal, then the home set
      // (Radicale names the principal URL-encoded, /erin%40dav.test/)
      const home = 'https://dav.dav.test/erin%40dav.test/';
      assert.equal(await fx.client.get(path, 'org.pantherx.Accounts.CalDav', 'Url'), home);
      assert.equal(await fx.client.get(path, 'org.pantherx.Accounts.CardDav', 'Url'), home);
      assert.equal(
        accountFile(path).match(/^url = https:\/\/dav\.dav\.test\/erin%40dav\.test\/$/gm)?.length,
        2,
        accountFile(path),
      );
      // and the account checks from there
      const [results] = await fx.client.call(path, ACCOUNT, 'Verify');
      const codes = Object.fromEntries(
        Object.entries(results as Record<string, V>).map(([p, v]) => [p, (v.value as Record<string, V>).code!.value]),
      );
      assert.deepEqual(codes, { imap: 'Ok', smtp: 'Ok', caldav: 'Ok', carddav: 'Ok' });
    });

    test("calendars and contacts from the domain's well-known URIs (RFC 6764) where it has no SRV records", async () => {
      const r = await discover('frank@wkdav.test');
      assert.equal(r.source, 'autoconfig');
      assert.equal(r.trusted, true);
      assert.deepEqual(r.protocols, ['imap', 'smtp', 'caldav', 'carddav']);
      assert.equal(r['caldav.url'], 'https://dav.dav.test/');
      assert.equal(r['carddav.url'], 'https://dav.dav.test/');
      const path = await fx.client.addAccount('', 'frank@wkdav.test', { password: PASSWORD });
      assert.deepEqual(await fx.client.get(path, ACCOUNT, 'Protocols'), ['imap', 'smtp', 'caldav', 'carddav']);
      // followed through the redirect to the principal and its home set
      assert.equal(
        await fx.client.get(path, 'org.pantherx.Accounts.CalDav', 'Url'),
        'https://dav.dav.test/frank%40wkdav.test/',
      );
    });

    test('SMTP with STARTTLS on Exim, IMAP on Dovecot: both checked and saved', async () => {
      const path = await fx.client.addAccount('', 'gina@exim.test', { password: PASSWORD });
      const file = accountFile(path);
      assert.match(file, /^host = smtp\.exim\.test$/m);
      assert.match(file, /^security = starttls$/m);
      const err = await errorOf(fx.client.addAccount('', 'hugo@exim.test', { password: PASSWORD }));
      assert.equal(err.type, E + 'VerificationFailed');
      assert.match(err.text, /smtp: Unauthorized/);
    });

    test('the local part when the server refuses the address (two forms at most)', async () => {
      const path = await fx.client.addAccount('', 'bob@local.test', { password: PASSWORD });
      const file = accountFile(path);
      assert.match(file, /^username = bob$/m);
      assert.match(file, /^domain = local\.test$/m);
    });

    test('settings found through MX are refused without trust, saved with it', async () => {
      const err = await errorOf(fx.client.addAccount('', 'carol@mxadd.test', { password: PASSWORD }));
      assert.equal(err.type, E + 'InvalidArgument');
      assert.match(err.text, /okhoster\.test/);
      assert.match(err.text, /trust/);
      assert.equal(Object.keys(await fx.client.managedObjects()).filter((p) => p.includes('carol')).length, 0);
      const path = await fx.client.addAccount('', 'carol@mxadd.test', { password: PASSWORD }, { trust: b(true) });
      const file = accountFile(path);
      assert.match(file, /^source = mx$/m);
      assert.match(file, /^domain = okhoster\.test$/m);
      assert.equal(await fx.client.get(path, ACCOUNT, 'DiscoverySource'), 'mx');
      assert.equal(await fx.client.get(path, ACCOUNT, 'DiscoveryDomain'), 'okhoster.test');
    });

    test('an account added otherwise says it was not discovered', async () => {
      const path = await fx.client.addAccount('fastmail', 'someone@fastmail.com', { password: PASSWORD });
      assert.equal(await fx.client.get(path, ACCOUNT, 'DiscoverySource'), '');
      assert.equal(await fx.client.get(path, ACCOUNT, 'DiscoveryDomain'), '');
      assert.doesNotMatch(accountFile(path), /^source =/m);
    });

    test('a wrong password saves nothing', async () => {
      const err2 = await errorOf(fx.client.addAccount('', 'dave@ok.test', { password: 'wrong' }));
      assert.equal(err2.type, E + 'VerificationFailed');
      assert.match(err2.text, /imap: Unauthorized/);
      assert.equal(Object.keys(await fx.client.managedObjects()).filter((p) => p.includes('dave')).length, 0);
    });
  });
});
