/**
 * Crash safety: the service is SIGKILLed at random moments while a client runs mixed
 * add/update/remove calls with secrets; after each restart the directory and the keyring must
 * be consistent and every acknowledged account must be there with its secrets.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, PROPS, Variant, q, s } from '../../harness/client.js';
import { run, waitFor } from '../../harness/process.js';
import {
  at,
  FIGURES,
  Rng,
  closeSession,
  connectTracked,
  idOf,
  keyringDisagreements,
  keyringItems,
  newSecret,
  openSession,
  outcome,
  seedFromEnv,
  startTracked,
  startWithoutDacOverride,
  type FaultSession,
} from '../lib/common.js';

const IMAP = 'org.pantherx.Accounts.Imap';
const TOTAL_CALLS = 500;
const MIN_KILLS = 20;
const ROUND_QUOTA = 40;
const IN_FLIGHT = 6;

interface Model {
  id: string;
  path: string;
  /** 'maybe': an add or a remove was cut short by a kill. */
  exists: 'yes' | 'maybe';
  names: string[];
  ports: number[];
  /** name → the values it may hold. */
  secrets: Map<string, string[]>;
  /** Names that may or may not be listed (a SetSecret/DeleteSecret cut short). */
  optional: Set<string>;
  busy: boolean;
}

/** Errors that mean "the call may or may not have happened": the service died under it. */
const UNCERTAIN = new Set([
  'org.freedesktop.DBus.Error.NoReply',
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.Disconnected',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
]);

const ACCOUNT_FILE = /^[A-Za-z0-9_]+\.ini$/;

