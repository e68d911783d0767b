/**
 * Import and parents, through the real bus (docs/export.md, "Parents"): an imported account that
 * names a proxy or OpenVPN account gets a parent of this machine — the file's parent as it was
 * imported (under a new id when its own is taken), the account here that the file's parent
 * duplicates, or an account here that the importer may use as AddAccount's parent needs (a
 * grant under HostApps ask) — or it is skipped saying why, and nothing of it is written.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImportResult } from '../../src/client/index.js';
import { MANAGER, ROOT, q, s, type V } from '../harness/client.js';
import { testSecret, useFixture } from '../harness/fixture.js';

const pass = testSecret();
let counter = 0;
const unique = (what: string) => `${what}${++counter}_${process.pid}`;

/** An account file's text, as the service writes them. */
const proxyIni = (user: string, port: number, parent?: string) =>
  `[account]\nprovider = proxy\nusername = ${user}\nprotocols = proxy\n${parent ? `parent = ${parent}\n` : ''}` +
  `[proxy]\nhost = 127.0.0.1\nport = ${port}\ntype = http\n`;
const imapIni = (user: string, parent: string) =>
  `[account]\nprovider = imap\nusername = ${user}@example.org\nprotocols = imap\nparent = ${parent}\n` +
  `[imap]\nhost = 127.0.0.1\nport = 1993\n`;

