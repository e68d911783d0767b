/**
 * Issue 25, finding 8, replayed: the service is killed with SIGKILL while an OpenVPN check (a
 * real openvpn, started on the verifier thread, against a silent UDP port) and a plugin helper
 * (which started a child of its own) are running. Nothing of ours can run then; the kernel's
 * parent-death signal must take every process of both checks with it. And while the service
 * lives, a check's programs are not killed early (they run on a worker thread).
 */
import { strict as assert } from 'node:assert';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANAGER, ROOT, s, type V } from '../harness/client.js';
import { vpnProfile } from '../harness/peers/openvpn.js';
import { waitFor } from '../harness/session.js';
import { testSecret, useFixture } from '../harness/fixture.js';

/** Every process's parent and name, from /proc. */
function processes(): Map<number, { ppid: number; comm: string }> {
  const table = new Map<number, { ppid: number; comm: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      table.set(Number(entry), {
        comm: stat.slice(stat.indexOf('(') + 1, close),
        ppid: Number(stat.slice(close + 2).split(' ')[1]),
      });
    } catch {
      /* it just ended */
    }
  }
  return table;
}

function descendants(root: number): Map<number, string> {
  const table = processes();
  const found = new Map<number, string>();
  let frontier = [root];
  while (frontier.length) {
    const next: number[] = [];
    for (const [pid, p] of table)
      if (frontier.includes(p.ppid) && !found.has(pid)) {
        found.set(pid, p.comm);
        next.push(pid);
      }
    frontier = next;
  }
  return found;
}

/** Gone: no such process, or a zombie nobody reaped yet (it runs no more). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

const SLEEPER = `#!/bin/sh
dir=$(dirname "$0")
cat > /dev/null
sleep 300 &
echo $! > "$dir/sleeper.child"
echo $$ > "$dir/sleeper.pid"
wait
`;

describe('programs started for checks die with a killed service (issue 25, finding 8)', function () {
  this.timeout(60_000);
  let silent: Socket;
  let pluginDir: string;
  const survivors: number[] = [];

  const fx = useFixture({
    peers: ['openvpn'],
    start: async (fx) => {
      // A UDP port that takes every packet and never answers: an OpenVPN client waits there.
      silent = createSocket('udp4');
      await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
      fx.onStop(() => silent.close());
    },
    prepare: (fx) => {
      pluginDir = join(fx.session.env.XDG_DATA_HOME!, 'px-accounts', 'plugins');
      mkdirSync(pluginDir, { recursive: true, mode: 0o755 });
      writeFileSync(join(pluginDir, 'sleeper'), SLEEPER, { mode: 0o755 });
      writeFileSync(
        join(pluginDir, 'sleeper.ini'),
        '[plugin]\nname = Sleeper\ninterface = org.example.Accounts.Sleeper\nsettings = host\nsecrets = password\nhelper = sleeper\ntimeout = 60\n',
      );
      // Only if the test failed: what outlived the service is stopped by PID.
      fx.onStop(() => {
        for (const pid of survivors) if (!gone(pid)) process.kill(pid, 'SIGKILL');
      });
    },
    // Checks end after 5 s here, openvpn's TLS hand-window with them.
    service: { env: { PX_ACCOUNTS_CHECK_TIMEOUT_MS: '5000' } },
  });

  const profile = () => vpnProfile(fx.peers.vpn!, silent.address().port).replace('proto tcp-client', 'proto udp');
  const validate = (protocol: string, options: Record<string, V>) =>
    fx.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
      protocol,
      'alice',
      { password: testSecret() },
      options,
    ]);

  it('while the service lives, openvpn started on the verifier thread runs until the check times out', async () => {
    const started = Date.now();
    const [r] = await validate('openvpn', { 'openvpn.profile': s(profile()) });
    const result = (r as Record<string, V>).openvpn!.value as Record<string, V>;
    // Had openvpn been killed early, the check would end at once with "openvpn stopped ...".
    assert.equal(result.code!.value, 'Timeout', String(result.message!.value));
    assert.ok(Date.now() - started >= 4000, `ended after ${Date.now() - started} ms`);
  });

  it('SIGKILL of the service during an OpenVPN check and a helper check: every process of both is gone soon after', async () => {
    // Not awaited: the service is killed before it answers.
    void validate('openvpn', { 'openvpn.profile': s(profile()) }).catch(() => undefined);
    void validate('sleeper', { 'sleeper.host': s('127.0.0.1') }).catch(() => undefined);
    const pidFile = join(pluginDir, 'sleeper.pid');
    const childFile = join(pluginDir, 'sleeper.child');
    // The helper writes its pid and its child's; the tree is looked at after both are there
    // (a file may also be seen created but not yet written).
    const pidsOf = () => [pidFile, childFile].map((f) => (existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0));
    const running = await waitFor(
      'both checks running, the helper and its child under the service',
      () => {
        const [helper, helperChild] = pidsOf();
        if (!helper || !helperChild) return undefined;
        const tree = descendants(fx.service.pid);
        return [...tree.values()].includes('openvpn') && tree.has(helper) && tree.has(helperChild) ? tree : undefined;
      },
      10_000,
    );
    survivors.push(...running.keys());

    process.kill(fx.service.pid, 'SIGKILL');
    await fx.service.exited;
    await waitFor('every process of the checks gone', () => survivors.every(gone), 5000).catch(() => {
      const left = survivors.filter((pid) => !gone(pid)).map((pid) => `${pid} ${running.get(pid)}`);
      assert.fail(`still running after the service was killed: ${left.join(', ')}`);
    });
  });
});
