/**
 * Concurrency: 20 clients on their own connections run 50 operations each, all at once,
 * including adds of the same account by several clients. Nothing acknowledged may be lost,
 * exactly one add of each duplicate wins, and files and keyring agree at the end.
 */
import { strict as assert } from 'node:assert';
import { ACCOUNT, PROPS, TestClient, Variant, q, s } from '../../harness/client.js';
import {
  at,
  closeSession,
  connectTracked,
  keyringDisagreements,
  newSecret,
  openSession,
  outcome,
  startTracked,
  within,
  type FaultSession,
} from '../lib/common.js';

const CLIENTS = 20;
const OPS = 50;
const SHARED = 5;
const E = 'org.pantherx.Accounts.Error.';
const P = '/org/pantherx/Accounts/account/';
/** Each client of a shared account's group owns one setting of it. */
const SHARED_SETTINGS = ['imap.port', 'smtp.port', 'caldav.url', 'carddav.url'] as const;

const sharedPath = (j: number) => `${P}fastmail_shared${j}_at_example_org`;
const ownPath = (i: number) => `${P}fastmail_own${i}_at_example_org`;
const WAVE_PATH = `${P}fastmail_wave_at_example_org`;

interface Expect {
  name?: string;
  settings: Record<string, string | number>;
  secrets: Map<string, string>;
}

