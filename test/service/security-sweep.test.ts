/**
 * Red team after the wiring refactor (issue 23 item 2: authorize as the object servers'
 * constructor option, accounts split by job): every member the contract guards, called by a
 * fake Flatpak with no grant through the real bus — on org.pantherx.Accounts and on the GOA
 * view — is refused before it does anything. The members come from interfaces/*.xml, so a
 * member added later is swept too.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { loadXmlContract } from '../../src/bus/contract-xml.js';
import type { InterfaceSpec } from '../../src/bus/contract.js';
import { ACCESS_ANNOTATION } from '../../src/contract/access.js';
import { ACCOUNT, MANAGER, ROOT, as, q, s, type V } from '../harness/client.js';
import { flatpakCall, flatpakRun, gv, type Run } from '../harness/flatpak.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';
import { ROOT as REPO, waitFor } from '../harness/session.js';

const APP = 'org.example.Sweeper';
const GOA = 'org.gnome.OnlineAccounts';
const GOA_ACCOUNTS = '/org/gnome/OnlineAccounts/Accounts/';
const contract = loadXmlContract(join(REPO, 'interfaces'));
const goaContract = loadXmlContract(join(REPO, 'interfaces/goa'));

const accessOf = (annotations: { name: string; value: string }[]) =>
  annotations.find((a) => a.name === ACCESS_ANNOTATION)?.value;

/** The complete types of a signature, in order. */
function splitSignature(sig: string): string[] {
  const endOf = (i: number): number => {
    const c = sig[i];
    if (c === 'a') return endOf(i + 1);
    if (c === '(' || c === '{') {
      let depth = 0;
      for (let k = i; k < sig.length; k++) {
        if (sig[k] === '(' || sig[k] === '{') depth++;
        else if ((sig[k] === ')' || sig[k] === '}') && --depth === 0) return k + 1;
      }
    }
    return i + 1;
  };
  const out: string[] = [];
  for (let i = 0; i < sig.length; i = endOf(i)) out.push(sig.slice(i, endOf(i)));
  return out;
}

/** A GVariant text of type `t` for gdbus: any value will do, the refusal comes before the arguments are read. */
function sample(t: string, id: string): string {
  if (t === 'as') return `[${gv(id)}]`;
  if (t.startsWith('a')) return `@${t} []`;
  if (t === 's') return gv(id);
  if (t === 'o') return `objectpath '/'`;
  if (t === 'b') return 'false';
  if (t === 'v') return `<''>`;
  return `@${t} 0`;
}

/** Every method of `spec` a sandboxed app without a grant must be refused (grant, manage, or no rule). */
const guardedMethods = (spec: InterfaceSpec) =>
  [...spec.methods.values()].filter((m) => {
    const access = accessOf(m.annotations);
    return access !== 'none' && access !== 'identify';
  });

