/**
 * Self-hosted servers (docs/discovery.md, "Self-hosted servers"), in a network namespace of its
 * own (netns.ts): the world's Dovecot on SELF presents a certificate from a CA the service does
 * not trust. A check fails naming its SHA-256 fingerprint; the person accepts exactly that
 * certificate for the account (over the bus, and with the CLI with and without a terminal); it
 * holds across a restart of the service; a new certificate on the same server fails again; a
 * sandboxed app cannot accept one.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { cli } from '../cli/helpers.js';
import { ACCOUNT, errorOf, MANAGER, ROOT, s, q, Variant, type V } from '../harness/client.js';
import { flatpakCall, gv } from '../harness/flatpak.js';
import { waitUntil } from '../harness/peers/proc.js';
import { onTerminal } from './terminal.js';
import { nsTest as test, useDiscoveryWorld } from './fixture.js';
import { configXml, MAIL, SELF, WEB, type Zone } from './world.js';

const E = 'org.pantherx.Accounts.Error.';
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}`;
const ZONE: Zone = {
  hosts: { 'autoconfig.self.test': WEB, 'mail.self.test': SELF },
  srv: [],
  mx: {},
  txt: {},
  web: {
    // a self-hosted domain: IMAP with TLS, submission with STARTTLS, on its own server
    'https://autoconfig.self.test/mail/config-v1.1.xml': {
      body: configXml(
        ['self.test'],
        [
          { type: 'imap', host: 'mail.self.test', port: 993, socket: 'SSL' },
          { type: 'smtp', host: 'mail.self.test', port: 587, socket: 'STARTTLS' },
        ],
      ),
    },
  },
};
const USERS = Object.fromEntries(
  ['bob', 'cleo', 'dina', 'eve', 'finn', 'gail', 'hugo'].map((u) => [`${u}@self.test`, PASSWORD]),
);
const WRONG = `sha256:${'ab'.repeat(32)}`;

/** What a server presents, as the test sees it itself (no product code): sha256 of the leaf's DER. */
function presented(host: string, port: number, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host, port, ...(servername ? { servername } : {}), rejectUnauthorized: false }, () => {
      const raw = sock.getPeerCertificate().raw;
      sock.destroy();
      resolve(`sha256:${createHash('sha256').update(raw).digest('hex')}`);
    });
    sock.on('error', reject);
  });
}

const pins = (m: Record<string, string>) => new Variant('a{ss}', m);
const resultsOf = (raw: unknown) =>
  Object.fromEntries(
    Object.entries(raw as Record<string, V>).map(([p, v]) => [
      p,
      Object.fromEntries(Object.entries(v.value as Record<string, V>).map(([k, x]) => [k, x.value])),
    ]),
  ) as Record<string, Record<string, unknown>>;

