/**
 * The service's files are never written through a symbolic link (issue 25, finding 5): a link
 * put where access.json, a wallet's state file or an account file was, while the service runs,
 * is replaced by the next write, and the file it points to keeps its content and mode; a link
 * found at start-up is not read. Temporary files of a write that was interrupted are swept.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { toChecksumAddress } from '@ethereumjs/util';
import { cli } from '../cli/helpers.js';
import { ACCOUNT, MANAGER, ROOT, errorOf, s } from '../harness/client.js';
import { startAnvil, type Anvil } from '../harness/peers/anvil.js';
import { waitFor } from '../harness/session.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

const WALLET = 'org.pantherx.Accounts.Wallet';

describe('state files are never written through a symbolic link', function () {
  this.timeout(60_000);
  let anvil: Anvil;

  const fx = useFixture({
    start: async (fx) => void (anvil = fx.own(await startAnvil())),
    service: { env: { PX_ACCOUNTS_WALLET_POLL_MS: '300' } },
  });
  const stateDir = () => join(fx.session.home, '.local', 'state', 'px-accounts');

  /** A file of someone else's that a link will point to: its content and mode must survive. */
  function victim(name: string): { path: string; intact(): void } {
    const path = join(fx.session.dir, name);
    const content = `precious ${randomBytes(8).toString('hex')}\n`;
    writeFileSync(path, content, { mode: 0o644 });
    return {
      path,
      intact() {
        assert.equal(readFileSync(path, 'utf8'), content, `${name} was written through the link`);
        assert.equal(statSync(path).mode & 0o777, 0o644, `${name}'s mode was changed through the link`);
      },
    };
  }

  /** Puts a symbolic link to `target` where `file` is, in one step (rename), as an attacker would. */
  function swapForLink(file: string, target: string): void {
    const link = `${file}.link`;
    symlinkSync(target, link);
    renameSync(link, file);
    assert.ok(lstatSync(file).isSymbolicLink());
  }

  const noTempFiles = (dir: string) =>
    assert.deepEqual(
      readdirSync(dir).filter((n) => /\.tmp-/.test(n)),
      [],
      `temporary files left in ${dir}`,
    );

  it('access.json: a grant after the file was swapped for a link replaces the link; its target is untouched', async () => {
    const account = (await fx.client.addAccount('fastmail', uniqueUser('link'), { password: testSecret() }))
      .split('/')
      .pop()!;
    const first = await cli(fx.session.env, ['access', 'grant', account, 'org.example.First']);
    assert.equal(first.code, 0, first.stderr);
    const file = join(stateDir(), 'access.json');
    assert.ok(lstatSync(file).isFile());
    const target = victim('access-victim');
    swapForLink(file, target.path);

    const second = await cli(fx.session.env, ['access', 'grant', account, 'org.example.Second']);
    assert.equal(second.code, 0, second.stderr);
    target.intact();
    const st = lstatSync(file);
    assert.ok(st.isFile(), 'access.json is a regular file again');
    assert.equal(st.mode & 0o777, 0o600);
    const apps = (JSON.parse(readFileSync(file, 'utf8')) as { grants: Array<{ app: string }> }).grants
      .map((g) => g.app)
      .sort();
    assert.deepEqual(apps, ['org.example.First', 'org.example.Second'], 'the file says what the service knows');
    noTempFiles(stateDir());
  });

  it("a wallet's state file: the next save after it was swapped for a link replaces the link; its target is untouched", async () => {
    const address = toChecksumAddress(`0x${randomBytes(20).toString('hex')}`);
    const [path] = (await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
      'eth',
      address,
      {},
      { 'eth.network': s('local'), 'eth.url': s(anvil.url) },
    ])) as [string];
    const id = path.split('/').pop()!;
    const file = join(stateDir(), 'wallets', `${id}.eth.json`);
    await waitFor(
      "the wallet's first save",
      () => existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { lastBlock: number }).lastBlock >= 0,
      10_000,
    );
    const target = victim('wallet-victim');
    swapForLink(file, target.path);

    const tx = await anvil.send(address, 10n ** 18n);
    await waitFor(
      'the transfer saved',
      () => lstatSync(file).isFile() && readFileSync(file, 'utf8').includes(tx),
      10_000,
    );
    target.intact();
    assert.equal(lstatSync(file).mode & 0o777, 0o600);
    assert.equal(await fx.client.get(path, WALLET, 'Balance'), '1');
    noTempFiles(join(stateDir(), 'wallets'));

    // A link found at start-up is not read (a log line says so); the wallet syncs afresh and
    // writes a file of its own in the link's place.
    await fx.stopService();
    swapForLink(file, target.path);
    await fx.startService();
    await waitFor(
      'the log line',
      () => fx.service.log().includes(`wallet state ${file} not read (it is a symbolic link)`),
      5000,
    );
    await waitFor('a file of its own', () => lstatSync(file).isFile(), 10_000);
    target.intact();
  });

  it('an account file swapped for a link: a change is refused and nothing is written through it', async () => {
    const path = await fx.client.addAccount('fastmail', uniqueUser('inifile'), { password: testSecret() });
    const file = join(fx.session.accountsDir, `${path.split('/').pop()}.ini`);
    const target = victim('account-victim');
    swapForLink(file, target.path);
    const err = await errorOf(fx.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ name: s('Renamed') }]));
    // Refused while the service still has the account (Io), or gone once it dropped it.
    assert.match(`${err.type} ${err.text}`, /Io.*symbolic link|UnknownObject|UnknownMethod|NotFound/);
    target.intact();
    assert.ok(lstatSync(file).isSymbolicLink(), 'a file the person put there is not replaced by a change');
  });

  it('temporary files of an interrupted write are removed at start-up, with a log line', async () => {
    const path = await fx.client.addAccount('fastmail', uniqueUser('temp'), { password: testSecret() });
    const name = `${path.split('/').pop()}.ini.tmp-0123456789ab`;
    await fx.stopService();
    writeFileSync(join(fx.session.accountsDir, name), '[account]\nhalf', { mode: 0o600 });
    await fx.startService();
    assert.ok(!existsSync(join(fx.session.accountsDir, name)), `${name} is still there`);
    assert.match(
      fx.service.log(),
      new RegExp(
        `removed ${join(fx.session.accountsDir, name).replace(/[./]/g, '\\$&')}, left by an interrupted write`,
      ),
    );
  });
});
