/**
 * Export and import (Manager.GetPassphraseKey, Export, Import; px-accounts export/import) through
 * the real bus and gnome-keyring: a round trip with secrets, an OAuth2 grant taken to a second
 * "machine" (another session) and used there against oidc-provider, Debian's age reading what we
 * write and writing what we read (on a pseudo-terminal: it reads passphrases from nowhere else),
 * duplicates left alone, a wrong passphrase or a damaged file changing nothing, a locked keyring
 * leaving no half-imported account, a bus monitor seeing no passphrase, a sandboxed app refused.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccountsClient, isAccountsClientError, type ImportResult } from '../../src/client/index.js';
import { Browser } from '../harness/browser.js';
import { MANAGER, ROOT, TestClient, as, errorOf, q, s } from '../harness/client.js';
import { loopbackProvider } from '../harness/fixture.js';
import { flatpakCall } from '../harness/flatpak.js';
import { startOidc, type OidcPeer } from '../harness/peers/oidc.js';
import { run, stopPid } from '../harness/process.js';
import {
  ROOT as REPO,
  startKeyring,
  startService,
  startSession,
  stopKeyring,
  waitFor,
  type ServiceProcess,
  type Session,
} from '../harness/session.js';
import { cli, CODE } from '../cli/helpers.js';

const ERR = 'org.pantherx.Accounts.Error.';
const AGE_PTY = join(REPO, 'test/harness/age_pty.py');
const CLI_BIN = join(REPO, 'dist/bin/px-accounts.js');
/** A quicker scrypt than age's 18 for the suite's own files (age reads any); files from age -p use 18. */
const WORK_FACTOR = '12';

interface Machine {
  session: Session;
  service: ServiceProcess;
  client: AccountsClient;
  raw: TestClient;
}

async function startMachine(): Promise<Machine> {
  const session = await startSession();
  const service = await startService(session, ['--no-background-check'], {
    PX_ACCOUNTS_SCRYPT_WORK_FACTOR: WORK_FACTOR,
  });
  return {
    session,
    service,
    client: await AccountsClient.connect({ busAddress: session.address }),
    raw: await TestClient.connect(session.address),
  };
}

async function stopMachine(m: Machine | undefined): Promise<void> {
  m?.client.close();
  m?.raw.disconnect();
  await m?.service.stop();
  await m?.session.stop();
}

const passphrase = () => `pass ${Math.random().toString(36).slice(2)} ${Date.now().toString(36)}`;
const secretValue = () => `s3cret-${Math.random().toString(36).slice(2)}`;

/** The accounts directory, file by file, and every item the service has in the keyring (secret-tool prints values too). */
async function snapshot(m: Machine): Promise<{ files: Record<string, string>; keyring: string }> {
  const dir = m.session.accountsDir;
  const files = Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );
  const r = await run(
    'secret-tool',
    ['search', '--all', '--unlock', 'service', 'org.pantherx.Accounts'],
    m.session.env,
  );
  // secret-tool prints items in the keyring's order; compare them as a set.
  const items = (r.stdout + r.stderr)
    .split(/\n(?=\[)/)
    .map((x) => x.trim())
    .filter(Boolean)
    .sort();
  return { files, keyring: items.join('\n') };
}

/** Runs a program on a pseudo-terminal that answers every passphrase prompt (age, px-accounts). */
function onTerminal(pass: string, argv: string[], env: NodeJS.ProcessEnv) {
  return run('/usr/bin/python3', [AGE_PTY, pass, ...argv], env, undefined, 60_000);
}

/** An export decrypted by age, read as the format is written (src/transfer/document.ts). */
interface ExportJson {
  format: string;
  version: number;
  secrets: boolean;
  accounts: Array<{ id: string; ini: string; secrets?: Record<string, string> }>;
}