export function crashSuite(): void {
  describe('crash safety: SIGKILL at random moments during 500 mixed calls', function () {
    this.timeout(240_000);
    let fs: FaultSession;
    const models = new Map<string, Model>();
    const v = {
      lost: [] as string[],
      wrongState: [] as string[],
      badSecret: [] as string[],
      unexpectedObject: [] as string[],
      skipped: [] as string[],
      unparsed: [] as string[],
      debris: [] as string[],
      debrisSeen: [] as string[],
      orphans: [] as string[],
      unlisted: [] as string[],
      missing: [] as string[],
      orphansNotLogged: [] as string[],
      orphansSeen: [] as string[],
      restartFailures: [] as string[],
      unexpectedErrors: [] as string[],
    };
    let kills = 0;
    let calls = 0;
    let counter = 0;
    let secretsRead = 0;
    /** Accounts an operation went to since the last check: their secret values are read back. */
    const touched = new Set<string>();
    /** Calls a kill cut short, per account: named in failure messages, to show the cause. */
    const cutShort = new Map<string, string[]>();
    let currentRound = 0;
    const because = (id: string) =>
      cutShort.has(id) ? ` [cut short by a kill on this account: ${cutShort.get(id)!.join('; ')}]` : '';
    const noteCut = (id: string, what: string) =>
      cutShort.set(id, [...(cutShort.get(id) ?? []), `${what} in round ${currentRound}`].slice(-4));
    const add = (list: string[], line: string) => {
      if (!list.includes(line)) list.push(line);
    };

    before(async function () {
      const rng = new Rng(seedFromEnv('crash'));
      const t0 = Date.now();
      fs = await openSession('unlocked');
      const client = fs.client;
      const dir = fs.session.accountsDir;

      const settle = (m: Model, ok: () => void, uncertain: () => void) => async (p: Promise<unknown>, what: string) => {
        const r = await outcome(p);
        if (r.name === 'ok') ok();
        else if (UNCERTAIN.has(r.name)) {
          noteCut(m.id, what);
          uncertain();
        } else add(v.unexpectedErrors, `${what} on ${m.id}: ${r.name}: ${r.text}`);
        m.busy = false;
      };

      const opAdd = (): Promise<void> => {
        const n = ++counter;
        const provider = rng.pick(['imap', 'fastmail']);
        const user = `crash${n}@example.org`;
        const id = `${provider}_crash${n}_at_example_org`;
        const secrets: Record<string, string> = { password: newSecret() };
        if (rng.chance(0.5)) secrets.imap = newSecret();
        const m: Model = {
          id,
          path: `/org/pantherx/Accounts/account/${id}`,
          exists: 'maybe',
          names: [user],
          ports: [993],
          secrets: new Map(Object.entries(secrets).map(([k, x]) => [k, [x]])),
          optional: new Set(),
          busy: true,
        };
        models.set(id, m);
        touched.add(id);
        const opts: Record<string, InstanceType<typeof Variant>> = provider === 'imap'
          ? { 'imap.host': s('127.0.0.1') }
          : {};
        return (async () => {
          const r = await outcome(client.addAccount(provider, user, secrets, opts));
          if (r.name === 'ok') {
            m.exists = 'yes';
            if (r.value !== m.path)
              add(v.unexpectedErrors, `AddAccount ${user} returned ${String(r.value)}, expected ${m.path}`);
          } else if (!UNCERTAIN.has(r.name)) {
            add(v.unexpectedErrors, `AddAccount ${user}: ${r.name}: ${r.text}`);
            models.delete(id);
          } else {
            noteCut(id, 'AddAccount');
          }
          m.busy = false;
        })();
      };

      const opUpdate = (m: Model): Promise<void> => {
        m.busy = true;
        touched.add(m.id);
        const kind = rng.pick(['rename', 'port', 'secret', 'secret', 'delete'] as const);
        if (kind === 'rename') {
          const name = `Renamed ${++counter}`;
          return settle(
            m,
            () => (m.names = [name]),
            () => m.names.push(name),
          )(client.call(m.path, PROPS, 'Set', 'ssv', [ACCOUNT, 'Name', new Variant('s', name)]), 'Set Name');
        }
        if (kind === 'port') {
          const port = rng.range(1024, 65535);
          return settle(
            m,
            () => (m.ports = [port]),
            () => m.ports.push(port),
          )(client.call(m.path, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.port': q(port) }]), 'Update imap.port');
        }
        const extra = [...m.secrets.keys()].filter((n) => n !== 'password');
        if (kind === 'delete' && extra.length) {
          const name = rng.pick(extra);
          return settle(
            m,
            () => {
              m.secrets.delete(name);
              m.optional.delete(name);
            },
            () => m.optional.add(name),
          )(client.call(m.path, ACCOUNT, 'DeleteSecret', 's', [name]), `DeleteSecret ${name}`);
        }
        const name = rng.chance(0.5) ? rng.pick(['password', 'imap', 'smtp', 'caldav']) : `extra${rng.int(4)}`;
        const value = newSecret();
        const before = m.secrets.get(name);
        return settle(
          m,
          () => {
            m.secrets.set(name, [value]);
            m.optional.delete(name);
          },
          () => {
            m.secrets.set(name, [...(before ?? []), value]);
            if (!before) m.optional.add(name);
          },
        )(client.call(m.path, ACCOUNT, 'SetSecret', 'ss', [name, value]), `SetSecret ${name}`);
      };

      const opRemove = (m: Model): Promise<void> => {
        m.busy = true;
        touched.add(m.id);
        return settle(
          m,
          () => models.delete(m.id),
          () => (m.exists = 'maybe'),
        )(client.call(m.path, ACCOUNT, 'Remove'), 'Remove');
      };

      const nextOp = (): (() => Promise<void>) => {
        const live = [...models.values()].filter((m) => m.exists === 'yes' && !m.busy);
        const r = rng.next();
        if (live.length < 6 || (r < 0.3 && models.size < 40)) return opAdd;
        if (r < 0.8) {
          const m = rng.pick(live);
          return () => opUpdate(m);
        }
        const m = rng.pick(live);
        return () => opRemove(m);
      };

      /** After a kill, before the restart: what the crash left behind. */
      const afterKill = async () => {
        for (const n of readdirSync(dir)) if (!ACCOUNT_FILE.test(n)) add(v.debrisSeen, n);
        const d = await keyringDisagreements(fs);
        for (const o of [...d.orphans, ...d.unlisted]) add(v.orphansSeen, o);
        return [...d.orphans, ...d.unlisted];
      };

      /** After a restart: the full consistency check. */
      const check = async (round: number, orphansBefore: string[], readAll: boolean) => {
        const log = fs.service.log();
        for (const line of log.split('\n')) if (/skipped/.test(line)) add(v.skipped, `round ${round}: ${line}`);
        for (const n of readdirSync(dir))
          if (!ACCOUNT_FILE.test(n)) add(v.debris, `round ${round}: ${n} is still there after the restart`);
        // Orphans are removed just after start-up, off the critical path: give it a moment.
        let d = await keyringDisagreements(fs);
        for (let waited = 0; d.orphans.length + d.unlisted.length > 0 && waited < 2000; waited += 50) {
          await new Promise((r) => setTimeout(r, 50));
          d = await keyringDisagreements(fs);
        }
        for (const x of d.orphans) add(v.orphans, `round ${round}: ${x}`);
        for (const x of d.unlisted) add(v.unlisted, `round ${round}: ${x}`);
        for (const x of d.missing) add(v.missing, `round ${round}: ${x}${because(x.slice(0, x.indexOf('.ini')))}`);
        for (const o of orphansBefore) {
          const item = /keyring item (\S+)/.exec(o)?.[1];
          if (!item) throw new Error(`not an orphan line: ${o}`);
          const id = item.slice(0, item.lastIndexOf('/'));
          const cleaned = !d.orphans.concat(d.unlisted).some((x) => x.includes(`item ${item} `));
          const named = () =>
            fs.service
              .log()
              .split('\n')
              .some((l) => l.includes(id) && l.includes(item.slice(id.length + 1)));
          if (cleaned && !(await waitFor('log line', named, 2000).catch(() => false))) {
            add(v.orphansNotLogged, `round ${round}: ${item} was removed at start-up without a log line naming it`);
          }
        }
        const objects = await client.managedObjects();
        const files = readdirSync(dir)
          .filter((n) => ACCOUNT_FILE.test(n))
          .map((n) => n.slice(0, -4));
        for (const id of files)
          if (!(`/org/pantherx/Accounts/account/${id}` in objects))
            add(v.unparsed, `round ${round}: ${id}.ini is not served`);
        for (const [id, m] of [...models]) {
          const obj = objects[m.path];
          if (!obj) {
            if (m.exists === 'yes') add(v.lost, `round ${round}: ${id} was acknowledged but is gone`);
            models.delete(id);
            continue;
          }
          const name = obj[ACCOUNT]?.Name?.value as string;
          if (!m.names.includes(name))
            add(v.wrongState, `round ${round}: ${id} Name is '${name}', expected one of ${JSON.stringify(m.names)}`);
          const port = obj[IMAP]?.Port?.value as number;
          if (!m.ports.includes(port))
            add(v.wrongState, `round ${round}: ${id} imap port is ${port}, expected one of ${JSON.stringify(m.ports)}`);
          const creds = (obj[ACCOUNT]?.Credentials?.value as string[] | undefined) ?? [];
          for (const n of m.secrets.keys()) {
            if (!creds.includes(n) && !m.optional.has(n))
              add(v.badSecret, `round ${round}: ${id} lost its acknowledged secret '${n}'`);
          }
          if (
            !readAll &&
            !touched.has(id) &&
            m.exists === 'yes' &&
            JSON.stringify([...m.secrets.keys()].sort()) === JSON.stringify([...creds].sort())
          ) {
            // Untouched since the last full read: the listing (and the keyring check above) is enough.
            Object.assign(m, { names: [name], ports: [port], busy: false });
            continue;
          }
          const actual = new Map<string, string[]>();
          for (const n of creds) {
            secretsRead++;
            const r = await outcome(client.call(m.path, ACCOUNT, 'GetSecret', 's', [n]));
            if (r.name !== 'ok') {
              add(v.badSecret, `round ${round}: ${id} lists '${n}' but GetSecret fails: ${r.name}${because(id)}`);
              continue;
            }
            const value = String((r.value as unknown[])[0]);
            if (!m.secrets.get(n)?.includes(value))
              add(v.badSecret, `round ${round}: ${id} secret '${n}' holds a value that was never acknowledged or sent`);
            actual.set(n, [value]);
          }
          Object.assign(m, {
            exists: 'yes',
            names: [name],
            ports: [port],
            secrets: actual,
            optional: new Set(),
            busy: false,
          });
        }
        for (const p of Object.keys(objects))
          if (!models.has(idOf(p))) add(v.unexpectedObject, `round ${round}: ${p} appeared`);
        touched.clear();
      };

      for (let round = 1; calls < TOTAL_CALLS || kills < MIN_KILLS; round++) {
        // Each round sends up to ROUND_QUOTA calls and is cut short by a SIGKILL a random
        // few milliseconds after its killAt-th call went out.
        currentRound = round;
        const quota = Math.min(ROUND_QUOTA, TOTAL_CALLS - calls);
        const killAt = quota > 0 ? rng.range(1, quota) : 0;
        const delay = rng.int(25);
        const inflight = new Set<Promise<void>>();
        let killed = false;
        const pid = fs.service.pid;
        const kill = () =>
          new Promise<void>((r) =>
            setTimeout(() => {
              killed = true;
              process.kill(pid, 'SIGKILL');
              r();
            }, delay),
          );
        let killTimer: Promise<void> | undefined = quota === 0 ? kill() : undefined;
        for (let sent = 0; sent < quota && !killed;) {
          while (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
          if (killed) break;
          const op = nextOp();
          const p: Promise<void> = op().finally(() => inflight.delete(p));
          inflight.add(p);
          sent++;
          calls++;
          if (sent === killAt) killTimer = kill();
        }
        await killTimer;
        await Promise.allSettled([...inflight]);
        await fs.service.exited;
        kills++;
        for (const m of models.values()) m.busy = false;
        const orphansBefore = await afterKill();
        try {
          await startTracked(fs);
        } catch (err) {
          add(v.restartFailures, `round ${round}: ${(err as Error).message}`);
          throw err;
        }
        // Every secret of every account is read back every fifth round and after the last kill.
        await check(round, orphansBefore, round % 5 === 0 || (calls >= TOTAL_CALLS && kills >= MIN_KILLS));
        FIGURES.killsSurvived++;
      }
      console.log(
        `      [crash] ${kills} kills, ${calls} calls in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${models.size} accounts at the end, ${secretsRead} secrets read back; seen after kills: ${v.debrisSeen.length} temp files, ${v.orphansSeen.length} orphan secrets`,
      );
    });

    after(async function () {
      await closeSession(fs);
    });

    it(`survives at least ${MIN_KILLS} SIGKILLs: every restart serves again`, () => {
      assert.deepEqual(v.restartFailures, []);
      assert.ok(kills >= MIN_KILLS, `only ${kills} kills`);
      assert.equal(calls, TOTAL_CALLS);
    });

    it('no unexpected error while the service was up (only NoReply/ServiceUnknown from the kill)', () => {
      assert.deepEqual(v.unexpectedErrors, []);
    });

    it('every acknowledged account that was not removed is there, with its settings', () => {
      assert.deepEqual(v.lost, []);
      assert.deepEqual(v.wrongState, []);
      assert.deepEqual(v.unexpectedObject, []);
    });

    it('every acknowledged secret is there (GetSecret works and returns what was stored)', () => {
      assert.deepEqual(v.badSecret, []);
    });

    it('every .ini file parses after each restart (no "skipped" line, every file served)', () => {
      assert.deepEqual(v.skipped, []);
      assert.deepEqual(v.unparsed, []);
    });

    it('no temp debris is left in the accounts directory after a restart', () => {
      assert.deepEqual(v.debris, [], `temp files seen right after kills: ${v.debrisSeen.join(', ')}`);
    });

    it('no file names a secret that is not stored', () => {
      assert.deepEqual(v.missing, []);
    });

    it('no secret exists without its account after a restart (orphans are removed at start-up, and logged)', () => {
      assert.deepEqual(
        { orphans: v.orphans, unlisted: v.unlisted, notLogged: v.orphansNotLogged },
        { orphans: [], unlisted: [], notLogged: [] },
        `orphans seen right after kills: ${v.orphansSeen.length}`,
      );
    });

    it('crash leftovers planted by hand (an orphan secret, a write-file-atomic temp file) are gone after a start, with a log line', async () => {
      const files = readdirSync(fs.session.accountsDir).filter((n) => ACCOUNT_FILE.test(n));
      assert.ok(files.length > 0, 'no account file left to plant a temp file next to');
      const victim = at(files, 0);
      const temp = `${victim}.${Math.floor(Math.random() * 4e9)}`;
      process.kill(fs.service.pid, 'SIGKILL');
      await fs.service.exited;
      writeFileSync(
        join(fs.session.accountsDir, temp),
        readFileSync(join(fs.session.accountsDir, victim)).subarray(0, 20),
        { mode: 0o600 },
      );
      const ghost = 'imap_ghost_at_example_org';
      const stored = await run(
        'secret-tool',
        ['store', '--label=ghost', 'service', 'org.pantherx.Accounts', 'username', `${ghost}/password`],
        fs.session.env,
        newSecret(),
      );
      assert.equal(stored.code, 0, stored.stderr);
      assert.ok((await keyringItems(fs)).includes(`${ghost}/password`));
      await startTracked(fs);
      kills++;
      const left = readdirSync(fs.session.accountsDir).filter((n) => !ACCOUNT_FILE.test(n));
      let items = await keyringItems(fs);
      for (let waited = 0; items.some((i) => i.startsWith(ghost + '/')) && waited < 3000; waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
        items = await keyringItems(fs);
      }
      assert.deepEqual(
        { temp: left, orphan: items.filter((i) => i.startsWith(ghost + '/')) },
        { temp: [], orphan: [] },
      );
      await waitFor(`a log line naming ${ghost}`, () => fs.service.log().includes(ghost), 2000).catch(() => undefined);
      assert.ok(
        fs.service
          .log()
          .split('\n')
          .some((l) => l.includes(ghost)),
        `no log line names ${ghost}:\n${fs.service.log()}`,
      );
    });
  });

  describe('crash safety, deterministically: every operation whose file write fails', function () {
    this.timeout(60_000);
    let fs: FaultSession;
    let path = '';
    let file = '';
    let text = '';
    const kept = new Map<string, string>();
    before(async function () {
      fs = await openSession('unlocked', false);
      // Without CAP_DAC_OVERRIDE a read-only directory really refuses writes, even to root.
      await startWithoutDacOverride(fs);
      fs.client = await connectTracked(fs);
      for (const n of ['password', 'imap', 'extra0']) kept.set(n, newSecret());
      path = await fs.client.addAccount('fastmail', 'readonly@example.org', {
        password: kept.get('password')!,
        imap: kept.get('imap')!,
      });
      await fs.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['extra0', kept.get('extra0')!]);
      file = join(fs.session.accountsDir, `${idOf(path)}.ini`);
      text = readFileSync(file, 'utf8');
      chmodSync(fs.session.accountsDir, 0o500);
    });
    after(async function () {
      if (fs) chmodSync(fs.session.accountsDir, 0o700);
      await closeSession(fs);
    });

    const IO = 'org.pantherx.Accounts.Error.Io';
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['DeleteSecret', () => fs.client.call(path, ACCOUNT, 'DeleteSecret', 's', ['extra0'])],
      ['SetSecret of a new name', () => fs.client.call(path, ACCOUNT, 'SetSecret', 'ss', ['smtp', newSecret()])],
      ['Update', () => fs.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.port': q(1993) }])],
      ['Set Name', () => fs.client.call(path, PROPS, 'Set', 'ssv', [ACCOUNT, 'Name', new Variant('s', 'Read only')])],
      ['Remove', () => fs.client.call(path, ACCOUNT, 'Remove')],
      ['AddAccount', () => fs.client.addAccount('fastmail', 'readonly2@example.org', { password: newSecret() })],
    ];
    for (const [what, call] of cases) {
      it(`${what}: answers Io and leaves the file and the keyring as they were`, async () => {
        const r = await outcome(call());
        assert.equal(r.name, IO, `${r.name}: ${r.text}`);
        assert.equal(readFileSync(file, 'utf8'), text);
        assert.deepEqual(await keyringDisagreements(fs), { missing: [], orphans: [], unlisted: [] });
        for (const [n, value] of kept)
          assert.deepEqual(await fs.client.call(path, ACCOUNT, 'GetSecret', 's', [n]), [value], n);
        assert.deepEqual(readdirSync(fs.session.accountsDir), [`${idOf(path)}.ini`]);
      });
    }
  });
}
