/**
 * Which app a process is, as users see it, tried in a fixed order like xdg-desktop-portal's
 * app-info: a Flatpak by the `.flatpak-info` of its root (written by flatpak and read-only
 * inside the sandbox), a Snap by its AppArmor label or cgroup (`snap.<name>.<app>…`), else a
 * host app by its executable (for an interpreter, the script it runs). Every doubt refuses. The process's start time is read before and after, so a pid reused in
 * between is noticed and the caller refused rather than mistaken for another program.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';

export type AppKind = 'flatpak' | 'snap' | 'host';

export interface AppInfo {
  kind: AppKind;
  /** As users write it: `org.example.Mail`, `snap.mailer`, a desktop id, or an executable path. */
  app: string;
}

/** Field 22 of /proc/PID/stat: when the process started (clock ticks since boot). */
export function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

/**
 * A Flatpak by its .flatpak-info. Fails closed: only a readable root without the file means
 * "not a Flatpak"; any other error (no access to the root, a loop, a process gone) refuses.
 */
function flatpak(pid: number): AppInfo | undefined {
  let text: string;
  readdirSync(`/proc/${pid}/root/`); // throws when the process's root cannot be looked at
  try {
    text = readFileSync(`/proc/${pid}/root/.flatpak-info`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(
      `its .flatpak-info cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  // [Application] name=org.example.Mail (a runtime-only sandbox: [Runtime] name=…)
  const section = /^\[(Application|Runtime)\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(text);
  const name = section && /^name=(.+)$/m.exec(section[2]!)?.[1]?.trim();
  if (!name) throw new Error(`a Flatpak sandbox whose .flatpak-info names no application`);
  return { kind: 'flatpak', app: name };
}

function cgroupOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A Snap by its AppArmor label (recorded by the kernel when it connected to the bus, so no pid
 * reuse can fake it), its cgroup, or an executable under /snap.
 */
function snap(label: string | undefined, cgroup: string): AppInfo | undefined {
  const m = /^snap\.([a-z0-9][a-z0-9-]*)\./.exec(label ?? '') ?? /\/snap\.([a-z0-9][a-z0-9-]*)\.[^/\s]+/.exec(cgroup);
  return m ? { kind: 'snap', app: `snap.${m[1]}` } : undefined;
}

/**
 * A process in a scope a sandbox launcher made (`app-flatpak-<id>-<n>.scope`,
 * `snap.<name>…`) without the sandbox's own marks is refused, never taken for a host app.
 */
function sandboxScope(cgroup: string): string | undefined {
  return /\/app-(flatpak|snap)-[^/\s]+\.scope/.exec(cgroup)?.[1];
}

const INTERPRETERS = /^(python[0-9.]*|node|nodejs|perl[0-9.]*|ruby[0-9.]*|sh|bash|dash|zsh|gjs|lua[0-9.]*|php[0-9.]*)$/;

/** The executable; for an interpreter, the script it was started with. */
function executable(pid: number): AppInfo {
  const exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  if (INTERPRETERS.test(basename(exe))) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const script = argv.slice(1).find((a) => !a.startsWith('-'));
    if (script) {
      let cwd = '/';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        /* keep / */
      }
      const path = isAbsolute(script) ? script : resolve(cwd, script);
      try {
        return { kind: 'host', app: realpathSync(path) };
      } catch {
        return { kind: 'host', app: path };
      }
    }
  }
  return { kind: 'host', app: exe };
}

/**
 * Identifies the app of a process; throws when it cannot be told (the caller is then refused).
 * `label` is the connection's LinuxSecurityLabel from the bus, when it has one. A host app is
 * always its executable (or script) path: an absolute path, so it can never be confused with a
 * Flatpak id or a snap name that an app chooses for itself.
 */
export function appOfPid(pid: number, label?: string): AppInfo {
  const before = startTime(pid);
  const cgroup = cgroupOf(pid);
  const sandboxed = flatpak(pid) ?? snap(label, cgroup);
  if (!sandboxed) {
    const launcher = sandboxScope(cgroup);
    if (launcher) throw new Error(`it runs in a ${launcher} scope but shows no ${launcher} sandbox`);
  }
  const info = sandboxed ?? executable(pid);
  if (info.kind === 'host' && info.app.startsWith('/snap/'))
    return { kind: 'snap', app: `snap.${info.app.split('/')[2]}` };
  if (startTime(pid) !== before) throw new Error(`process ${pid} was replaced while it was being identified`);
  return info;
}
