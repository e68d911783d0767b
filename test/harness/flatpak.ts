/**
 * A fake Flatpak, as flatpak sets one up for the service to see: bwrap with a tmpfs root, /usr
 * read-only, the bus socket's folder bound in and a /.flatpak-info naming the app. Inside it
 * runs a real D-Bus client (gdbus) nobody here wrote.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Session } from './session.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gdbus call --session --dest org.pantherx.Accounts ARGS` as the Flatpak `app`. */
export function flatpakCall(session: Session, app: string, args: readonly string[]): Promise<Run> {
  return flatpakRun(session, app, [
    '/usr/bin/gdbus',
    'call',
    '--session',
    '--dest',
    'org.pantherx.Accounts',
    '--timeout',
    '120',
    ...args,
  ]);
}

/** Runs a program of /usr (argv[0] an absolute path) as the Flatpak `app`. */
export function flatpakRun(session: Session, app: string, argv: readonly string[]): Promise<Run> {
  const info = join(session.dir, `flatpak-info-${app}`);
  // Written once: calls in parallel read it while another would be rewriting it.
  if (!existsSync(info)) {
    writeFileSync(
      `${info}.tmp`,
      `[Application]\nname=${app}\nruntime=runtime/org.freedesktop.Platform/x86_64/23.08\n\n[Instance]\ninstance-id=1\n`,
    );
    renameSync(`${info}.tmp`, info);
  }
  const socket = /unix:path=([^,]+)/.exec(session.address)![1]!;
  const fd = openSync(info, 'r');
  const child = spawn(
    'bwrap',
    [
      '--tmpfs',
      '/',
      '--ro-bind',
      '/usr',
      '/usr',
      '--symlink',
      'usr/lib',
      '/lib',
      '--symlink',
      'usr/lib64',
      '/lib64',
      '--symlink',
      'usr/bin',
      '/bin',
      '--symlink',
      'usr/sbin',
      '/sbin',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--bind',
      dirname(socket),
      dirname(socket),
      '--ro-bind-data',
      '3',
      '/.flatpak-info',
      '--setenv',
      'DBUS_SESSION_BUS_ADDRESS',
      session.address,
      ...argv,
    ],
    { stdio: ['ignore', 'pipe', 'pipe', fd], env: { PATH: '/usr/bin:/bin' } },
  );
  closeSync(fd);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** GVariant text of a string, for gdbus arguments. */
export const gv = (text: string): string =>
  `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
