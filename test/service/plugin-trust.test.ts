/**
 * Issue 25, finding 2, replayed through the real bus: a second local user (`nobody`, through
 * setpriv) tries to put its own program in the place of a plugin's helper and be handed an
 * account's password on stdin. Plugin directories others can change are refused at load; a
 * shared sticky directory (as /tmp) is accepted, since there nobody can rename our files; and a
 * helper is checked again before each run, so a swap made after load is never run.
 */
import { strict as assert } from 'node:assert';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANAGER, ROOT, errorOf, s, type V } from '../harness/client.js';
import { run } from '../harness/process.js';
import { testSecret, useFixture } from '../harness/fixture.js';

const AS_NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'];

describe('plugin helpers another local user could swap (issue 25, finding 2)', function () {
  this.timeout(30_000);
  let base: string;
  let loot: string;
  const secret = testSecret();
  const plugins = (data: string) => join(base, data, 'px-accounts', 'plugins');

  /** The owner's plugin: a helper that says OK and keeps what it was given (to show it ran). */
  function install(data: string, id: string, dirMode = 0o755): void {
    const dir = plugins(data);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, dirMode);
    writeFileSync(
      join(dir, `${id}.ini`),
      `[plugin]\nname = ${id}\ninterface = org.example.Accounts.${id}\nsettings = host\nsecrets = password\nhelper = ${id}-helper\ntimeout = 5\n`,
      { mode: 0o644 },
    );
    writeFileSync(join(dir, `${id}-helper`), `#!/bin/sh\ncat > "$(dirname "$0")/${id}.got"\necho OK\n`, {
      mode: 0o755,
    });
  }

  /** Runs a shell command as `nobody`; its exit status. */
  const asNobody = async (script: string) =>
    (await run('setpriv', [...AS_NOBODY, '/bin/sh', '-c', script], { PATH: '/usr/bin:/bin' })).code;

  /** The attacker's helper: keeps the password where nobody can read it, and says OK. */
  const evil = (id: string) => `#!/bin/sh\ncat > ${loot}/${id}\necho OK\n`;

  async function validate(id: string): Promise<Record<string, unknown>> {
    const [r] = await fx.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
      id,
      'alice',
      { password: secret },
      { [`${id}.host`]: s('127.0.0.1') },
    ]);
    const result = (r as Record<string, V>)[id]!.value as Record<string, V>;
    return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.value]));
  }

  const fx = useFixture({
    start: async (fx) => {
      base = mkdtempSync(join(tmpdir(), 'pxa-trust-'));
      fx.onStop(() => rmSync(base, { recursive: true, force: true }));
      chmodSync(base, 0o755);
      loot = join(base, 'loot');
      mkdirSync(loot, { mode: 0o777 });
      chmodSync(loot, 0o777);
      // open: the plugins directory is writable by others (no sticky bit).
      install('open', 'opened', 0o777);
      // squat: a shared sticky directory where `nobody` made px-accounts/plugins first.
      mkdirSync(join(base, 'squat'), { mode: 0o755 });
      chmodSync(join(base, 'squat'), 0o1777);
      assert.equal(await asNobody(`mkdir -p -m 777 ${plugins('squat')}`), 0);
      install('squat', 'squatted');
      // sticky: a shared sticky directory (as /tmp) with the owner's own directories in it.
      mkdirSync(join(base, 'sticky'), { mode: 0o755 });
      chmodSync(join(base, 'sticky'), 0o1777);
      install('sticky', 'shared');
      // late: a safe directory at load, made writable by others afterwards.
      install('late', 'later');
    },
    service: {
      env: () => ({ XDG_DATA_DIRS: ['open', 'squat', 'sticky', 'late'].map((d) => join(base, d)).join(':') }),
    },
  });

  it('refuses a plugin directory others can write to, or that another user made, with a log line', async () => {
    const [list] = await fx.client.call(ROOT, MANAGER, 'ListProtocols');
    const ids = (list as Array<Record<string, V>>).map((p) => p.id!.value);
    assert.ok(!ids.includes('opened') && !ids.includes('squatted'), 'refused');
    assert.ok(ids.includes('shared') && ids.includes('later'), 'accepted');
    const log = fx.service.log();
    assert.match(
      log,
      new RegExp(
        `protocol plugin directory ${plugins('open')} skipped: directory ${plugins('open')} is writable by group or others and not sticky`,
      ),
    );
    assert.match(log, new RegExp(`protocol plugin directory ${plugins('squat')} skipped: .*owned by uid 65534`));
    // The attacker swaps the refused plugin's helper: it is never run.
    assert.equal(
      await asNobody(
        `cd ${plugins('open')} && printf '%s' '${evil('opened')}' > x && chmod 755 x && mv -f x opened-helper`,
      ),
      0,
      'the swap itself works there',
    );
    const err = await errorOf(validate('opened'));
    assert.match(err.type, /UnsupportedProtocol|InvalidArgument/);
    assert.equal(existsSync(join(loot, 'opened')), false, 'the attacker got nothing');
  });

  it("in a shared sticky directory (as /tmp) nobody can swap the helper, and the check runs the owner's", async () => {
    const dir = plugins('sticky');
    assert.notEqual(
      await asNobody(
        `printf '%s' '${evil('shared')}' > ${base}/sticky/x && chmod 755 ${base}/sticky/x && mv -f ${base}/sticky/x ${dir}/shared-helper`,
      ),
      0,
      'cannot replace the helper',
    );
    assert.notEqual(
      await asNobody(`printf '%s' '${evil('shared')}' > ${dir}/shared-helper`),
      0,
      'cannot write into it',
    );
    assert.notEqual(
      await asNobody(`mv ${base}/sticky/px-accounts ${base}/sticky/moved && mkdir -p ${dir}`),
      0,
      "cannot move the owner's directory aside",
    );
    const r = await validate('shared');
    assert.equal(r.code, 'Ok', String(r.message));
    assert.ok(readFileSync(join(dir, 'shared.got'), 'utf8').includes(secret), "the owner's helper had the password");
    assert.equal(existsSync(join(loot, 'shared')), false, 'the attacker got nothing');
  });

  it('a helper swapped after load is never run: Unavailable, saying why', async () => {
    const dir = plugins('late');
    assert.equal((await validate('later')).code, 'Ok');
    // The owner makes the directory writable to others after load; `nobody` swaps the helper.
    chmodSync(dir, 0o777);
    assert.equal(
      await asNobody(`cd ${dir} && printf '%s' '${evil('later')}' > x && chmod 755 x && mv -f x later-helper`),
      0,
    );
    let r = await validate('later');
    assert.equal(r.code, 'Unavailable');
    assert.match(String(r.message), /is writable by group or others and not sticky \(mode 777\); it was not run/);
    // The directory is closed again, but the helper in it is no longer the one checked at load.
    chmodSync(dir, 0o755);
    r = await validate('later');
    assert.equal(r.code, 'Unavailable');
    assert.match(String(r.message), /later-helper is owned by uid 65534, not by this user or root; it was not run/);
    assert.equal(existsSync(join(loot, 'later')), false, 'the attacker got nothing');
    // Even the owner's own replacement waits for a restart: same owner and mode, another file.
    writeFileSync(join(dir, 'y'), `#!/bin/sh\ncat > ${loot}/later\necho OK\n`, { mode: 0o755 });
    renameSync(join(dir, 'y'), join(dir, 'later-helper'));
    r = await validate('later');
    assert.equal(r.code, 'Unavailable');
    assert.match(
      String(r.message),
      /later-helper was replaced or changed since the service loaded it \([a-z, ]+\); it was not run/,
    );
    assert.equal(existsSync(join(loot, 'later')), false, 'the replacement was not run');
    assert.ok(!fx.service.log().includes(secret), 'no secret in the log');
  });
});
