/**
 * Secret Service faults: none on the bus, a locked collection, the keyring killed in the
 * middle of a batch of SetSecret calls, and a keyring name that never answers. Each gives
 * SecretsUnavailable — at once where the keyring or the bus refuses, after the service's own
 * timeout only where nothing answers — leaves nothing half-written, and the service recovers
 * without a restart once a working keyring is back. (How fast is bench/'s business.)
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { ACCOUNT, MANAGER, ROOT, s } from '../../harness/client.js';
import { alive } from '../../harness/process.js';
import { startKeyring, stopKeyring, waitFor, nameHasOwner } from '../../harness/session.js';
import {
  at,
  closeSession,
  credentialsOnDisk,
  idOf,
  keyringDisagreements,
  newSecret,
  openSession,
  outcome,
  type FaultSession,
} from '../lib/common.js';

const UNAVAILABLE = 'org.pantherx.Accounts.Error.SecretsUnavailable';
const OPS_IN_ONE_SERVICE = 150;
const P = '/org/pantherx/Accounts/account/';

/**
 * The reason a SecretsUnavailable gives is the keyring's (or the bus's) D-Bus error; "(Timeout)"
 * means the service waited its own timeout out, which only a keyring that never answers may cost.
 */
const WAITED_OUT = /\(Timeout\)/;

/** How many connections the process `pid` has open on the session's bus. */
async function connectionsOf(fs: FaultSession, pid: number): Promise<number> {
  const D = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus'] as const;
  const [names] = await fs.client.callTo(...D, 'ListNames');
  let n = 0;
  for (const name of (names as string[]).filter((x) => x.startsWith(':'))) {
    const r = await outcome(fs.client.callTo(...D, 'GetConnectionUnixProcessID', 's', [name]));
    if (r.name === 'ok' && (r.value as number[])[0] === pid) n++;
  }
  return n;
}

/** Files in the accounts directory with their bytes, to prove a failed call wrote nothing. */
const dirState = (dir: string) =>
  JSON.stringify(
    readdirSync(dir)
      .sort()
      .map((n) => [n, readFileSync(join(dir, n), 'latin1')]),
  );