describe('security: every guarded member refuses a sandboxed app without a grant (after the wiring refactor)', function () {
  this.timeout(120_000);
  const f = useFixture({ keyring: 'unlocked', service: { args: ['--goa'] } });
  let mail = { id: '', path: '', secret: '', name: '' };
  let wallet = { id: '', path: '' };
  let proxy = '';

  const call = (dest: string, path: string, member: string, args: string[]): Promise<Run> =>
    dest === GOA
      ? flatpakRun(f.session, APP, [
          '/usr/bin/gdbus',
          'call',
          '--session',
          '--dest',
          GOA,
          '--object-path',
          path,
          '--method',
          member,
          ...args,
        ])
      : flatpakCall(f.session, APP, ['--object-path', path, '--method', member, ...args]);

  before(async () => {
    const secret = testSecret();
    const name = `Mail ${uniqueUser()}`;
    const path = await f.client.addAccount(
      'imap',
      uniqueUser(),
      { password: secret },
      {
        // The GOA view shows mail accounts only with IMAP and SMTP (and an address: uniqueUser's is one).
        protocols: as(['imap', 'smtp']),
        'imap.host': s('127.0.0.1'),
        'imap.port': q(9),
        'imap.security': s('none'),
        'smtp.host': s('127.0.0.1'),
        'smtp.port': q(9),
        'smtp.security': s('none'),
        name: s(name),
      },
    );
    mail = { id: path.slice(path.lastIndexOf('/') + 1), path, secret, name };
    // The GOA view shows it once its debounce has run.
    await waitFor(
      'the GOA object of the mail account',
      () =>
        f.client
          .callTo(GOA, GOA_ACCOUNTS + mail.id, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [`${GOA}.Account`])
          .then(
            () => true,
            () => false,
          ),
      15_000,
    );
    const w = await f.client.addAccount(
      'eth',
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      {},
      { 'eth.network': s('local'), 'eth.url': s('http://127.0.0.1:9/') },
    );
    wallet = { id: w.slice(w.lastIndexOf('/') + 1), path: w };
    const p = await f.client.addAccount(
      'proxy',
      uniqueUser(),
      { password: testSecret() },
      { 'proxy.host': s('127.0.0.1'), 'proxy.port': q(9), 'proxy.type': s('http') },
    );
    proxy = p.slice(p.lastIndexOf('/') + 1);
  });

  /** The account is as it was: still there, same name, same secret, nothing muted or stored. */
  async function unchanged(): Promise<void> {
    const [name] = await f.client.call(mail.path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [ACCOUNT, 'Name']);
    assert.equal((name as V).value, mail.name);
    const [secret] = await f.client.call(mail.path, ACCOUNT, 'GetSecret', 's', ['password']);
    assert.equal(secret, mail.secret);
    const [muted] = await f.client.call(mail.path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
      ACCOUNT,
      'MutedErrors',
    ]);
    assert.deepEqual((muted as V).value, []);
  }

  const cases: { iface: string; on: () => string; dest: string }[] = [
    { iface: ACCOUNT, on: () => mail.path, dest: 'org.pantherx.Accounts' },
    { iface: 'org.pantherx.Accounts.Wallet', on: () => wallet.path, dest: 'org.pantherx.Accounts' },
    { iface: MANAGER, on: () => ROOT, dest: 'org.pantherx.Accounts' },
    { iface: `${GOA}.Account`, on: () => GOA_ACCOUNTS + mail.id, dest: GOA },
    { iface: `${GOA}.PasswordBased`, on: () => GOA_ACCOUNTS + mail.id, dest: GOA },
  ];
  for (const c of cases) {
    it(`${c.iface}: each guarded method is refused with the account named by the object or the arguments`, async () => {
      const spec = (c.dest === GOA ? goaContract : contract).get(c.iface);
      assert.ok(spec, `${c.iface} is in the contract`);
      const methods = guardedMethods(spec);
      assert.ok(methods.length > 0, `${c.iface} has guarded methods`);
      for (const m of methods) {
        const args = splitSignature(m.inSignature).map((t) => sample(t, c.iface === MANAGER ? mail.id : 'password'));
        const r = await call(c.dest, c.on(), `${c.iface}.${m.name}`, args);
        assert.notEqual(r.code, 0, `${c.iface}.${m.name} answered a sandboxed app: ${r.stdout}`);
        const refusal = c.dest === GOA ? /NotAuthorized/ : /Error\.AccessDenied/;
        assert.match(r.stderr, refusal, `${c.iface}.${m.name}: ${r.stderr}`);
        assert.ok(!r.stdout.includes(mail.secret) && !r.stderr.includes(mail.secret));
      }
      await unchanged();
    });
  }

  it('every writable property is refused (Properties.Set), on both views', async () => {
    for (const [name, spec] of contract) {
      for (const p of spec.properties.values()) {
        if (p.access === 'read') continue;
        const path = name === MANAGER ? ROOT : mail.path;
        const r = await call('org.pantherx.Accounts', path, 'org.freedesktop.DBus.Properties.Set', [
          gv(name),
          gv(p.name),
          `<${sample(p.type, 'Renamed by a sandbox')}>`,
        ]);
        assert.match(r.stderr, /AccessDenied/, `${name}.${p.name}: ${r.stderr}`);
      }
    }
    for (const spec of goaContract.values())
      for (const p of spec.properties.values()) assert.equal(p.access, 'read', `${spec.name}.${p.name} is writable`);
    await unchanged();
  });

  it('CheckAccounts on every account (an empty list) is for host apps only', async () => {
    const r = await call('org.pantherx.Accounts', ROOT, `${MANAGER}.CheckAccounts`, ['@as []']);
    assert.match(r.stderr, /AccessDenied.*every account/);
  });

  it("an app granted its own account cannot make a stranger's proxy its parent (AddAccount, ValidateCredentials, Update)", async () => {
    const options = `{'parent': <${gv(proxy)}>, 'imap.host': <'127.0.0.1'>, 'imap.port': <@q 9>, 'imap.security': <'none'>}`;
    for (const method of ['AddAccount', 'ValidateCredentials']) {
      const r = await call('org.pantherx.Accounts', ROOT, `${MANAGER}.${method}`, [
        gv('imap'),
        gv(uniqueUser()),
        `{'password': ${gv(testSecret())}}`,
        options,
      ]);
      assert.match(r.stderr, /AccessDenied.*has no grant for account/, `${method}: ${r.stderr}`);
    }
    await f.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [mail.id, APP]);
    try {
      const r = await call('org.pantherx.Accounts', mail.path, `${ACCOUNT}.Update`, [`{'parent': <${gv(proxy)}>}`]);
      assert.match(r.stderr, new RegExp(`AccessDenied.*no grant for account ${proxy}`), r.stderr);
      const [parent] = await f.client.call(mail.path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
        ACCOUNT,
        'Parent',
      ]);
      assert.equal((parent as V).value, '/');
    } finally {
      await f.client.call(ROOT, MANAGER, 'RevokeAccess', 'ss', [mail.id, APP]);
    }
  });
});
