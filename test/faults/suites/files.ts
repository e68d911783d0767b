/**
 * Hostile files in the accounts directory: binary, 50 MiB, duplicate sections, symlinks out
 * of the directory, odd names, unreadable files, a directory and a FIFO named *.ini, a
 * socket. Start-up survives (and does not hang), each is skipped with a log line naming it,
 * and none is modified.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, ROOT, TestClient } from '../../harness/client.js';
import { alive, run } from '../../harness/process.js';
import { waitFor } from '../../harness/session.js';
import {
  FIGURES,
  closeSession,
  newSecret,
  openSession,
  startTracked,
  startWithoutDacOverride,
  type FaultSession,
} from '../lib/common.js';

const P = '/org/pantherx/Accounts/account/';
const ini = (provider: string, username: string, extra = '') =>
  `[account]\nprovider = ${provider}\nusername = ${username}\nprotocols = imap\n${extra}`;
const MiB = 1024 * 1024;

interface Hostile {
  /** The name on disk (a Buffer for names that are not UTF-8). */
  name: string | Buffer;
  /** How the service prints the name (Node decodes file names as UTF-8). */
  shown: string;
  make(path: string | Buffer): void | Promise<void>;
  /** 'skip': must be skipped with a log line; 'either': served, or skipped with a log line. */
  expect: 'skip' | 'either';
  /** Part of the reason the log line must give. */
  reason?: RegExp;
}

/**
 * Whether a process has the FIFO open for reading (or waits in open() to): only then may a
 * non-blocking writer open it, which is closed again at once; otherwise the open fails with ENXIO.
 */
function fifoReader(path: string): boolean {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') return false;
    throw err;
  }
}

