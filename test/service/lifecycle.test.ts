/** Activation, the systemd unit, clean exits on SIGTERM and on loss of the bus, --replace. */
import { strict as assert } from 'node:assert';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, MANAGER, ROOT, TestClient } from '../harness/client.js';
import { run, stopPid } from '../harness/process.js';
import {
  ROOT as REPO,
  SERVICE_BIN,
  nameHasOwner,
  pidOfName,
  startService,
  startSession,
  waitFor,
  type Session,
} from '../harness/session.js';

describe('lifecycle', () => {
  let session: Session;
  beforeEach(async function () {
    this.timeout(20000);
    session = await startSession('unlocked');
  });
  afterEach(async function () {
    this.timeout(20000);
    if (await nameHasOwner(session.env, 'org.pantherx.Accounts').catch(() => false)) {
      await stopPid(await pidOfName(session.env, 'org.pantherx.Accounts'));
    }
    await session.stop();
  });

  it('is started by D-Bus activation from dbus-config/org.pantherx.Accounts.service', async () => {
    const shipped = readFileSync(join(REPO, 'dbus-config/org.pantherx.Accounts.service'), 'utf8');
    assert.match(shipped, /^Name=org\.pantherx\.Accounts$/m);
    assert.match(shipped, /^SystemdService=px-accounts\.service$/m);
    // Point Exec at this build's command (what `npm install -g` links into bin/, run by its
    // shebang as the installed one is); everything else is the shipped file.
    const command = SERVICE_BIN.replace(/\.cjs$/, '');
    assert.match(shipped, /^Exec=\/usr\/bin\/env MALLOC_ARENA_MAX=1 \/usr\/local\/bin\/px-accounts-service$/m);
    writeFileSync(
      join(session.servicesDir, 'org.pantherx.Accounts.service'),
      shipped.replace('/usr/local/bin/px-accounts-service', command),
    );
    assert.equal(await nameHasOwner(session.env, 'org.pantherx.Accounts'), false);
    const client = await TestClient.connect(session.address, false);
    const [providers] = await client.call(ROOT, MANAGER, 'ListProviders');
    assert.ok((providers as unknown[]).length >= 7);
    // The activation file's environment reached it (one malloc arena: docs/benchmarks.md).
    const pid = await pidOfName(session.env, 'org.pantherx.Accounts');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('MALLOC_ARENA_MAX=1'), 'MALLOC_ARENA_MAX=1 in the activated service');
    // The activated service lives in the session's HOME (the bus passes its environment on).
    await client.addAccount('gandi', 'activated@example.org');
    assert.deepEqual(readdirSync(session.accountsDir).filter((f) => f.endsWith('.ini')).length, 1);
    client.disconnect();
  });

  it('ships a user unit that systemd-analyze accepts', async () => {
    const unit = readFileSync(join(REPO, 'systemd/px-accounts.service'), 'utf8');
    assert.match(unit, /^Type=dbus$/m);
    assert.match(unit, /^BusName=org\.pantherx\.Accounts$/m);
    assert.match(unit, /^Environment=MALLOC_ARENA_MAX=1$/m, 'one malloc arena (docs/benchmarks.md)');
    const launcher = join(session.dir, 'px-accounts-service');
    writeFileSync(launcher, `#!/bin/sh\nexec "${process.execPath}" "${SERVICE_BIN}" "$@"\n`);
    chmodSync(launcher, 0o755);
    const file = join(session.dir, 'px-accounts.service');
    writeFileSync(file, unit.replace(/^ExecStart=.*$/m, `ExecStart=${launcher}`));
    const r = await run('systemd-analyze', ['--user', 'verify', file], session.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr
        .split('\n')
        .filter((l) => l.includes('px-accounts.service'))
        .join('\n'),
      '',
    );
  });

  it('exits 0 on SIGTERM after answering', async () => {
    const service = await startService(session);
    process.kill(service.pid, 'SIGTERM');
    assert.equal(await service.exited, 0);
    assert.match(service.log(), /SIGTERM received/);
  });

  it('exits 0 when the bus goes away', async () => {
    const service = await startService(session);
    await stopPid(session.busPid);
    assert.equal(
      await Promise.race([service.exited, new Promise((r) => setTimeout(() => r('still running'), 5000))]),
      0,
    );
    assert.match(service.log(), /session bus went away/);
  });

  it('--replace takes over the name and the old instance exits 0', async () => {
    const first = await startService(session);
    const second = await startService(session, ['--replace']);
    assert.equal(await first.exited, 0);
    await waitFor('new owner', async () => (await pidOfName(session.env, 'org.pantherx.Accounts')) === second.pid);
    const client = await TestClient.connect(session.address, false);
    const path = await client.addAccount('gandi', 'replace@example.org');
    assert.equal(await client.get(path, ACCOUNT, 'ProviderName'), 'Gandi');
    client.disconnect();
    await second.stop();
  });

  it('a second instance without --replace refuses to start and leaves the first alone', async () => {
    const first = await startService(session);
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [SERVICE_BIN], { env: session.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 1);
    assert.match(err, /already owned/);
    assert.equal(await pidOfName(session.env, 'org.pantherx.Accounts'), first.pid);
    await first.stop();
  });

  it('every account starts as none after a restart', async () => {
    const first = await startService(session);
    const client = await TestClient.connect(session.address, false);
    const path = await client.addAccount('gandi', 'restart@example.org');
    await client.call(path, ACCOUNT, 'ReportStatus', 'ss', ['online', 'ok']);
    client.disconnect();
    await first.stop();
    await startService(session);
    const again = await TestClient.connect(session.address, false);
    assert.equal(await again.get(path, ACCOUNT, 'Status'), 'none');
    assert.equal(await again.get(path, ACCOUNT, 'StatusTime'), 0n);
    again.disconnect();
  });
});