export function keyringSuite(): void {
  describe('Secret Service faults', function () {
    this.timeout(90_000);

    for (const mode of ['none', 'locked'] as const) {
      describe(`keyring ${mode === 'none' ? 'absent from the bus' : 'locked'}`, () => {
        let fs: FaultSession;
        before(async function () {
          fs = await openSession(mode);
        });
        after(async function () {
          await closeSession(fs);
        });

        it("every secret call answers SecretsUnavailable from the keyring's or the bus's refusal (no timeout waited out) and writes nothing", async () => {
          const c = fs.client;
          const plain = await c.addAccount('sftp', `plain-${mode}@example.org`, {}, { 'sftp.host': s('127.0.0.1') });
          const before = dirState(fs.session.accountsDir);
          const calls = [
            ['AddAccount', c.addAccount('fastmail', `fast-${mode}@example.org`, { password: newSecret() })],
            ['SetSecret', c.call(plain, ACCOUNT, 'SetSecret', 'ss', ['password', newSecret()])],
            ['SetSecret (parallel)', c.call(plain, ACCOUNT, 'SetSecret', 'ss', ['sftp', newSecret()])],
          ] as const;
          const results = await Promise.all(calls.map(async ([what, p]) => [what, await outcome(p)] as const));
          for (const [what, r] of results) {
            assert.equal(r.name, UNAVAILABLE, `${what}: ${r.name} ${r.text}`);
            assert.doesNotMatch(r.text, WAITED_OUT, what);
          }
          assert.equal(dirState(fs.session.accountsDir), before);
          assert.deepEqual(await c.get(plain, ACCOUNT, 'Credentials'), []);
        });

        it('recovers without a restart once an unlocked keyring is back', async () => {
          const pid = fs.service.pid;
          if (fs.session.keyringPid) await stopKeyring(fs.session);
          await startKeyring(fs.session, fs.session.keyringPassword);
          const c = fs.client;
          const secret = newSecret();
          const path = await c.addAccount('fastmail', `back-${mode}@example.org`, { password: secret });
          assert.deepEqual(await c.call(path, ACCOUNT, 'GetSecret', 's', ['password']), [secret]);
          const plain = `${P}sftp_plain_${mode}_at_example_org`;
          const other = newSecret();
          await c.call(plain, ACCOUNT, 'SetSecret', 'ss', ['password', other]);
          assert.deepEqual(await c.call(plain, ACCOUNT, 'GetSecret', 's', ['password']), [other]);
          assert.equal(fs.service.pid, pid);
          assert.ok(alive(pid));
          assert.deepEqual(await keyringDisagreements(fs), { missing: [], orphans: [], unlisted: [] });
        });
      });
    }

    describe('many keyring operations in one service', () => {
      let fs: FaultSession;
      before(async function () {
        fs = await openSession('unlocked');
      });
      after(async function () {
        await closeSession(fs);
      });

      it(`${OPS_IN_ONE_SERVICE} SetSecret/GetSecret calls all succeed and leave no extra bus connections open`, async () => {
        const path = await fs.client.addAccount('fastmail', 'many-ops@example.org', { password: newSecret() });
        const failures = new Map<string, number>();
        let most = 0;
        for (let k = 0; k < OPS_IN_ONE_SERVICE; k++) {
          // The most it held at any point: a leak freed only by an occasional GC still shows.
          if (k % 25 === 24) most = Math.max(most, await connectionsOf(fs, fs.service.pid));
          const name = `n${k % 5}`;
          const value = newSecret();
          const set = await outcome(fs.client.call(path, ACCOUNT, 'SetSecret', 'ss', [name, value]));
          if (set.name !== 'ok') failures.set(set.text, (failures.get(set.text) ?? 0) + 1);
          else if (k % 10 === 0) {
            const got = await outcome(fs.client.call(path, ACCOUNT, 'GetSecret', 's', [name]));
            if (got.name !== 'ok' || (got.value as string[])[0] !== value)
              failures.set(`GetSecret: ${got.name}`, (failures.get(`GetSecret: ${got.name}`) ?? 0) + 1);
          }
        }
        most = Math.max(most, await connectionsOf(fs, fs.service.pid));
        assert.deepEqual(
          [...failures].map(([t, n]) => `${n}× ${t}`),
          [],
        );
        // The Secret Service is spoken over the service's own connection: one, however many
        // operations run.
        const bound = 1;
        assert.ok(
          most <= bound,
          `the service held up to ${most} connections to the bus during ${OPS_IN_ONE_SERVICE} keyring operations (bound ${bound})`,
        );
      });
    });

    describe('keyring killed in the middle of a batch of SetSecret calls', () => {
      let fs: FaultSession;
      const paths: string[] = [];
      const acked = new Map<string, string>();
      // Every SetSecret sent, per secret in the order sent (one account's calls run in that order).
      // A call the keyring carried out just before it died is answered SecretsUnavailable: its reply
      // was lost with the keyring. Like any call whose server dies under it, its outcome is unknown.
      const sent = new Map<string, Array<{ value: string; outcome?: string }>>();
      const results: Array<{ name: string; text: string }> = [];
      const afterKill: Array<{ name: string; text: string }> = [];
      before(async function () {
        fs = await openSession('unlocked');
        for (let i = 0; i < 8; i++)
          paths.push(await fs.client.addAccount('fastmail', `kill${i}@example.org`, { password: newSecret() }));
        for (const p of paths)
          acked.set(
            `${idOf(p)}/password`,
            (await fs.client.call(p, ACCOUNT, 'GetSecret', 's', ['password']))[0] as string,
          );
        const setSecret = (k: number, into: typeof results) => {
          const path = at(paths, k % paths.length);
          const name = k % 3 === 0 ? 'password' : `batch${k}`;
          const value = newSecret();
          const call = { value, outcome: undefined as string | undefined };
          const key = `${idOf(path)}/${name}`;
          sent.set(key, [...(sent.get(key) ?? []), call]);
          return outcome(fs.client.call(path, ACCOUNT, 'SetSecret', 'ss', [name, value])).then((r) => {
            into.push(r);
            call.outcome = r.name;
            if (r.name === 'ok') acked.set(key, value);
          });
        };
        const batch = Array.from({ length: 48 }, (_, k) => setSecret(k, results));
        // Kill it once some calls went through, while the rest are queued or running.
        await waitFor('a few SetSecret answers', () => results.length >= 4, 10_000);
        process.kill(fs.session.keyringPid!, 'SIGKILL');
        // And more calls right after the kill.
        batch.push(...Array.from({ length: 8 }, (_, k) => setSecret(100 + k, afterKill)));
        await Promise.all(batch);
        await waitFor('keyring gone', async () => !(await nameHasOwner(fs.session.env, 'org.freedesktop.secrets')));
        fs.session.keyringPid = undefined;
      });
      after(async function () {
        await closeSession(fs);
      });

      it("every call is answered: success before the kill, SecretsUnavailable after (the calls sent after the kill from the bus's refusal, no timeout waited out)", () => {
        const names = new Set(results.map((r) => r.name));
        assert.equal(results.length, 48);
        assert.ok(
          [...names].every((n) => n === 'ok' || n === UNAVAILABLE),
          [...names].join(', '),
        );
        assert.ok(names.has('ok') && names.has(UNAVAILABLE), `outcomes: ${[...names].join(', ')}`);
        assert.deepEqual(
          afterKill.filter((r) => r.name !== UNAVAILABLE || WAITED_OUT.test(r.text)).map((r) => `${r.name}: ${r.text}`),
          [],
        );
        assert.equal(afterKill.length, 8);
      });

      it('while the keyring is gone: SecretsUnavailable from the bus, no timeout waited out, nothing written', async () => {
        const before = dirState(fs.session.accountsDir);
        for (const path of paths.slice(0, 2)) {
          for (const call of [
            () => fs.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['later', newSecret()]),
            () => fs.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']),
            () => fs.client.call(path, ACCOUNT, 'Remove'),
          ]) {
            const r = await outcome(call());
            assert.equal(r.name, UNAVAILABLE, r.text);
            assert.doesNotMatch(r.text, WAITED_OUT);
          }
        }
        assert.equal(dirState(fs.session.accountsDir), before);
      });

      it('nothing half-written: once the keyring is back every listed secret is stored with its acknowledged value (or a later one whose reply died with the keyring)', async () => {
        const pid = fs.service.pid;
        await startKeyring(fs.session, fs.session.keyringPassword);
        const d = await keyringDisagreements(fs);
        assert.deepEqual(d.missing, [], 'a file names a secret that is not stored');
        const files = credentialsOnDisk(fs.session.accountsDir);
        const wrong: string[] = [];
        for (const [key, value] of acked) {
          const [id = '', name = ''] = key.split('/');
          if (!files.get(id)?.includes(name)) {
            wrong.push(`${key} was acknowledged but is not listed`);
            continue;
          }
          const r = await outcome(fs.client.call(P + id, ACCOUNT, 'GetSecret', 's', [name]));
          // The acknowledged value, or one sent after it whose call failed (its outcome unknown); never an older one.
          const calls = sent.get(key) ?? [];
          const since = calls.slice(calls.findLastIndex((c) => c.outcome === 'ok' && c.value === value) + 1);
          // Only a call that failed because the keyring went away may have taken effect unseen.
          const allowed = new Set([value, ...since.filter((c) => c.outcome === UNAVAILABLE).map((c) => c.value)]);
          const stored = r.name === 'ok' ? (r.value as string[])[0]! : undefined;
          if (stored === undefined) wrong.push(`${key}: ${r.name}`);
          else if (!allowed.has(stored))
            wrong.push(
              `${key}: ${calls.some((c) => c.value === stored) ? 'a value older than the acknowledged one' : 'a value never sent'}`,
            );
        }
        assert.deepEqual(wrong, []);
        assert.equal(fs.service.pid, pid, 'the service was not restarted');
        assert.ok(alive(pid));
      });

      it('recovers without a restart: SetSecret, GetSecret and Remove work again', async () => {
        const value = newSecret();
        await fs.client.call(at(paths, 0), ACCOUNT, 'SetSecret', 'ss', ['after', value]);
        assert.deepEqual(await fs.client.call(at(paths, 0), ACCOUNT, 'GetSecret', 's', ['after']), [value]);
        await fs.client.call(at(paths, 1), ACCOUNT, 'Remove');
        assert.ok(!existsSync(join(fs.session.accountsDir, `${idOf(at(paths, 1))}.ini`)));
      });
    });

    describe('a keyring name that never answers', () => {
      let fs: FaultSession;
      let fake: dbus.MessageBus | undefined;
      let path = '';
      let keep = '';
      before(async function () {
        fs = await openSession('unlocked');
        keep = newSecret();
        path = await fs.client.addAccount('fastmail', 'silent@example.org', { password: keep });
        await stopKeyring(fs.session);
        fake = dbus.sessionBus({ busAddress: fs.session.address });
        // Swallow every call: no reply, no error, ever.
        fake.addMethodHandler(() => true);
        await fake.requestName('org.freedesktop.secrets', 0x4);
        assert.ok(await nameHasOwner(fs.session.env, 'org.freedesktop.secrets'));
      });
      after(async function () {
        fake?.disconnect();
        await closeSession(fs);
      });

      it("each secret call answers SecretsUnavailable once the service's own timeout runs out, and the bus is served meanwhile", async () => {
        const before = dirState(fs.session.accountsDir);
        let slowAnswered = false;
        const slowCall = outcome(fs.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['imap', newSecret()])).finally(
          () => (slowAnswered = true),
        );
        // While the keyring call waits, other calls are answered: before it is.
        await fs.client.call(ROOT, 'org.freedesktop.DBus.Peer', 'Ping');
        await fs.client.call(ROOT, MANAGER, 'ListProviders');
        assert.equal(slowAnswered, false, 'Ping and ListProviders were answered only after the keyring call');
        const results: Array<[string, Awaited<ReturnType<typeof outcome>>]> = [['SetSecret', await slowCall]];
        results.push(['GetSecret', await outcome(fs.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']))]);
        results.push(['Remove', await outcome(fs.client.call(path, ACCOUNT, 'Remove'))]);
        results.push([
          'AddAccount',
          await outcome(fs.client.addAccount('fastmail', 'silent2@example.org', { password: newSecret() })),
        ]);
        const parallel = await Promise.all(
          [1, 2, 3].map((k) => outcome(fs.client.call(path, ACCOUNT, 'SetSecret', 'ss', [`p${k}`, newSecret()]))),
        );
        results.push(...parallel.map((r, k): [string, typeof r] => [`SetSecret in parallel #${k + 1}`, r]));
        // The service's timeout answers each (a call left waiting would end in the client's NoReply).
        const wrong = results
          .filter(([, r]) => r.name !== UNAVAILABLE || !WAITED_OUT.test(r.text))
          .map(([what, r]) => `${what}: ${r.name} ${r.text}`);
        assert.deepEqual(wrong, []);
        assert.equal(dirState(fs.session.accountsDir), before, 'nothing may be written');
        assert.ok(existsSync(join(fs.session.accountsDir, `${idOf(path)}.ini`)), 'Remove must not delete the file');
      });

      it('recovers without a restart once the real keyring is back', async () => {
        const pid = fs.service.pid;
        fake?.disconnect();
        fake = undefined;
        await waitFor(
          'fake keyring gone',
          async () => !(await nameHasOwner(fs.session.env, 'org.freedesktop.secrets')),
        );
        await startKeyring(fs.session, fs.session.keyringPassword);
        const r = await outcome(fs.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']));
        assert.equal(r.name, 'ok', r.text);
        assert.deepEqual(r.value, [keep]);
        const value = newSecret();
        await fs.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['imap', value]);
        assert.deepEqual(await fs.client.call(path, ACCOUNT, 'GetSecret', 's', ['imap']), [value]);
        assert.equal(fs.service.pid, pid);
        assert.deepEqual(await keyringDisagreements(fs), { missing: [], orphans: [], unlisted: [] });
      });
    });
  });
}