export function concurrencySuite(): void {
  describe('concurrency: 20 clients × 50 operations at once', function () {
    this.timeout(180_000);
    let fs: FaultSession;
    const clients: TestClient[] = [];
    const failures: string[] = [];
    const addResults = new Map<string, Array<{ client: number; name: string; secret: string }>>();
    const expect = new Map<string, Expect>();
    let opsDone = 0;

    const exp = (path: string) => {
      let e = expect.get(path);
      if (!e) expect.set(path, (e = { settings: {}, secrets: new Map() }));
      return e;
    };

    before(async function () {
      fs = await openSession('unlocked');
      for (let i = 0; i < CLIENTS; i++) clients.push(await connectTracked(fs, i === 0));

      let releaseShared!: () => void;
      const sharedReady = new Promise<void>((r) => (releaseShared = r));
      let sharedAddsLeft = CLIENTS;

      const addOnce = async (i: number, key: string, user: string) => {
        const secret = newSecret();
        const r = await outcome(at(clients, i).addAccount('fastmail', user, { password: secret }));
        let list = addResults.get(key);
        if (!list) addResults.set(key, (list = []));
        list.push({ client: i, name: r.name, secret });
        if (r.name !== 'ok' && r.name !== E + 'Duplicate')
          failures.push(`client ${i} AddAccount ${user}: ${r.name}: ${r.text}`);
      };

      const must = async (i: number, what: string, p: Promise<unknown>, onOk: () => void) => {
        const r = await outcome(p);
        opsDone++;
        if (r.name === 'ok') onOk();
        else failures.push(`client ${i} ${what}: ${r.name}: ${r.text}`);
      };

      const runClient = async (i: number) => {
        const c = at(clients, i);
        const j = i % SHARED;
        const group = Math.floor(i / SHARED);
        for (let k = 0; k < OPS; k++) {
          if (k === 0) {
            await addOnce(i, `shared${j}`, `shared${j}@example.org`);
            opsDone++;
            if (--sharedAddsLeft === 0) releaseShared();
            await sharedReady;
            continue;
          }
          if (k === 1) {
            const secret = newSecret();
            await must(
              i,
              'AddAccount own',
              c.addAccount('fastmail', `own${i}@example.org`, { password: secret }),
              () => {
                exp(ownPath(i)).secrets.set('password', secret);
              },
            );
            continue;
          }
          if (k === 25) {
            await addOnce(i, 'wave', 'wave@example.org');
            opsDone++;
            continue;
          }
          // Mostly settings (cheap), every fifth a keyring write: enough to race on the
          // same files without spending the run inside gnome-keyring.
          const own = ownPath(i);
          const shared = sharedPath(j);
          const key = at(SHARED_SETTINGS, group);
          if (k % 5 === 0) {
            const name = `Client ${i} op ${k}`;
            await must(
              i,
              'Set Name',
              c.call(own, PROPS, 'Set', 'ssv', [ACCOUNT, 'Name', new Variant('s', name)]),
              () => (exp(own).name = name),
            );
          } else if (k % 5 === 1) {
            const port = 10000 + i * 100 + k;
            await must(
              i,
              'Update imap.port',
              c.call(own, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.port': q(port) }]),
              () => (exp(own).settings['imap.port'] = port),
            );
          } else if (k % 10 === 2) {
            const name = `own-k${k}`;
            const value = newSecret();
            await must(i, `SetSecret ${name}`, c.call(own, ACCOUNT, 'SetSecret', 'ss', [name, value]), () =>
              exp(own).secrets.set(name, value),
            );
          } else if (k === 17 || k === 37) {
            const name = `own-k${k - 15}`;
            await must(i, `DeleteSecret ${name}`, c.call(own, ACCOUNT, 'DeleteSecret', 's', [name]), () =>
              exp(own).secrets.delete(name),
            );
          } else if (k % 10 === 7) {
            const port = 30000 + i * 100 + k;
            await must(
              i,
              'Update smtp.port',
              c.call(own, ACCOUNT, 'Update', 'a{sv}', [{ 'smtp.port': q(port) }]),
              () => (exp(own).settings['smtp.port'] = port),
            );
          } else if (k % 10 === 3) {
            const target = sharedPath((i + k) % SHARED);
            const name = `c${i}-k${k}`;
            const value = newSecret();
            await must(
              i,
              `SetSecret ${name} on shared`,
              c.call(target, ACCOUNT, 'SetSecret', 'ss', [name, value]),
              () => exp(target).secrets.set(name, value),
            );
          } else {
            const value: string | number = key.endsWith('.port')
              ? 20000 + i * 100 + k
              : `https://dav-c${i}-k${k}.example.org/`;
            const variant = typeof value === 'number' ? q(value) : s(value);
            await must(
              i,
              `Update ${key} on shared`,
              c.call(shared, ACCOUNT, 'Update', 'a{sv}', [{ [key]: variant }]),
              () => (exp(shared).settings[key] = value),
            );
          }
        }
      };

      const started = Date.now();
      await within(Promise.all(Array.from({ length: CLIENTS }, (_, i) => runClient(i))), 150_000, 'the 20 clients');
      console.log(`      [concurrency] ${opsDone} operations by ${CLIENTS} clients in ${Date.now() - started} ms`);
      // The winner of each duplicate add set the password everybody expects.
      for (const [key, results] of addResults) {
        const win = results.find((r) => r.name === 'ok');
        const path = key === 'wave' ? WAVE_PATH : sharedPath(Number(key.slice(6)));
        if (win) exp(path).secrets.set('password', win.secret);
      }
    });

    after(async function () {
      await closeSession(fs);
    });

    it('every operation that is not a duplicate add succeeds', () => {
      assert.deepEqual(failures, []);
      assert.equal(opsDone, CLIENTS * OPS);
    });

    it('exactly one of each duplicate add succeeds; the others get Error.Duplicate', () => {
      assert.equal(addResults.size, SHARED + 1);
      for (const [key, results] of addResults) {
        const names = results.map((r) => r.name).sort();
        const expected = [...Array<string>(results.length - 1).fill(E + 'Duplicate'), 'ok'].sort();
        assert.deepEqual(names, expected, key);
      }
      assert.equal(addResults.get('wave')!.length, CLIENTS);
    });

    /** Differences between what the service serves and every acknowledged change. */
    async function unmet(c: TestClient): Promise<string[]> {
      const objects = await c.managedObjects();
      const wrong: string[] = [];
      const reads: Array<[string, string, string]> = [];
      const prop: Record<string, [string, string]> = {
        'imap.port': ['org.pantherx.Accounts.Imap', 'Port'],
        'smtp.port': ['org.pantherx.Accounts.Smtp', 'Port'],
        'caldav.url': ['org.pantherx.Accounts.CalDav', 'Url'],
        'carddav.url': ['org.pantherx.Accounts.CardDav', 'Url'],
      };
      for (const [path, e] of expect) {
        const o = objects[path];
        if (!o) {
          wrong.push(`${path} is missing`);
          continue;
        }
        const name = o[ACCOUNT]?.Name?.value;
        if (e.name !== undefined && name !== e.name) wrong.push(`${path} Name ${String(name)} ≠ ${e.name}`);
        for (const [key, value] of Object.entries(e.settings)) {
          const [iface = '', member = ''] = prop[key] ?? [];
          const got = o[iface]?.[member]?.value;
          if (got !== value) wrong.push(`${path} ${key} is ${String(got)}, last acknowledged ${value}`);
        }
        const creds = [...((o[ACCOUNT]?.Credentials?.value as string[] | undefined) ?? [])].sort();
        const want = [...e.secrets.keys()].sort();
        if (JSON.stringify(creds) !== JSON.stringify(want))
          wrong.push(`${path} Credentials ${JSON.stringify(creds)} ≠ ${JSON.stringify(want)}`);
        for (const [n, value] of e.secrets) reads.push([path, n, value]);
      }
      // Eight reads at a time; after ten failures the rest is not worth the keyring timeouts.
      let failed = 0;
      let skipped = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let next = reads.shift(); next; next = reads.shift()) {
            const [path, n, value] = next;
            if (failed >= 10) {
              skipped++;
              continue;
            }
            const r = await outcome(c.call(path, ACCOUNT, 'GetSecret', 's', [n]));
            if (r.name !== 'ok' || (r.value as string[])[0] !== value) {
              failed++;
              wrong.push(`${path} secret ${n}: ${r.name === 'ok' ? 'another value' : `${r.name}: ${r.text}`}`);
            }
          }
        }),
      );
      if (skipped) wrong.push(`(${skipped} more secrets not read after ${failed} failures)`);
      if (expect.size !== CLIENTS + SHARED + 1)
        wrong.push(`${expect.size} accounts expected, not ${CLIENTS + SHARED + 1}`);
      if (Object.keys(objects).length !== expect.size)
        wrong.push(`${Object.keys(objects).length} accounts served, ${expect.size} expected`);
      return wrong.sort();
    }

    it('no lost update: the final state holds every acknowledged change', async () => {
      assert.deepEqual(await unmet(at(clients, 0)), []);
    });

    it('the directory and the keyring agree (every listed secret stored, no item without its file)', async () => {
      const d = await keyringDisagreements(fs);
      assert.deepEqual(d, { missing: [], orphans: [], unlisted: [] });
    });

    it('after a restart every acknowledged change is still there (it was on disk and in the keyring)', async () => {
      await fs.service.stop();
      await startTracked(fs);
      const again = await connectTracked(fs, false);
      assert.deepEqual(await unmet(again), []);
    });
  });
}