describe('export and import (age files through the bus, the keyring and the CLI)', function () {
  this.timeout(60_000);
  let a: Machine;
  let work = '';
  const pass = passphrase();
  const ids: string[] = [];
  const secrets: Record<string, Record<string, string>> = {};

  before(async function () {
    this.timeout(30_000);
    a = await startMachine();
    work = join(a.session.dir, 'transfer');
    mkdirSync(work);
  });
  after(async function () {
    this.timeout(30_000);
    await stopMachine(a);
  });

  /** Two accounts: a catalogue one with a sender identity and two secrets, a manual IMAP one. */
  async function addAccounts(): Promise<void> {
    const fastmail = await a.raw.addAccount(
      'fastmail',
      `ann${process.pid}`,
      { password: (secrets.f = { password: secretValue(), smtp: secretValue() }).password, smtp: secrets.f.smtp! },
      {
        name: s('Ann at work'),
        'identity.name': s('Ann Example'),
        'identity.aliases': s(`ann.alias${process.pid}@fastmail.com`),
      },
    );
    const imap = await a.raw.addAccount(
      'imap',
      `bob${process.pid}@example.org`,
      { password: (secrets.i = { password: secretValue() }).password },
      { 'imap.host': s('127.0.0.1'), 'imap.port': q(1993), protocols: as(['imap']) },
    );
    ids.splice(0, ids.length, ...[fastmail, imap].map((p) => p.slice(p.lastIndexOf('/') + 1)).sort());
    secrets[ids.find((i) => i.startsWith('fastmail'))!] = secrets.f!;
    secrets[ids.find((i) => i.startsWith('imap'))!] = secrets.i!;
  }

  async function removeAll(m: Machine = a): Promise<void> {
    for (const acc of await m.client.listAccounts()) await m.client.removeAccount(acc.id);
  }

  it('round trip with secrets: export, remove, import — the same ids, files, secrets; a bus monitor sees no passphrase and no secret', async () => {
    await addAccounts();
    const before = await snapshot(a);
    const canary = `canary${process.pid}`;
    // A monitor of the whole bus, as anyone of this session may run (and paste into a bug report).
    const monitor = spawn('dbus-monitor', ['--address', a.session.address], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    monitor.stdout.on('data', (d) => (seen += d));
    try {
      await waitFor('dbus-monitor attached', () => /NameLost|NameAcquired/.test(seen), 10_000);
      const { file, accounts } = await a.client.exportAccounts(pass, { secrets: true });
      assert.equal(accounts, 2);
      await removeAll();
      assert.deepEqual(readdirSync(a.session.accountsDir), []);
      const result = await a.client.importAccounts(file, pass);
      assert.deepEqual(result, { imported: ids, skipped: [] });
      await waitFor(
        'the monitor saw the import',
        () => /member=Import/.test(seen) && /member=InterfacesAdded/.test(seen),
        10_000,
      );
      // The control: a passphrase sent in the clear (refused) is there for the monitor to read.
      await errorOf(a.raw.call(ROOT, MANAGER, 'Export', 'aya{sv}', [Buffer.from(canary), {}]));
      await waitFor('the monitor saw the canary', () => seen.includes(canary), 10_000);
    } finally {
      await stopPid(monitor.pid);
    }
    for (const id of ids) {
      for (const [name, value] of Object.entries(secrets[id]!))
        assert.equal(await a.client.getSecret(id, name), value, `${id}/${name}`);
    }
    const after = await snapshot(a);
    assert.deepEqual(after.files, before.files, 'the account files are back byte for byte');
    const fastmail = await a.client.getAccount(ids.find((i) => i.startsWith('fastmail'))!);
    assert.equal(fastmail.name, 'Ann at work');
    assert.equal(fastmail.identity?.fullName, 'Ann Example');
    // What crossed the bus: the method names, never the passphrase or a secret, in text or as bytes.
    assert.match(seen, /member=Export/);
    const hex = (t: string) => [...Buffer.from(t)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    for (const leak of [pass, ...Object.values(secrets.f!), ...Object.values(secrets.i!)]) {
      assert.ok(!seen.includes(leak) && !seen.includes(hex(leak)), 'the monitor saw a passphrase or a secret');
    }
  });

  it("Debian's age -d reads an export; without --secrets it holds settings and no secret", async () => {
    const { file } = await a.client.exportAccounts(pass);
    writeFileSync(join(work, 'plain.age'), file);
    const r = await onTerminal(
      pass,
      ['age', '-d', '-o', join(work, 'plain.json'), join(work, 'plain.age')],
      a.session.env,
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(readFileSync(join(work, 'plain.json'), 'utf8')) as ExportJson;
    assert.equal(doc.format, 'px-accounts-export');
    assert.equal(doc.version, 1);
    assert.equal(doc.secrets, false);
    assert.deepEqual(
      doc.accounts.map((x) => x.id),
      ids,
    );
    for (const x of doc.accounts) {
      assert.equal(x.secrets, undefined);
      assert.equal(x.ini, readFileSync(join(a.session.accountsDir, `${x.id}.ini`), 'utf8'));
    }
    const text = readFileSync(join(work, 'plain.json'), 'utf8');
    for (const v of [...Object.values(secrets.f!), ...Object.values(secrets.i!)]) assert.ok(!text.includes(v));
    // With a wrong passphrase age refuses too: the file is a real passphrase file.
    assert.notEqual(
      (
        await onTerminal(
          'not it',
          ['age', '-d', '-o', join(work, 'nothing.json'), join(work, 'plain.age')],
          a.session.env,
        )
      ).code,
      0,
    );
  });

  it('imports what age -p encrypted (a document written by hand, one account, no secrets)', async () => {
    const doc = JSON.parse(readFileSync(join(work, 'plain.json'), 'utf8')) as ExportJson;
    const imap = doc.accounts.find((x) => x.id.startsWith('imap'));
    assert.ok(imap, 'the export holds the IMAP account');
    await a.client.removeAccount(imap.id);
    writeFileSync(
      join(work, 'byhand.json'),
      JSON.stringify({ format: 'px-accounts-export', version: 1, accounts: [imap] }),
    );
    const r = await onTerminal(
      pass,
      ['age', '-p', '-o', join(work, 'byhand.age'), join(work, 'byhand.json')],
      a.session.env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(work, 'byhand.age'), 'latin1'), /^age-encryption\.org\/v1\n-> scrypt \S+ 18\n/);
    const result = await a.client.importAccounts(readFileSync(join(work, 'byhand.age')), pass);
    assert.deepEqual(result, { imported: [imap.id], skipped: [] });
    const back = await a.client.getAccount(imap.id);
    assert.equal(back.credentials.length, 0, 'no secret came, none is listed');
    assert.equal(back.settings.imap?.port, 1993);
    // Its password (the file had none) is set again by the person.
    await a.client.setSecret(imap.id, 'password', secrets[imap.id]!.password!);
  });

  it('duplicates are reported, never overwritten', async () => {
    const { file } = await a.client.exportAccounts(pass, { secrets: true });
    const fastmailId = ids.find((i) => i.startsWith('fastmail'))!;
    await a.client.renameAccount(fastmailId, 'Renamed here');
    await a.client.setSecret(fastmailId, 'password', 'changed here');
    const before = await snapshot(a);
    const result = await a.client.importAccounts(file, pass);
    assert.deepEqual(result.imported, []);
    assert.deepEqual(
      result.skipped.map((x) => [x.id, x.reason]),
      ids.map((id) => [id, 'Duplicate']),
    );
    for (const x of result.skipped) assert.match(x.message, new RegExp(`already exists \\(${x.id}\\)`));
    assert.deepEqual(await snapshot(a), before);
    assert.equal((await a.client.getAccount(fastmailId)).name, 'Renamed here');
    assert.equal(await a.client.getSecret(fastmailId, 'password'), 'changed here');
    await a.client.setSecret(fastmailId, 'password', secrets[fastmailId]!.password!);
  });

  it('a wrong passphrase, a damaged, truncated or foreign file change nothing (account files and keyring)', async () => {
    const { file } = await a.client.exportAccounts(pass, { secrets: true });
    await removeAll();
    const before = await snapshot(a);
    const wrong = await a.client.importAccounts(file, `${pass}!`).catch((e: unknown) => e);
    assert.ok(isAccountsClientError(wrong, 'WrongPassphrase'), String(wrong));
    const flipped = Buffer.from(file);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 20) ^ 0x01, flipped.length - 20);
    const { Encrypter, generateX25519Identity, identityToRecipient } = await import('age-encryption');
    const toKey = new Encrypter();
    toKey.addRecipient(await identityToRecipient(await generateX25519Identity()));
    const notExport = new Encrypter();
    notExport.setPassphrase(pass);
    notExport.setScryptWorkFactor(10);
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['a flipped bit', flipped, /damaged or truncated/],
      ['truncated', file.subarray(0, file.length - 100), /damaged or truncated/],
      ['only its header', file.subarray(0, 120), /damaged or truncated|not an age file/],
      ['not age at all', Buffer.from('[account]\nprovider = imap\n'), /not an age file/],
      ['encrypted to a key', await toKey.encrypt(readFileSync(join(work, 'byhand.json'))), /encrypted to keys/],
      ['an age file of something else', await notExport.encrypt('{"hello": "world"}'), /not to a px-accounts export/],
      [
        'an export of a later version',
        await notExport.encrypt(JSON.stringify({ format: 'px-accounts-export', version: 2, accounts: [] })),
        /version 2/,
      ],
    ];
    for (const [what, bytes, message] of cases) {
      const err = await a.client.importAccounts(bytes, pass).catch((e: unknown) => e);
      assert.ok(isAccountsClientError(err, 'InvalidArgument'), `${what}: ${String(err)}`);
      assert.match((err as Error).message, message, what);
    }
    assert.deepEqual(await snapshot(a), before);
    assert.deepEqual((await a.client.importAccounts(file, pass)).imported, ids, 'the intact file still imports');
  });

  it('a locked keyring: every account is skipped (SecretsUnavailable), no file and no secret is left', async () => {
    const { file } = await a.client.exportAccounts(pass, { secrets: true });
    await removeAll();
    const before = await snapshot(a);
    await run(
      'gdbus',
      [
        'call',
        '--session',
        '-d',
        'org.freedesktop.secrets',
        '-o',
        '/org/freedesktop/secrets',
        '-m',
        'org.freedesktop.Secret.Service.Lock',
        "['/org/freedesktop/secrets/collection/login']",
      ],
      a.session.env,
    );
    await waitFor(
      'SecretsAvailable false',
      async () => (await a.raw.get(ROOT, MANAGER, 'SecretsAvailable')) === false,
      10_000,
    );
    let result: ImportResult;
    try {
      result = await a.client.importAccounts(file, pass);
    } finally {
      await stopKeyring(a.session);
      await startKeyring(a.session, a.session.keyringPassword);
      await waitFor(
        'SecretsAvailable true',
        async () => (await a.raw.get(ROOT, MANAGER, 'SecretsAvailable')) === true,
        10_000,
      );
    }
    assert.deepEqual(result.imported, []);
    assert.deepEqual(
      result.skipped.map((x) => [x.id, x.reason]),
      ids.map((id) => [id, 'SecretsUnavailable']),
    );
    assert.deepEqual(await snapshot(a), before);
    assert.deepEqual((await a.client.importAccounts(file, pass)).imported, ids);
  });

  it('refuses a sandboxed app (AccessDenied) and a passphrase not sealed to the service', async () => {
    for (const args of [
      ['--method', `${MANAGER}.GetPassphraseKey`],
      ['--method', `${MANAGER}.Export`, '@ay []', '@a{sv} {}'],
      ['--method', `${MANAGER}.Import`, '@ay []', '@ay []', '@a{sv} {}'],
    ]) {
      const r = await flatpakCall(a.session, 'org.example.Mover', ['--object-path', ROOT, ...args]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /org\.pantherx\.Accounts\.Error\.AccessDenied/, r.stderr);
    }
    // In the clear (what a careless client would send) it is refused, and nothing is exported.
    const e = await errorOf(a.raw.call(ROOT, MANAGER, 'Export', 'aya{sv}', [Buffer.from(pass), {}]));
    assert.equal(e.type, `${ERR}InvalidArgument`);
    assert.match(e.text, /GetPassphraseKey/);
    const bad = await errorOf(a.raw.call(ROOT, MANAGER, 'Export', 'aya{sv}', [Buffer.from(pass), { nope: s('x') }]));
    assert.match(bad.text, /unknown option 'nope'/);
  });

  describe('px-accounts export and import', () => {
    const env = () => ({ ...a.session.env, PATH: process.env.PATH });

    it('without a terminal and without --passphrase-file: refused, saying why; nothing written', async () => {
      const out = join(work, 'refused.age');
      for (const args of [
        ['export', out],
        ['import', join(work, 'plain.age')],
      ]) {
        const r = await cli(env(), args);
        assert.equal(r.code, CODE.INVALID, r.stderr);
        assert.match(r.stderr, /no terminal to ask for the passphrase on .*--passphrase-file/);
      }
      assert.ok(!existsSync(out));
    });

    it('--passphrase-file: export writes a 0600 file atomically; import reports duplicates (exit 0) and a wrong passphrase (exit 13)', async () => {
      const pf = join(work, 'pass.txt');
      writeFileSync(pf, `${pass}\n`);
      chmodSync(pf, 0o600);
      const out = join(work, 'cli.age');
      const r = await cli(env(), ['export', out, '--secrets', '--passphrase-file', pf]);
      assert.equal(r.code, CODE.OK, r.stderr);
      assert.match(r.stdout, /^Exported 2 accounts with their secrets to /);
      assert.equal(statSync(out).mode & 0o777, 0o600);
      assert.deepEqual(
        readdirSync(work).filter((f) => f.includes('.tmp-')),
        [],
      );
      const dup = await cli(env(), ['import', out, '--passphrase-file', pf, '--json']);
      assert.equal(dup.code, CODE.OK, dup.stderr);
      assert.deepEqual(
        (JSON.parse(dup.stdout) as { skipped: { reason: string }[] }).skipped.map((x) => x.reason),
        ['Duplicate', 'Duplicate'],
      );
      writeFileSync(pf, 'another one\n');
      const wrong = await cli(env(), ['import', out, '--passphrase-file', pf]);
      assert.equal(wrong.code, CODE.WRONG_PASSPHRASE, wrong.stderr);
      assert.match(wrong.stderr, /^px-accounts: the passphrase is not the one the file was encrypted with/);
    });

    it('on a terminal: export asks twice without echo, import once; age -d reads the result', async () => {
      const out = join(work, 'tty.age');
      await removeAll();
      await addAccounts();
      const e = await onTerminal(pass, [process.execPath, CLI_BIN, 'export', out, '--secrets'], env());
      assert.equal(e.code, 0, e.stderr);
      assert.equal((e.stderr.match(/Passphrase/g) ?? []).length, 2, e.stderr);
      assert.ok(!e.stderr.includes(pass), 'the passphrase was echoed');
      const d = await onTerminal(pass, ['age', '-d', '-o', join(work, 'tty.json'), out], env());
      assert.equal(d.code, 0, d.stderr);
      assert.equal((JSON.parse(readFileSync(join(work, 'tty.json'), 'utf8')) as ExportJson).accounts.length, 2);
      await removeAll();
      const i = await onTerminal(pass, [process.execPath, CLI_BIN, 'import', out], env());
      assert.equal(i.code, 0, i.stderr);
      assert.match(i.stderr, /Imported 2: /);
      assert.equal((await a.client.listAccounts()).length, 2);
    });
  });
});