describe('import: an account naming a parent (real bus, hand-made age files)', function () {
  this.timeout(60_000);
  const fx = useFixture({
    service: { args: ['--no-background-check'], env: { PX_ACCOUNTS_SCRYPT_WORK_FACTOR: '10' } },
  });

  /** An export document of these entries, encrypted with the passphrase by the age library. */
  async function importOf(accounts: { id: string; ini: string }[]): Promise<ImportResult> {
    const { Encrypter } = await import('age-encryption');
    const e = new Encrypter();
    e.setPassphrase(pass);
    e.setScryptWorkFactor(10);
    const doc = { format: 'px-accounts-export', version: 1, exported: 'x', secrets: false, accounts };
    return fx.accounts.importAccounts(await e.encrypt(JSON.stringify(doc)), pass);
  }
  const addProxy = async (user: string, port = 3128) => {
    const path = await fx.client.addAccount(
      'proxy',
      user,
      { password: testSecret() },
      { 'proxy.host': s('127.0.0.1'), 'proxy.port': q(port), 'proxy.type': s('http') },
    );
    return path.split('/').pop()!;
  };
  const fileOf = (id: string) => readFileSync(join(fx.session.accountsDir, `${id}.ini`), 'utf8');
  const parentOf = async (id: string) => (await fx.accounts.getAccount(id)).parent;
  const reasons = (r: ImportResult) => r.skipped.map((x) => [x.id, x.reason]);

  it('a parent here that the importer may use (host apps allowed): accepted, the account is reached through it', async () => {
    const office = await addProxy(unique('office'));
    const child = unique('child');
    const r = await importOf([{ id: child, ini: imapIni(child, office) }]);
    assert.deepEqual(r, { imported: [child], skipped: [] });
    assert.equal(await parentOf(child), office);
    assert.match(fileOf(child), new RegExp(`^parent = ${office}$`, 'm'));
    await fx.accounts.removeAccount(child);
    await fx.accounts.removeAccount(office);
  });

  it('under HostApps ask: a parent here the importer holds no grant for is AccessDenied and nothing is written; with the grant it is accepted', async () => {
    const office = await addProxy(unique('office'));
    const child = unique('child');
    await fx.client.call(ROOT, MANAGER, 'SetHostApps', 's', ['ask']);
    try {
      const refused = await importOf([{ id: child, ini: imapIni(child, office) }]);
      assert.deepEqual(refused.imported, []);
      assert.deepEqual(reasons(refused), [[child, 'AccessDenied']]);
      assert.match(
        refused.skipped[0]!.message,
        new RegExp(`no grant for account ${office} \\(Import with it as parent\\)`),
      );
      assert.equal(existsSync(join(fx.session.accountsDir, `${child}.ini`)), false, 'nothing written');
      assert.equal(
        (await fx.accounts.listAccounts()).some((a) => a.id === child),
        false,
      );
      // this process asks, and the person grants the proxy
      assert.equal((await fx.client.call(ROOT, MANAGER, 'RequestAccess', 's', [office]))[0], 'pending');
      const app = ((await fx.client.call(ROOT, MANAGER, 'ListAccess', '', []))[0] as Array<Record<string, V>>).find(
        (e) => e.account!.value === office && e.decision!.value === 'pending',
      )!.app!.value as string;
      await fx.client.call(ROOT, MANAGER, 'GrantAccess', 'ss', [office, app]);
      const accepted = await importOf([{ id: child, ini: imapIni(child, office) }]);
      assert.deepEqual(accepted, { imported: [child], skipped: [] });
      assert.equal(await parentOf(child), office);
    } finally {
      await fx.client.call(ROOT, MANAGER, 'SetHostApps', 's', ['allow']);
    }
    await fx.accounts.removeAccount(child);
    await fx.accounts.removeAccount(office);
  });

  it('a parent that is missing, or here but no proxy or VPN: skipped as Invalid, naming it', async () => {
    const mail = (
      await fx.accounts.addAccount({
        provider: 'imap',
        account: `${unique('mail')}@example.org`,
        password: testSecret(),
        settings: { imap: { host: '127.0.0.1', port: 1993 } },
      })
    ).id;
    const [orphan, underMail] = [unique('orphan'), unique('undermail')];
    const r = await importOf([
      { id: orphan, ini: imapIni(orphan, 'no_such_proxy') },
      { id: underMail, ini: imapIni(underMail, mail) },
    ]);
    assert.deepEqual(r.imported, []);
    assert.deepEqual(reasons(r), [
      [orphan, 'Invalid'],
      [underMail, 'Invalid'],
    ]);
    assert.match(r.skipped[0]!.message, /its parent no_such_proxy is neither in the file nor an account here/);
    assert.match(r.skipped[1]!.message, new RegExp(mail));
    for (const id of [orphan, underMail]) assert.equal(existsSync(join(fx.session.accountsDir, `${id}.ini`)), false);
    await fx.accounts.removeAccount(mail);
  });

  it("the file's parent imported under a new id (its own taken here by another proxy): the child follows it, never the stranger", async () => {
    const taken = await addProxy(unique('taken'), 3129);
    const child = unique('child');
    // the child comes first in the file: parents are imported first whatever the order
    const r = await importOf([
      { id: child, ini: imapIni(child, taken) },
      { id: taken, ini: proxyIni(unique('theirs'), 8080) },
    ]);
    assert.deepEqual(r.skipped, []);
    assert.deepEqual(r.imported, [`${taken}_2`, child]);
    assert.equal(await parentOf(child), `${taken}_2`);
    assert.match(fileOf(child), new RegExp(`^parent = ${taken}_2$`, 'm'));
    await fx.accounts.removeAccount(child);
    await fx.accounts.removeAccount(`${taken}_2`);
    await fx.accounts.removeAccount(taken);
  });

  it("the file's parent a duplicate of a proxy here (under another id): the child is reached through the one here", async () => {
    const user = unique('shared');
    const here = await addProxy(user, 3130);
    const child = unique('child');
    const r = await importOf([
      { id: 'proxy_elsewhere', ini: proxyIni(user, 3130) },
      { id: child, ini: imapIni(child, 'proxy_elsewhere') },
    ]);
    assert.deepEqual(reasons(r), [['proxy_elsewhere', 'Duplicate']]);
    assert.deepEqual(r.imported, [child]);
    assert.equal(await parentOf(child), here);
    await fx.accounts.removeAccount(child);
    await fx.accounts.removeAccount(here);
  });

  it('parents in a loop in the file, or a parent of the file that was skipped: its children are skipped too', async () => {
    const [a, b, c, bad] = [unique('loopa'), unique('loopb'), unique('child'), unique('bad')];
    const r = await importOf([
      { id: a, ini: proxyIni(a, 1, b) },
      { id: b, ini: proxyIni(b, 2, a) },
      { id: bad, ini: 'not an account file' },
      { id: c, ini: imapIni(c, bad) },
    ]);
    assert.deepEqual(r.imported, []);
    assert.deepEqual(
      reasons(r).sort(),
      [
        [a, 'Invalid'],
        [b, 'Invalid'],
        [bad, 'Invalid'],
        [c, 'Invalid'],
      ].sort(),
    );
    const byId = Object.fromEntries(r.skipped.map((x) => [x.id, x.message]));
    assert.match(byId[a]!, /loop of parents/);
    assert.match(byId[c]!, new RegExp(`its parent ${bad} in the file was not imported`));
  });
});
