/**
 * Bus faults: the dbus-daemon dies under the service (it must exit 0, leaving only whole
 * files), and D-Bus activation brings a SIGKILLed service back with the same accounts.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, MANAGER, ROOT, q } from '../../harness/client.js';
import { alive, stopPid } from '../../harness/process.js';
import { ROOT as REPO, SERVICE_BIN, nameHasOwner, pidOfName, waitFor } from '../../harness/session.js';
import { at, closeSession, connectTracked, newSecret, openSession, outcome, type FaultSession } from '../lib/common.js';

export function busSuite(): void {
  describe('bus faults', function () {
    this.timeout(60_000);

    describe('dbus-daemon killed while calls are in flight', () => {
      let fs: FaultSession;
      after(async function () {
        await closeSession(fs);
      });

      it('the service exits with status 0 and leaves only whole account files', async () => {
        fs = await openSession('unlocked');
        const paths: string[] = [];
        for (let i = 0; i < 4; i++)
          paths.push(await fs.client.addAccount('fastmail', `bus${i}@example.org`, { password: newSecret() }));
        const inflight: Array<Promise<unknown>> = [];
        for (let k = 0; k < 40; k++) {
          const path = at(paths, k % paths.length);
          inflight.push(
            outcome(
              k % 2
                ? fs.client.call(path, ACCOUNT, 'SetSecret', 'ss', [`b${k}`, newSecret()])
                : fs.client.call(path, ACCOUNT, 'Update', 'a{sv}', [{ 'imap.port': q(2000 + k) }]),
            ),
          );
        }
        await new Promise((r) => setTimeout(r, 30));
        process.kill(fs.session.busPid, 'SIGKILL');
        const status = await Promise.race([
          fs.service.exited,
          new Promise((r) => setTimeout(() => r('still running after 5 s'), 5000)),
        ]);
        assert.equal(status, 0, fs.service.log());
        assert.match(fs.service.log(), /session bus went away|bus connection error/);
        await Promise.race([Promise.allSettled(inflight), new Promise((r) => setTimeout(r, 300))]);
        const names = readdirSync(fs.session.accountsDir);
        assert.deepEqual(
          names.filter((n) => !/^[a-z0-9_]+\.ini$/.test(n)),
          [],
          'temp files left behind',
        );
        assert.equal(names.length, 4);
        for (const n of names) {
          const text = readFileSync(join(fs.session.accountsDir, n), 'utf8');
          assert.match(text, /^\[account\]$/m, n);
          assert.match(text, /^provider = fastmail$/m, n);
          assert.match(text, /^\[imap\]\nhost = imap\.fastmail\.com\nport = \d+\n/m, n);
        }
      });
    });

    describe('D-Bus activation restarts a killed service', () => {
      let fs: FaultSession;
      const log = () =>
        fs && existsSync(join(fs.session.dir, 'activated.log'))
          ? readFileSync(join(fs.session.dir, 'activated.log'), 'utf8')
          : '';
      before(async function () {
        fs = await openSession('unlocked', false);
        fs.extraText.push({ where: 'stderr of the activated services', text: log });
        const shipped = readFileSync(join(REPO, 'dbus-config/org.pantherx.Accounts.service'), 'utf8');
        // The daemon runs activated services with its own environment (the real HOME): the
        // launcher pins this session's so nothing outside it is touched.
        const env = fs.session.env;
        const exports = [
          'HOME',
          'XDG_DATA_HOME',
          'XDG_RUNTIME_DIR',
          'XDG_CONFIG_HOME',
          'XDG_CACHE_HOME',
          'DBUS_SESSION_BUS_ADDRESS',
          'PATH',
          'LANG',
        ]
          .map((k) => `export ${k}='${env[k] ?? ''}'`)
          .join('\n');
        const launcher = join(fs.session.dir, 'px-accounts-service');
        writeFileSync(
          launcher,
          `#!/bin/sh\n${exports}\nexport PX_ACCOUNTS_NO_BACKGROUND_CHECK=1\nexec "${process.execPath}" "${SERVICE_BIN}" "$@" 2>>"${join(fs.session.dir, 'activated.log')}"\n`,
        );
        chmodSync(launcher, 0o755);
        writeFileSync(
          join(fs.session.servicesDir, 'org.pantherx.Accounts.service'),
          shipped.replace(/^Exec=.*$/m, `Exec=${launcher}`),
        );
        fs.client = await connectTracked(fs, false);
      });
      after(async function () {
        if (fs && (await nameHasOwner(fs.session.env, 'org.pantherx.Accounts').catch(() => false))) {
          await stopPid(await pidOfName(fs.session.env, 'org.pantherx.Accounts'));
        }
        await closeSession(fs);
      });

      it('a call after a SIGKILL activates a fresh service that serves the same accounts and secrets', async () => {
        assert.equal(await nameHasOwner(fs.session.env, 'org.pantherx.Accounts'), false);
        const secret = newSecret();
        const path = await fs.client.addAccount('fastmail', 'activated@example.org', { password: secret }, {});
        const first = await pidOfName(fs.session.env, 'org.pantherx.Accounts');
        process.kill(first, 'SIGKILL');
        await waitFor(
          'the killed service to leave the bus',
          async () => !(await nameHasOwner(fs.session.env, 'org.pantherx.Accounts')),
        );
        // Dead (or a zombie its parent, the dbus-daemon, has not reaped yet).
        const gone = () => !alive(first) || /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${first}/stat`, 'utf8'));
        await waitFor(
          'the killed service to be gone',
          () => {
            try {
              return gone();
            } catch {
              return true;
            }
          },
          3000,
        );
        const objects = await fs.client.managedObjects();
        const second = await pidOfName(fs.session.env, 'org.pantherx.Accounts');
        assert.notEqual(second, first);
        assert.deepEqual(Object.keys(objects), [path]);
        assert.deepEqual(await fs.client.call(path, ACCOUNT, 'GetSecret', 's', ['password']), [secret]);
        const [providers] = await fs.client.call(ROOT, MANAGER, 'ListProviders');
        assert.ok((providers as unknown[]).length >= 7);
        assert.equal(log().match(/serving \d+ accounts/g)?.length, 2, log());
        assert.match(log(), /serving 1 accounts/);
      });
    });
  });
}
