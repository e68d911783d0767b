/** Discovery's pure parts: the address, the config reader, the trust rules, MX domains, the runner's order. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mock } from 'node:test';
import { ROOT } from '../harness/session.js';
import { parseAddress, expand } from '../../src/discovery/address.js';
import { ConfigError, parseConfig } from '../../src/discovery/autoconfig-xml.js';
import { runSources, type NamedSource } from '../../src/discovery/runner.js';
import { mxDomains } from '../../src/discovery/sources/mx.js';
import { catalogueByServers } from '../../src/discovery/sources/shipped.js';
import { inside, noPlaintext, trusted } from '../../src/discovery/trust.js';
import type { Found } from '../../src/discovery/types.js';
import type { Discovered } from '../../src/discovery/discovery.js';
import { asOptions, checkUsable, providerOf, splitOptions } from '../../src/accounts/discovered.js';
import { BUILTIN_PROVIDER_DIR, Catalogue } from '../../src/providers/catalogue.js';

const A = parseAddress('Jo.Doe@Example.ORG');
const found = (source: Found['source'], host: string): Found => ({
  source,
  domain: 'example.org',
  trusted: true,
  provider: '',
  auth: 'password',
  urls: {},
  servers: { imap: { host, port: 993, security: 'tls', username: 'x' } },
});
/** A promise the test settles when it chooses. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
/** Runs every promise job already queued (and those they queue): a macrotask runs only after them. */
const settle = () => new Promise<void>((r) => setImmediate(r));
/** Whether `p` has settled, as of now. */
function watch<T>(p: Promise<T>): { readonly settled: boolean } {
  const state = { settled: false };
  void p.finally(() => (state.settled = true));
  return state;
}

