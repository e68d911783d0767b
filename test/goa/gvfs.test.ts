/**
 * The file manager's network places through the GOA view: gvfs's own GOA volume monitor
 * (Debian gvfs-backends' gvfs-goa-volume-monitor, bus-activated on the private bus) shows a px
 * WebDAV account as a network volume, and mounting it as a file manager does — no password
 * asked of the person, gvfs takes it from PasswordBased.GetPassword — lists the files of a real
 * Apache mod_dav server.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApacheDav, type ApacheDav } from '../harness/apache-dav.js';
import { s } from '../harness/client.js';
import { useFixture } from '../harness/fixture.js';
import { run, stopPid } from '../harness/process.js';
import { nameHasOwner, pidOfName, ROOT as REPO } from '../harness/session.js';

const GIO_CLIENT = join(REPO, 'test/goa/gio_client.py');
const SYSTEM_SERVICES = '/usr/share/dbus-1/services';
/** What the bus may start for GIO: gvfs's main daemon, its metadata store and its GOA volume monitor. */
const GVFS_NAMES = ['org.gtk.vfs.Daemon', 'org.gtk.vfs.Metadata', 'org.gtk.vfs.GoaVolumeMonitor'];

/** A GOA volume as gio_client.py describes it (GVolume). */
interface GioVolume {
  name: string;
  uuid: string;
  activation_root: string | null;
}

/** gio_client.py's answers: `volumes` the GOA volumes; `mount` a volume and list its root. */
async function gio(env: NodeJS.ProcessEnv, command: 'volumes'): Promise<GioVolume[]>;
async function gio(
  env: NodeJS.ProcessEnv,
  command: 'mount',
  name: string,
): Promise<{ mounted?: boolean; root?: string; files?: string[]; error?: string; code?: number }>;
async function gio(env: NodeJS.ProcessEnv, ...args: string[]): Promise<unknown> {
  const r = await run('/usr/bin/python3', [GIO_CLIENT, ...args], env, undefined, 45_000);
  if (r.code !== 0) throw new Error(`gio_client.py ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

/** The processes a bus-activated gvfs daemon started (gvfsd's backends such as gvfsd-dav). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The parent pid is the second field after the command name in parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry), ...childrenOf(Number(entry)));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe("GOA view: gvfs (the file manager's network places)", function () {
  this.timeout(90_000);
  let dav: ApacheDav;
  const fx = useFixture({
    start: async (t) => {
      dav = t.own(await startApacheDav());
    },
    prepare: (t) => {
      const { env, servicesDir } = t.session;
      for (const name of GVFS_NAMES)
        copyFileSync(join(SYSTEM_SERVICES, `${name}.service`), join(servicesDir, `${name}.service`));
      // Bus-activated: stopped by the PID the bus reports, with whatever they started.
      t.onStop(async () => {
        for (const name of GVFS_NAMES) {
          if (!(await nameHasOwner(env, name))) continue;
          const pid = await pidOfName(env, name);
          for (const child of childrenOf(pid)) await stopPid(child);
          await stopPid(pid);
        }
      });
    },
    service: { args: ['--goa'] },
  });
  let id = '';
  const accountName = 'Team files';

  before(async () => {
    const path = await fx.client.addAccount(
      'webdav',
      dav.user,
      { password: dav.password },
      { name: s(accountName), 'webdav.url': s(dav.httpUrl) },
    );
    id = path.slice(path.lastIndexOf('/') + 1);
  });

  it('shows the WebDAV account as a network volume at its dav:// address', async () => {
    const url = new URL(dav.httpUrl);
    const volumes = await gio(fx.session.env, 'volumes');
    assert.deepEqual(
      volumes.map((v) => v.name),
      [accountName],
    );
    assert.equal(volumes[0]?.uuid, `dav://${dav.user}@${url.host}${url.pathname}`);
  });

  it("mounts it with the password from the service and lists the server's files", async () => {
    const from = fx.client.signals.length;
    const mounted = await gio(fx.session.env, 'mount', accountName);
    assert.equal(mounted.mounted, true, `mount failed: ${JSON.stringify(mounted)}`);
    assert.deepEqual(mounted.files, ['docs', 'hello.txt']);
    const audit = await fx.client.waitSignal((x) => x.member === 'SecretAccessed' && x.body[0] === id, 5000, from);
    assert.equal(audit.body[1], 'password', 'gvfs got the password through the view, audited');
  });
});