describe('export and import: an OAuth2 grant moves to another machine (oidc-provider)', function () {
  this.timeout(60_000);
  let oidc: OidcPeer;
  let a: Machine;
  let b: Machine;

  const providerFile = () =>
    loopbackProvider({
      name: 'Test IdP',
      oauth2: { issuer: oidc.issuer, client_id: oidc.clientId, scopes: 'openid email offline_access' },
      servers: { imap: 1 },
    });

  before(async function () {
    this.timeout(60_000);
    oidc = await startOidc();
    a = await startMachine();
    b = await startMachine();
    for (const m of [a, b]) {
      const dir = join(m.session.env.XDG_DATA_HOME!, 'px-accounts', 'providers');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'testidp.ini'), providerFile());
    }
  });
  after(async function () {
    this.timeout(30_000);
    await stopMachine(a);
    await stopMachine(b);
    await oidc?.stop();
  });

  it('exported with --secrets, imported on a fresh machine: the grant is there and the provider honours it', async () => {
    // Providers are read at start: a and b were started before the file existed, so restart them.
    for (const m of [a, b]) {
      m.client.close();
      m.raw.disconnect();
      await m.service.stop();
      m.service = await startService(m.session, ['--no-background-check'], {
        PX_ACCOUNTS_SCRYPT_WORK_FACTOR: WORK_FACTOR,
      });
      m.client = await AccountsClient.connect({ busAddress: m.session.address });
      m.raw = await TestClient.connect(m.session.address);
    }
    const browser = new Browser();
    const user = `mover${process.pid}@example.org`;
    let browsing: Promise<unknown> = Promise.resolve();
    const account = await a.client.signIn(
      'testidp',
      { account: user },
      {
        onStarted: (request) => {
          browsing = browser.signIn(request.url, { login: user });
        },
      },
    );
    await browsing;
    const pass = passphrase();
    const { file } = await a.client.exportAccounts(pass, { secrets: true });
    const refreshes = oidc.grants.refresh_token ?? 0;
    const result = await b.client.importAccounts(file, pass);
    assert.deepEqual(result, { imported: [account.id], skipped: [] });
    const moved = await b.client.getAccount(account.id);
    assert.equal(moved.auth, 'oauth2');
    assert.deepEqual(moved.credentials, ['oauth2']);
    // The export carries no access token: b's first one comes from the imported refresh token.
    const token = await b.client.getAccessToken(account.id);
    assert.ok(token.token.length > 20);
    assert.equal(oidc.grants.refresh_token, refreshes + 1, 'b refreshed with the imported grant');
    assert.ok(oidc.issued.has(token.token), 'the provider issued the token b hands out');
  });
});