describe('discovery units', () => {
  it('an address: the domain lower-cased and in ASCII, the local part kept', () => {
    assert.deepEqual(parseAddress('Jo.Doe@Example.ORG'), {
      address: 'Jo.Doe@example.org',
      local: 'Jo.Doe',
      domain: 'example.org',
    });
    assert.equal(parseAddress('a@bücher.example').domain, 'xn--bcher-kva.example');
    for (const bad of ['', 'x', '@a.b', 'a@', 'a@b', 'a@-b.c', 'a b@c.d', 'a@b_c.d', '.a@b.c', 'a..b@c.d'])
      assert.throws(() => parseAddress(bad), /InvalidArgument|not an e-mail address|must be/);
    assert.equal(expand('%EMAILLOCALPART%.%EMAILDOMAIN%|%EMAILADDRESS%', A), 'Jo.Doe.example.org|Jo.Doe@example.org');
  });

  it('the config reader: placeholders, preference of an encrypted server, OAuth2-only', () => {
    const xml = `<?xml version="1.0"?><clientConfig version="1.1"><emailProvider id="e"><domain>Example.org</domain>
      <incomingServer type="imap"><hostname>plain.%EMAILDOMAIN%</hostname><port>143</port><socketType>plain</socketType><username>%EMAILLOCALPART%</username></incomingServer>
      <incomingServer type="imap"><hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILLOCALPART%</username><authentication>OAuth2</authentication></incomingServer>
      <outgoingServer type="smtp"><hostname>smtp.example.org</hostname><port>587</port><socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username></outgoingServer>
      <incomingServer type="exchange"><hostname>ews.example.org</hostname><port>443</port><socketType>SSL</socketType></incomingServer>
    </emailProvider></clientConfig>`;
    const c = parseConfig(xml, 'example.org', A);
    assert.deepEqual(c.servers.imap, { host: 'imap.example.org', port: 993, security: 'tls', username: 'Jo.Doe' });
    assert.deepEqual(c.servers.smtp, {
      host: 'smtp.example.org',
      port: 587,
      security: 'starttls',
      username: 'Jo.Doe@example.org',
    });
    assert.equal(c.oauth2Only, true);
  });

  it('the config reader refuses a DTD, another domain, bad values and non-XML', () => {
    const ok = (d: string, host = 'imap.example.org', port = '993') =>
      `<clientConfig><emailProvider><domain>${d}</domain><incomingServer type="imap"><hostname>${host}</hostname><port>${port}</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>`;
    assert.throws(
      () => parseConfig(`<!DOCTYPE x [<!ENTITY a "b">]>${ok('example.org')}`, 'example.org', A),
      ConfigError,
    );
    assert.throws(() => parseConfig(ok('example.com'), 'example.org', A), /for example\.com, not example\.org/);
    assert.throws(() => parseConfig(ok('example.org', 'bad host!'), 'example.org', A), /no IMAP, POP3 or SMTP/);
    assert.throws(
      () => parseConfig(ok('example.org', 'imap.example.org', '70000'), 'example.org', A),
      /no IMAP, POP3 or SMTP/,
    );
    assert.throws(() => parseConfig('<<<', 'example.org', A), ConfigError);
    assert.throws(
      () => parseConfig(ok('example.org', 'imap&#x110000;.example.org'), 'example.org', A),
      /no IMAP, POP3 or SMTP/,
    );
    assert.equal(
      parseConfig(ok('example&#46;org', 'imap&#x2e;example.org'), 'example.org', A).servers.imap?.host,
      'imap.example.org',
    );
    assert.throws(() => parseConfig(' '.repeat(300 * 1024), 'example.org', A), /too large/);
  });

  it('trust: every hop must be trusted; DNS only inside the own domain', () => {
    assert.ok(
      inside('imap.example.org', 'example.org') &&
        inside('example.org.', 'Example.org') &&
        !inside('badexample.org', 'example.org'),
    );
    assert.equal(trusted([{ kind: 'shipped' }]), true);
    assert.equal(trusted([{ kind: 'https' }]), true);
    assert.equal(trusted([{ kind: 'https' }, { kind: 'mx' }]), false);
    assert.equal(trusted([{ kind: 'http' }]), false);
    assert.equal(
      trusted([{ kind: 'dns', domain: 'example.org', hosts: ['imap.example.org', 'smtp.example.org'] }]),
      true,
    );
    assert.equal(
      trusted([{ kind: 'dns', domain: 'example.org', hosts: ['imap.example.org', 'smtp.hoster.net'] }]),
      false,
    );
    assert.equal(trusted([]), false);
  });

  it('no plaintext: upgraded where STARTTLS is offered, dropped elsewhere and without probing', async () => {
    const f: Found = {
      ...found('autoconfig', 'x'),
      servers: {
        imap: { host: 'a', port: 143, security: 'none', username: 'u' },
        smtp: { host: 'b', port: 25, security: 'none', username: 'u' },
        pop3: { host: 'c', port: 995, security: 'tls', username: 'u' },
      },
      urls: { caldav: 'http://dav/' },
    };
    const asked: string[] = [];
    await noPlaintext(f, async (p, host, port) => {
      asked.push(`${p} ${host}:${port}`);
      return p === 'smtp';
    });
    assert.deepEqual(asked, ['imap a:143', 'smtp b:587']);
    assert.deepEqual(Object.keys(f.servers).sort(), ['pop3', 'smtp']);
    assert.deepEqual(f.servers.smtp, { host: 'b', port: 587, security: 'starttls', username: 'u' });
    assert.deepEqual(f.urls, {});
    const g: Found = {
      ...found('srv', 'x'),
      servers: { imap: { host: 'a', port: 143, security: 'none', username: 'u' } },
    };
    await noPlaintext(g, undefined);
    assert.deepEqual(g.servers, {});
  });

  it("MX: the host's domain in full, then its registrable domain, never the address's own", () => {
    assert.deepEqual(mxDomains('aspmx.l.google.com', 'example.org'), ['l.google.com', 'google.com']);
    assert.deepEqual(mxDomains('example-org.mail.protection.outlook.com', 'example.org'), [
      'mail.protection.outlook.com',
      'outlook.com',
    ]);
    assert.deepEqual(mxDomains('mx.example.co.uk', 'example.co.uk'), []);
    assert.deepEqual(mxDomains('mx.example.org', 'lists.example.org'), ['example.org']);
    assert.deepEqual(mxDomains('in1-smtp.messagingengine.com', 'me.example'), ['messagingengine.com']);
  });

  describe('the runner', () => {
    // its clock (the deadline's timer, Date) is the test's: time passes when the test says
    beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
    afterEach(() => mock.timers.reset());
    const opts = { address: A, probe: false, requestMs: 100, totalMs: 300, wantDav: [], finish: async (f: Found) => f };
    const src = (name: string, f: Found | undefined): NamedSource => ({ name, run: async () => f });

    it('by priority, not arrival: nothing is taken while a source before it has not answered', async () => {
      const first = deferred<Found | undefined>();
      const running = runSources(
        [],
        [{ name: 'slow-first', run: () => first.promise }, src('fast-second', found('srv', 'second'))],
        opts,
      );
      const state = watch(running);
      await settle();
      assert.equal(state.settled, false, 'the second source answered, the first not yet: no result');
      first.resolve(found('autoconfig', 'first'));
      assert.equal((await running).found?.servers.imap?.host, 'first');
    });

    it('bounded: a source that never ends is waited for until the deadline, then the best answer in hand is taken', async () => {
      const never: NamedSource = { name: 'never', run: () => new Promise<undefined>(() => undefined) };
      const running = runSources([], [never, src('quick', found('srv', 'quick'))], opts);
      const state = watch(running);
      await settle();
      mock.timers.tick(299);
      await settle();
      assert.equal(state.settled, false, 'the quick answer is not taken before the deadline');
      mock.timers.tick(1);
      const r = await running;
      assert.equal(r.found?.servers.imap?.host, 'quick');
      assert.equal(r.ms, 300, 'at the deadline, on the test’s clock');
      assert.ok(
        r.tried.some((t) => /never: no answer within 300 ms/.test(t)),
        r.tried.join('; '),
      );
    });

    it('a last resort is not asked while anything before it answers', async () => {
      let asked = false;
      const r = await runSources(
        [],
        [
          src('a', found('srv', 'a')),
          {
            name: 'last',
            lastResort: true,
            run: async () => {
              asked = true;
              return undefined;
            },
          },
        ],
        opts,
      );
      assert.equal(asked, false);
      assert.equal(r.found?.servers.imap?.host, 'a');
    });

    it('the shipped sources answer before any network source is started', async () => {
      let started = false;
      const r = await runSources(
        [src('shipped', found('database', 'db'))],
        [
          {
            name: 'net',
            run: async () => {
              started = true;
              return undefined;
            },
          },
        ],
        opts,
      );
      assert.equal(r.found?.source, 'database');
      assert.equal(started, false);
    });

    it('nothing: every source’s note, in order', async () => {
      const r = await runSources(
        [],
        [
          {
            name: 'x',
            run: async (ctx) => {
              ctx.note('x: nothing');
              return undefined;
            },
          },
          {
            name: 'y',
            run: async () => {
              throw new Error('boom');
            },
          },
        ],
        opts,
      );
      assert.equal(r.found, undefined);
      assert.deepEqual(r.tried, ['x: nothing', 'y: boom']);
    });
  });

  it('AddAccount with no provider: its options, the trust refusal, the settings for each user-name form', () => {
    const catalogue = Catalogue.load([BUILTIN_PROVIDER_DIR]);
    const v = (signature: string, value: unknown) => ({ signature, value });
    const split = splitOptions({
      trust: v('b', true),
      probe: v('b', false),
      protocols: v('as', ['imap']),
      name: v('s', 'Work'),
      verify: v('b', true),
    });
    assert.equal(split.trust, true);
    assert.deepEqual(split.discover, { probe: false, protocols: ['imap'] });
    assert.deepEqual(Object.keys(split.rest).sort(), ['name', 'protocols']);
    assert.throws(() => splitOptions({ verify: v('b', false) }), /always checked first/);
    assert.throws(() => splitOptions({ trust: v('s', 'yes') }), /trust must be a boolean/);

    const address = parseAddress('jo@example.org');
    const d: Discovered = {
      ...found('mx', 'imap.hoster.net'),
      domain: 'hoster.net',
      trusted: false,
      address,
      protocols: ['imap', 'caldav'],
      tried: [],
      ms: 1,
      urls: { caldav: 'https://dav.hoster.net/' },
    };
    assert.throws(
      () => checkUsable(d, false, catalogue),
      /not trusted \(found through the MX records of example\.org, which point to hoster\.net/,
    );
    checkUsable(d, true, catalogue);
    assert.throws(() => checkUsable({ ...d, trusted: true, auth: 'oauth2' }, false, catalogue), /OAuth2/);

    const manual = providerOf(d, catalogue);
    assert.equal(manual.id, 'imap');
    assert.equal(manual.manual, true);
    d.servers.imap!.username = 'jo@example.org';
    assert.deepEqual(asOptions(d, manual, { name: v('s', 'Work') }), {
      'imap.host': v('s', 'imap.hoster.net'),
      'imap.port': v('q', 993),
      'imap.security': v('s', 'tls'),
      'caldav.url': v('s', 'https://dav.hoster.net/'),
      protocols: v('as', ['imap', 'caldav']),
      name: v('s', 'Work'),
    });
    // the second form: the local part where the address was refused
    assert.deepEqual(asOptions(d, manual, {}, new Set(['imap']))['imap.username'], v('s', 'jo'));
    // a catalogue provider keeps its own servers
    const fastmail = providerOf({ ...d, provider: 'fastmail' }, catalogue);
    assert.deepEqual(asOptions({ ...d, provider: 'fastmail' }, fastmail, {}), {
      protocols: v('as', ['imap', 'caldav']),
    });
    assert.throws(
      () => asOptions(d, manual, { protocols: v('as', ['smtp']) }),
      /none of the protocols asked for was found/,
    );
  });

  it('start-up does not load discovery: the bundle evaluates it on the first call only', () => {
    // esbuild's metafile of the service bundle (scripts/bundle.mjs): what the entry reaches
    // through static imports is evaluated at start, what it reaches through import() on first use.
    const meta = JSON.parse(readFileSync(join(ROOT, 'dist/bin/px-accounts-service.meta.json'), 'utf8')) as {
      inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] } | undefined>;
    };
    const eager = new Set<string>();
    const walk = (file: string) => {
      if (eager.has(file)) return;
      eager.add(file);
      for (const i of meta.inputs[file]?.imports ?? [])
        if (i.kind === 'import-statement' || i.kind === 'require-call') walk(i.path);
    };
    walk('dist/src/bin/px-accounts-service.js');
    assert.ok(eager.size > 2, [...eager].join(' '));
    const ours = (f: string) => f.startsWith('dist/src/') && meta.inputs[f] !== undefined;
    const discovery = (f: string) =>
      f === 'tldts' || (ours(f) && readFileSync(join(ROOT, f), 'utf8').includes('autoconfig.thunderbird.net'));
    assert.deepEqual([...eager].filter(discovery), []);
    // and it is in the bundle, behind an import()
    const lazy = Object.values(meta.inputs).flatMap((i) => i?.imports ?? []);
    assert.ok(lazy.some((i) => i.kind === 'dynamic-import' && i.path === 'dist/src/discovery/discovery.js'));
    assert.ok(Object.keys(meta.inputs).some(discovery));
  });

  it('a known provider is named by its servers: the one matching most of them', () => {
    const catalogue = Catalogue.load([BUILTIN_PROVIDER_DIR]);
    const server = (host: string) => ({ host, port: 993, security: 'tls' as const, username: 'u' });
    assert.equal(
      catalogueByServers(catalogue, { imap: server('outlook.office365.com'), smtp: server('smtp-mail.outlook.com') })
        ?.id,
      'outlook',
    );
    assert.equal(
      catalogueByServers(catalogue, { imap: server('outlook.office365.com'), smtp: server('smtp.office365.com') })?.id,
      'office365',
    );
    assert.equal(catalogueByServers(catalogue, { imap: server('imap.gmail.com') })?.id, 'google');
    assert.equal(catalogueByServers(catalogue, { imap: server('imap.example.org') }), undefined);
  });
});