/** What a file is, byte for byte, without opening FIFOs or sockets. */
function fingerprint(path: string | Buffer): string {
  const st = lstatSync(path);
  const base = `${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${st.ino}`;
  if (st.isSymbolicLink()) return `link ${base} → ${readlinkSync(path)}`;
  if (st.isFile()) return `file ${base} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  if (st.isDirectory()) return `dir ${base} [${readdirSync(path).sort().join(',')}]`;
  return `other ${base}`;
}

export function filesSuite(): void {
  describe('hostile files in the accounts directory', function () {
    this.timeout(120_000);
    let fs: FaultSession;
    let client: TestClient;
    let dir = '';
    let outside = '';
    const prints = new Map<string, string>();
    const outsidePrints = new Map<string, string>();

    const hostile: Hostile[] = [
      {
        name: 'binary_nul.ini',
        shown: 'binary_nul.ini',
        expect: 'skip',
        reason: /binary/,
        make: (p) => writeFileSync(p, Buffer.concat([randomBytes(2048), Buffer.from([0, 0, 0]), randomBytes(2048)])),
      },
      {
        name: 'binary_high.ini',
        shown: 'binary_high.ini',
        expect: 'skip',
        make: (p) => writeFileSync(p, Buffer.from(Array.from(randomBytes(4096), (b) => 0x80 | b))),
      },
      {
        name: 'utf16.ini',
        shown: 'utf16.ini',
        expect: 'skip',
        make: (p) => writeFileSync(p, Buffer.from('\ufeff' + ini('gandi', 'utf16@example.org'), 'utf16le')),
      },
      {
        name: 'big_50mib.ini',
        shown: 'big_50mib.ini',
        expect: 'skip',
        reason: /larger than/,
        make: (p) => {
          const fd = openSync(p, 'w', 0o600);
          writeSync(fd, ini('gandi', 'big@example.org'));
          const chunk = Buffer.alloc(MiB, '; padding padding padding padding padding padding padding padding\n');
          for (let i = 0; i < 50; i++) writeSync(fd, chunk);
          closeSync(fd);
        },
      },
      {
        name: 'just_over_1mib.ini',
        shown: 'just_over_1mib.ini',
        expect: 'skip',
        reason: /larger than/,
        make: (p) => writeFileSync(p, ini('gandi', 'over@example.org') + ';'.repeat(MiB)),
      },
      {
        name: 'empty.ini',
        shown: 'empty.ini',
        expect: 'skip',
        reason: /no \[account\] section/,
        make: (p) => writeFileSync(p, ''),
      },
      {
        name: 'dup_conflict.ini',
        shown: 'dup_conflict.ini',
        expect: 'either',
        make: (p) =>
          writeFileSync(
            p,
            ini('gandi', 'dup1@example.org') +
              'provider = yahoo\n[imap]\nport = 1143\n[account]\nusername = dup2@example.org\n[imap]\nport = 2143\n',
          ),
      },
      {
        name: 'proto.ini',
        shown: 'proto.ini',
        expect: 'either',
        make: (p) =>
          writeFileSync(
            p,
            '[account]\n__proto__ = polluted\nconstructor = x\nprovider = gandi\nusername = proto@example.org\nprotocols = imap\n[__proto__]\npolluted = yes\n[imap]\n__proto__[] = x\n',
          ),
      },
      {
        name: 'link_outside.ini',
        shown: 'link_outside.ini',
        expect: 'skip',
        reason: /symbolic link/,
        make: (p) => symlinkSync(outside, p),
      },
      {
        name: 'link_passwd.ini',
        shown: 'link_passwd.ini',
        expect: 'skip',
        reason: /symbolic link/,
        make: (p) => symlinkSync('/etc/passwd', p),
      },
      {
        name: 'link_dotdot.ini',
        shown: 'link_dotdot.ini',
        expect: 'skip',
        reason: /symbolic link/,
        make: (p) => symlinkSync('../../outside.ini', p),
      },
      {
        name: 'link_dangling.ini',
        shown: 'link_dangling.ini',
        expect: 'skip',
        reason: /symbolic link/,
        make: (p) => symlinkSync('/nonexistent/px-accounts/x.ini', p),
      },
      {
        name: 'link_loop.ini',
        shown: 'link_loop.ini',
        expect: 'skip',
        reason: /symbolic link/,
        make: (p) => symlinkSync('link_loop.ini', p),
      },
      {
        name: 'link_dir.ini',
        shown: 'link_dir.ini',
        expect: 'skip',
        reason: /symbolic link/,
        make: (p) => symlinkSync('/etc', p),
      },
      {
        name: 'has space.ini',
        shown: 'has space.ini',
        expect: 'skip',
        reason: /not a valid account id/,
        make: (p) => writeFileSync(p, ini('icloud', 'space@example.org')),
      },
      {
        name: '.ini',
        shown: '.ini',
        expect: 'skip',
        reason: /not a valid account id/,
        make: (p) => writeFileSync(p, ini('icloud', 'dot@example.org')),
      },
      {
        name: `${'a'.repeat(251)}.ini`,
        shown: `${'a'.repeat(251)}.ini`,
        expect: 'skip',
        reason: /not a valid account id/,
        make: (p) => writeFileSync(p, ini('icloud', 'long@example.org')),
      },
      {
        name: '..%2f..%2fetc.ini',
        shown: '..%2f..%2fetc.ini',
        expect: 'skip',
        reason: /not a valid account id/,
        make: (p) => writeFileSync(p, ini('icloud', 'pct@example.org')),
      },
      {
        name: Buffer.from([0xff, 0xfe, 0x2e, 0x69, 0x6e, 0x69]),
        shown: '\ufffd\ufffd.ini',
        expect: 'skip',
        reason: /not a valid account id/,
        make: (p) => writeFileSync(p, ini('icloud', 'latin@example.org')),
      },
      // A newline in a name must not forge a log line of its own.
      {
        name: 'evil\n<3>forged.ini',
        shown: 'evil <3>forged.ini',
        expect: 'skip',
        reason: /not a valid account id/,
        make: (p) => writeFileSync(p, ini('icloud', 'nl@example.org')),
      },
      {
        name: 'x.ini',
        shown: 'x.ini',
        expect: 'skip',
        reason: /not a regular file/,
        make: (p) => {
          mkdirSync(p);
          writeFileSync(join(p as string, 'inner.ini'), ini('gandi', 'inner@example.org'));
        },
      },
      {
        name: 'y.ini',
        shown: 'y.ini',
        expect: 'skip',
        reason: /not a regular file/,
        make: (p) =>
          run('mkfifo', ['-m', '600', p as string], process.env).then((r) => assert.equal(r.code, 0, r.stderr)),
      },
      {
        name: 'sock.ini',
        shown: 'sock.ini',
        expect: 'skip',
        reason: /not a regular file/,
        make: (p) =>
          run(
            '/usr/bin/python3',
            ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', p as string],
            process.env,
          ).then((r) => assert.equal(r.code, 0, r.stderr)),
      },
    ];

    const pathOf = (name: string | Buffer): string | Buffer =>
      typeof name === 'string' ? join(dir, name) : Buffer.concat([Buffer.from(dir + '/'), name]);
    const key = (name: string | Buffer) => (typeof name === 'string' ? name : name.toString('hex'));

    before(async function () {
      fs = await openSession('unlocked', false);
      dir = fs.session.accountsDir;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      outside = join(fs.session.dir, 'outside.ini');
      writeFileSync(outside, ini('google', 'outside@example.org'));
      writeFileSync(join(dir, 'good.ini'), ini('gandi', 'good@example.org', 'colour = green\n'));
      writeFileSync(join(dir, 'unreadable.ini'), ini('yahoo', 'unreadable@example.org'));
      chmodSync(join(dir, 'unreadable.ini'), 0o000);
      for (const h of hostile) await h.make(pathOf(h.name));
      FIGURES.filesTried += hostile.length + 1;
      for (const h of hostile) prints.set(key(h.name), fingerprint(pathOf(h.name)));
      prints.set('unreadable.ini', fingerprint(join(dir, 'unreadable.ini')));
      for (const p of [outside, '/etc/passwd']) outsidePrints.set(p, fingerprint(p));
      await startTracked(fs);
      client = fs.client = await TestClient.connect(fs.session.address);
      fs.clients.push(client);
    });

    after(async function () {
      await closeSession(fs);
    });

    it('start-up survives and does not hang (no FIFO is held open or blocked on)', async () => {
      assert.equal(fifoReader(join(dir, 'y.ini')), false, 'the FIFO is held open');
      assert.ok(alive(fs.service.pid));
      await client.call(ROOT, 'org.freedesktop.DBus.Peer', 'Ping');
      const objects = await client.managedObjects();
      assert.ok(P + 'good' in objects, 'the good file is served');
      assert.equal(await client.get(P + 'good', ACCOUNT, 'Username'), 'good@example.org');
    });

    it('each hostile file is skipped with one log line naming it and why (or, where allowed, served)', async () => {
      const log = fs.service.log();
      const lines = log.split('\n');
      const objects = await client.managedObjects();
      const problems: string[] = [];
      for (const h of hostile) {
        const line = lines.find((l) => l.includes(`/${h.shown} skipped: `));
        const id = h.shown.replace(/\.ini$/, '');
        const served = P + id in objects;
        if (h.expect === 'skip') {
          if (!line) problems.push(`${JSON.stringify(h.shown)}: no "skipped" log line`);
          else if (h.reason && !h.reason.test(line))
            problems.push(`${JSON.stringify(h.shown)}: reason does not match ${h.reason}: ${line}`);
          if (served) problems.push(`${JSON.stringify(h.shown)}: served although it must be skipped`);
        } else if (!line && !served) {
          problems.push(`${JSON.stringify(h.shown)}: neither served nor logged (silently dropped)`);
        }
      }
      assert.deepEqual(problems, [], log);
      assert.ok(!lines.some((l) => l.startsWith('<3>forged')), 'a file name forged a log line');
    });

    it('a chmod 000 file is readable to root: served, and its mode is kept (see the next test for a failing read)', async () => {
      // We run as root with CAP_DAC_OVERRIDE: chmod 000 does not stop reads.
      const objects = await client.managedObjects();
      assert.ok(P + 'unreadable' in objects, fs.service.log());
      assert.equal(lstatSync(join(dir, 'unreadable.ini')).mode & 0o777, 0);
    });

    const addLive = async (live: Array<[string, (p: string) => Promise<void> | void]>) => {
      FIGURES.filesTried += live.length;
      for (const [name, make] of live) await make(join(dir, name));
      const missing: string[] = [];
      for (const [name] of live) {
        await waitFor(`a log line for ${name}`, () => fs.service.log().includes(`/${name} skipped: `), 3000).catch(() =>
          missing.push(name),
        );
      }
      await client.call(ROOT, 'org.freedesktop.DBus.Peer', 'Ping');
      assert.ok(alive(fs.service.pid));
      for (const [name] of live)
        if (lstatSync(join(dir, name)).isFIFO())
          assert.equal(fifoReader(join(dir, name)), false, `${name} is held open`);
      const objects = await client.managedObjects();
      for (const [name] of live) assert.ok(!(P + name.slice(0, -4) in objects), name);
      assert.deepEqual(missing, [], 'added while running, but no "skipped" log line');
    };

    it('hostile files added while the service runs (FIFO, symlink, binary) are skipped with a log line; it keeps answering', async () => {
      await addLive([
        ['y2.ini', (p) => run('mkfifo', [p], process.env).then(() => undefined)],
        ['link2.ini', (p) => symlinkSync(outside, p)],
        ['bin2.ini', (p) => writeFileSync(p, Buffer.from([0, 1, 2, 0, 255]))],
      ]);
    });

    it('a directory named *.ini created while the service runs is skipped with a log line too', async () => {
      await addLive([['x2.ini', (p) => mkdirSync(p)]]);
    });

    it('a write by the service (SetSecret on the good account) touches no other entry', async () => {
      await client.call(P + 'good', ACCOUNT, 'SetSecret', 'ss', ['password', newSecret()]);
      assert.match(readFileSync(join(dir, 'good.ini'), 'utf8'), /colour = green/);
    });

    it('no hostile file, nor what a symlink points to, was modified, moved or deleted', () => {
      const changed: string[] = [];
      for (const h of hostile) {
        const now = (() => {
          try {
            return fingerprint(pathOf(h.name));
          } catch (err) {
            return `gone: ${(err as Error).message}`;
          }
        })();
        if (now !== prints.get(key(h.name)))
          changed.push(`${JSON.stringify(h.shown)}: ${prints.get(key(h.name))} → ${now}`);
      }
      if (fingerprint(join(dir, 'unreadable.ini')) !== prints.get('unreadable.ini'))
        changed.push('unreadable.ini changed');
      for (const [p, fp] of outsidePrints) if (fingerprint(p) !== fp) changed.push(`${p} changed`);
      assert.deepEqual(changed, []);
    });

    it('a file whose read really fails (EACCES, service without CAP_DAC_OVERRIDE via setpriv) is skipped with a log line', async () => {
      await fs.service.stop();
      const service = await startWithoutDacOverride(fs);
      await waitFor('start-up log', () => /serving \d+ accounts/.test(service.log()), 5000);
      assert.match(service.log(), /\/unreadable\.ini skipped: cannot read it \(EACCES\)/);
      const objects = await client.managedObjects();
      assert.ok(!(P + 'unreadable' in objects));
      assert.ok(P + 'good' in objects);
      assert.equal(fingerprint(join(dir, 'unreadable.ini')), prints.get('unreadable.ini'));
    });
  });
}