describe('self-hosted servers: accepting exactly one certificate (own network namespace: Dovecot with a CA nobody trusts)', function () {
  let selfFp = '';
  const f = useDiscoveryWorld(import.meta.filename, ZONE, USERS, {
    seed: async () => void (selfFp = await presented(SELF, 993, 'mail.self.test')),
  });
  const accountPaths = async () => Object.keys(await f.client.managedObjects());
  const accountFile = (path: string) =>
    readFileSync(join(f.session.accountsDir, `${path.split('/').pop()}.ini`), 'utf8');
  const verify = async (path: string) => resultsOf((await f.client.call(path, ACCOUNT, 'Verify'))[0]);

  test('a check fails naming the certificate: CertificateNotTrusted starts with host:port=sha256 of what the server presents, nothing is saved', async () => {
    const err = await errorOf(f.client.addAccount('', 'bob@self.test', { password: PASSWORD }));
    assert.equal(err.type, `${E}CertificateNotTrusted`, err.text);
    const head = err.text.slice(0, err.text.indexOf(': '));
    assert.deepEqual(
      head.split(' ').sort(),
      [`mail.self.test:587=${selfFp}`, `mail.self.test:993=${selfFp}`],
      err.text,
    );
    assert.match(err.text, /imap: TlsUntrusted: .*smtp: TlsUntrusted: /s);
    assert.ok(!(await accountPaths()).some((p) => p.includes('bob')), 'nothing saved');
    // a wrong password too is more than the certificate: VerificationFailed, as before
    const other = await errorOf(
      f.client.addAccount(
        'imap',
        'bob@self.test',
        { password: PASSWORD },
        {
          'imap.host': s('mail.self.test'),
          'imap.port': q(993),
          'imap.security': s('tls'),
          verify: new Variant('b', true),
          certificates: pins({ 'mail.self.test:993': selfFp }),
          'imap.username': s('nobody@self.test'),
        },
      ),
    );
    assert.equal(other.type, `${E}VerificationFailed`, other.text);
    assert.match(other.text, /Unauthorized/);
  });

  test('ValidateCredentials: fingerprint and server in the result (an unknown issuer; by IP, a name the certificate does not hold), and a pin of that server makes it pass', async () => {
    const validate = async (
      provider: string,
      host: string,
      port: number,
      security: string,
      certificates?: Record<string, string>,
    ) =>
      resultsOf(
        (
          await f.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
            provider,
            'cleo@self.test',
            { password: PASSWORD },
            {
              [`${provider}.host`]: s(host),
              [`${provider}.port`]: q(port),
              [`${provider}.security`]: s(security),
              ...(certificates ? { certificates: pins(certificates) } : {}),
            },
          ])
        )[0],
      )[provider]!;
    const imap = await validate('imap', 'mail.self.test', 993, 'tls');
    assert.deepEqual(
      [imap.ok, imap.code, imap.fingerprint, imap.server],
      [false, 'TlsUntrusted', selfFp, 'mail.self.test:993'],
    );
    assert.ok(String(imap.message).includes(`mail.self.test:993=${selfFp}`), String(imap.message));
    // POP3 with STARTTLS: the certificate is read after STLS
    const pop3 = await validate('pop3', 'mail.self.test', 110, 'starttls');
    assert.deepEqual([pop3.code, pop3.fingerprint, pop3.server], ['TlsUntrusted', selfFp, 'mail.self.test:110']);
    // the world's own certificate is trusted but not made for an IP address
    const mailFp = await presented(MAIL, 993);
    const byIp = await validate('imap', MAIL, 993, 'tls');
    assert.deepEqual([byIp.code, byIp.fingerprint, byIp.server], ['TlsHostnameMismatch', mailFp, `${MAIL}:993`]);
    assert.equal((await validate('imap', MAIL, 993, 'tls', { [`${MAIL}:993`]: mailFp })).ok, true);
    assert.equal(
      (await validate('pop3', 'mail.self.test', 110, 'starttls', { 'mail.self.test:110': selfFp })).ok,
      true,
    );
    // a pin is for its server only: the same fingerprint under another port, or another fingerprint, changes nothing
    assert.equal(
      (await validate('imap', 'mail.self.test', 993, 'tls', { 'mail.self.test:995': selfFp })).code,
      'TlsUntrusted',
    );
    assert.equal(
      (await validate('imap', 'mail.self.test', 993, 'tls', { 'mail.self.test:993': WRONG })).code,
      'TlsUntrusted',
    );
  });

  test('accepting another fingerprint still fails; exactly the presented one adds the account, kept in the file and across a restart of the service', async function () {
    this.timeout(60_000);
    const wrong = await errorOf(
      f.client.addAccount(
        '',
        'dina@self.test',
        { password: PASSWORD },
        { certificates: pins({ 'mail.self.test:993': WRONG, 'mail.self.test:587': WRONG }) },
      ),
    );
    assert.equal(wrong.type, `${E}CertificateNotTrusted`, wrong.text);
    assert.ok(!(await accountPaths()).some((p) => p.includes('dina')), 'nothing saved');
    const accepted = { 'mail.self.test:993': selfFp, 'mail.self.test:587': selfFp };
    const path = await f.client.addAccount(
      '',
      'dina@self.test',
      { password: PASSWORD },
      { certificates: pins(accepted) },
    );
    assert.deepEqual(await f.client.get(path, ACCOUNT, 'PinnedCertificates'), accepted);
    assert.equal(await f.client.get(path, ACCOUNT, 'Status'), 'online');
    assert.match(
      accountFile(path),
      new RegExp(`^\\[certificates\\]\\nmail\\.self\\.test:993 = ${selfFp}\\nmail\\.self\\.test:587 = ${selfFp}$`, 'm'),
    );
    // a new service process knows the certificate only from the file
    await f.restartService();
    const results = await verify(path);
    assert.deepEqual([results.imap!.code, results.smtp!.code], ['Ok', 'Ok'], JSON.stringify(results));
    assert.deepEqual(await f.client.get(path, ACCOUNT, 'PinnedCertificates'), accepted);
  });

  test('bad values are refused: not host:port, not a SHA-256 fingerprint', async () => {
    for (const [server, fp, what] of [
      ['mail.self.test', selfFp, /not host:port/],
      ['mail.self.test:99999', selfFp, /not host:port/],
      ['mail.self.test:993', 'sha1:abcd', /must be sha256:/],
      ['mail.self.test:993', selfFp.slice(0, -2), /must be sha256:/],
    ] as const) {
      const err = await errorOf(
        f.client.addAccount('', 'eve@self.test', { password: PASSWORD }, { certificates: pins({ [server]: fp }) }),
      );
      assert.equal(err.type, `${E}InvalidArgument`, err.text);
      assert.match(err.text, what);
    }
    assert.equal(
      (await errorOf(f.client.addAccount('', 'eve@self.test', { password: PASSWORD }, { certificates: s(selfFp) })))
        .type,
      `${E}InvalidArgument`,
    );
  });

  test('a sandboxed app cannot accept a certificate (AddAccount, ValidateCredentials, Update), even with a grant', async () => {
    const app = 'org.example.Pinner';
    const certificates = `'certificates': <{'mail.self.test:993': ${gv(selfFp)}}>`;
    for (const method of ['AddAccount', 'ValidateCredentials']) {
      const r = await flatpakCall(f.session, app, [
        '--object-path',
        ROOT,
        '--method',
        `${MANAGER}.${method}`,
        "''",
        gv('finn@self.test'),
        `{'password': ${gv(PASSWORD)}}`,
        `{${certificates}}`,
      ]);
      assert.match(r.stderr, /AccessDenied.*cannot accept certificates/, `${method}: ${r.stderr}`);
    }
    assert.ok(!(await accountPaths()).some((p) => p.includes('finn')), 'nothing saved');
    const path = await f.client.addAccount(
      '',
      'finn@self.test',
      { password: PASSWORD },
      { certificates: pins({ 'mail.self.test:993': selfFp, 'mail.self.test:587': selfFp }) },
    );
    const id = path.split('/').pop()!;
    await f.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [id, app]);
    const renamed = await flatpakCall(f.session, app, [
      '--object-path',
      path,
      '--method',
      `${ACCOUNT}.Update`,
      "{'name': <'granted'>}",
    ]);
    assert.equal(renamed.code, 0, renamed.stderr);
    const update = await flatpakCall(f.session, app, [
      '--object-path',
      path,
      '--method',
      `${ACCOUNT}.Update`,
      `{'certificates': <@a{ss} {}>}`,
    ]);
    assert.match(update.stderr, /AccessDenied.*cannot accept certificates/, update.stderr);
    assert.equal(Object.keys((await f.client.get(path, ACCOUNT, 'PinnedCertificates')) as object).length, 2);
  });

  test('the CLI: without a terminal it shows the fingerprint and saves nothing; --accept-certificate must be exactly it; on a terminal the person is asked', async function () {
    this.timeout(60_000);
    const bare = await cli(f.session.env, ['add', '-account', 'gail@self.test', '--password-stdin'], PASSWORD);
    assert.equal(bare.code, 6, bare.stderr);
    assert.match(bare.stderr, /certificate of mail\.self\.test:993 is not trusted/);
    assert.ok(
      bare.stderr.includes(selfFp.slice(7, 23).toUpperCase().match(/../g)!.join(':')),
      'the fingerprint as people compare it',
    );
    assert.match(bare.stderr, new RegExp(`nothing was saved.*--accept-certificate ${selfFp}`, 's'));
    const wrong = await cli(
      f.session.env,
      ['add', '-account', 'gail@self.test', '--password-stdin', '--accept-certificate', WRONG],
      PASSWORD,
    );
    assert.equal(wrong.code, 6, wrong.stderr);
    assert.match(
      wrong.stderr,
      new RegExp(`presents ${selfFp}, not a certificate given with --accept-certificate; nothing was saved`),
    );
    assert.ok(!(await accountPaths()).some((p) => p.includes('gail')), 'nothing saved');
    // as openssl prints it: colons, upper case
    const colons = selfFp.slice(7).toUpperCase().match(/../g)!.join(':');
    const right = await cli(
      f.session.env,
      ['add', '-account', 'gail@self.test', '--password-stdin', '--accept-certificate', colons],
      PASSWORD,
    );
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /^Added imap_gail_at_self_test: /m);

    const no = await onTerminal(
      f.session.env,
      ['add', '-account', 'hugo@self.test'],
      [
        ['Password:', `${PASSWORD}\r`],
        ['[y/N]', 'n\r'],
      ],
    );
    assert.equal(no.code, 6, no.output);
    assert.match(no.output, /Accept this certificate for mail\.self\.test:993, mail\.self\.test:587\?/);
    assert.ok(!(await accountPaths()).some((p) => p.includes('hugo')), 'nothing saved');
    const yes = await onTerminal(
      f.session.env,
      ['add', '-account', 'hugo@self.test'],
      [
        ['Password:', `${PASSWORD}\r`],
        ['[y/N]', 'y\r'],
      ],
    );
    assert.equal(yes.code, 0, yes.output);
    assert.match(yes.output, /Added imap_hugo_at_self_test: /);
  });

  test('a new certificate on the same server fails again, naming the new fingerprint (a pin is exact); verify and edit accept it', async function () {
    this.timeout(60_000);
    const path = (await accountPaths()).find((p) => p.endsWith('imap_dina_at_self_test'))!;
    assert.ok(path, 'the account of an earlier test');
    await f.world.reissueSelfHosted();
    await waitUntil(
      'Dovecot serving the new certificate',
      async () => (await presented(SELF, 993, 'mail.self.test')) !== selfFp,
      { timeoutMs: 15_000 },
    );
    const fresh = await presented(SELF, 993, 'mail.self.test');
    const failed = await verify(path);
    assert.deepEqual(
      [failed.imap!.code, failed.imap!.fingerprint, failed.imap!.server],
      ['TlsUntrusted', fresh, 'mail.self.test:993'],
    );
    assert.equal(failed.smtp!.fingerprint, fresh);
    assert.match(
      String(await f.client.get(path, ACCOUNT, 'StatusMessage')),
      new RegExp(`mail\\.self\\.test:993=${fresh}`),
    );
    const id = path.split('/').pop()!;
    // verify without a terminal shows it and accepts nothing
    const shown = await cli(f.session.env, ['verify', id]);
    assert.equal(shown.code, 6, shown.stderr);
    assert.ok(shown.stdout.includes(fresh), shown.stdout);
    assert.equal(
      ((await f.client.get(path, ACCOUNT, 'PinnedCertificates')) as Record<string, string>)['mail.self.test:993'],
      selfFp,
    );
    // edit accepts it where the account's servers present it
    const edited = await cli(f.session.env, ['edit', id, '--accept-certificate', fresh]);
    assert.equal(edited.code, 0, edited.stderr);
    assert.deepEqual(await f.client.get(path, ACCOUNT, 'PinnedCertificates'), {
      'mail.self.test:993': fresh,
      'mail.self.test:587': fresh,
    });
    const ok = await cli(f.session.env, ['verify', id]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    // and forgets them
    assert.equal((await cli(f.session.env, ['edit', id, '--forget-certificates'])).code, 0);
    assert.deepEqual(await f.client.get(path, ACCOUNT, 'PinnedCertificates'), {});
    assert.ok(!accountFile(path).includes('[certificates]'), accountFile(path));
  });
});
