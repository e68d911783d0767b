/**
 * Which app a process is, as users see it, tried in a fixed order like xdg-desktop-portal's
 * app-info: a Flatpak by the `.flatpak-info` of its root (written by flatpak and read-only
 * inside the sandbox), a Snap by its cgroup (`snap.<name>.<app>…`), else a host app by its
 * systemd scope (`app-<desktop id>-<random>.scope`) or its executable (for an interpreter, the
 * script it runs). The process's start time is read before and after, so a pid reused in
 * between is noticed and the caller refused rather than mistaken for another program.
 */
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
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

function flatpak(pid: number): AppInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/root/.flatpak-info`, 'utf8');
  } catch {
    return undefined;
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

function snap(cgroup: string): AppInfo | undefined {
  const m = /\/snap\.([a-z0-9][a-z0-9-]*)\.[^/\s]+/.exec(cgroup);
  return m ? { kind: 'snap', app: `snap.${m[1]}` } : undefined;
}

/** systemd puts apps launched by a desktop in `app-<launcher>-<desktop id>-<random>.scope` (or `app-<desktop id>-<random>.scope`). */
function scope(cgroup: string): AppInfo | undefined {
  const m = /\/app-(?:(?:gnome|kde|lxqt|flatpak|snap)-)?([A-Za-z0-9._\\-]+?)(?:-[0-9a-f]{6,}|@[0-9a-f]+)?\.(?:scope|service)\b/.exec(cgroup);
  if (!m) return undefined;
  const id = m[1]!.replace(/\\x2d/g, '-');
  return { kind: 'host', app: id.endsWith('.desktop') ? id.slice(0, -'.desktop'.length) : id };
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

/** Identifies the app of a process; throws when it cannot be told (the caller is then refused). */
export function appOfPid(pid: number): AppInfo {
  const before = startTime(pid);
  const cgroup = cgroupOf(pid);
  const info = flatpak(pid) ?? snap(cgroup) ?? scope(cgroup) ?? executable(pid);
  if (startTime(pid) !== before) throw new Error(`process ${pid} was replaced while it was being identified`);
  return info;
}
