/**
 * Runs a mocha suite in a network and mount namespace of its own: only loopback, and
 * /etc/resolv.conf (bind-mounted, private to the namespace) pointing at the suite's dnsmasq on
 * 127.0.0.1. The file declares its tests with `nsTest`: inside the namespace they run; outside,
 * one `before` runs the file again inside and each test reports its own result from there, so
 * every test keeps its name and its failure in the ordinary run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from '../harness/session.js';

export const INSIDE = process.env.PX_NETNS_INSIDE === '1';

interface Outcome {
  fullTitle: string;
  err?: { message?: string; stack?: string };
}

const outcomes = new Map<string, Outcome>();
let innerLog = '';

/** What else the namespace gives: `privateEtc`, an /etc whose changes stay in it (an overlay), for /etc/px-accounts. */
export interface NamespaceOptions {
  privateEtc?: boolean;
}

/**
 * Outside: runs `file` (a compiled test file) in the namespace, and records each test's outcome.
 * Needs root (CI and the developers' machines run the tests as root), unshare, ip and mount.
 */
export function runInside(file: string, timeoutMs: number, options: NamespaceOptions = {}): Promise<void> {
  const ns = namespace(options);
  const results = join(ns.dir, 'results.json');
  const mocha = join(ROOT, 'node_modules/mocha/bin/mocha.js');
  const args = ns.args([
    process.execPath,
    mocha,
    '--config',
    join(ROOT, '.mocharc.json'),
    '--reporter',
    'json',
    '--reporter-option',
    `output=${results}`,
    resolve(file),
  ]);
  return new Promise<void>((done, fail) => {
    const child = spawn('unshare', args, {
      cwd: ROOT,
      env: { ...process.env, PX_NETNS_INSIDE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (innerLog += d));
    child.stderr.on('data', (d) => (innerLog += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      try {
        const report = JSON.parse(readFileSync(results, 'utf8')) as { tests: Outcome[]; failures: Outcome[] };
        for (const t of report.tests) outcomes.set(t.fullTitle, t);
        // a failing hook fails no test of its own: it is reported as a failure without a test
        for (const f of report.failures)
          if (!outcomes.has(f.fullTitle) || /hook/.test(f.fullTitle)) outcomes.set(f.fullTitle, f);
        done();
      } catch {
        fail(
          new Error(`the suite in the namespace ended (${signal ?? code}) without results:\n${innerLog.slice(-4000)}`),
        );
      } finally {
        rmSync(ns.dir, { recursive: true, force: true });
      }
    });
  });
}

/** Runs `argv` in a namespace of its own (as runInside does), its output passed through; resolves with its exit code. */
export function execInside(argv: string[]): Promise<number> {
  const ns = namespace();
  return new Promise((done, fail) => {
    const child = spawn('unshare', ns.args(argv), {
      cwd: ROOT,
      env: { ...process.env, PX_NETNS_INSIDE: '1' },
      stdio: 'inherit',
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      rmSync(ns.dir, { recursive: true, force: true });
      done(code ?? (signal ? 128 : 1));
    });
  });
}

/**
 * unshare's arguments for running argv with only loopback (up) and /etc/resolv.conf naming
 * 127.0.0.1, bind-mounted in the new mount namespace only; `dir` holds that file. With
 * privateEtc, /etc is first an overlay whose upper layer is in `dir`: what the tests write
 * there (/etc/px-accounts) is never seen outside (the overlay goes first: it would hide the bind).
 */
function namespace(options: NamespaceOptions = {}): { dir: string; args: (argv: string[]) => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'pxa-netns-'));
  const resolv = join(dir, 'resolv.conf');
  writeFileSync(resolv, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  const overlay = options.privateEtc
    ? `mkdir "${dir}/etc-upper" "${dir}/etc-work" && mount -t overlay overlay -o "lowerdir=/etc,upperdir=${dir}/etc-upper,workdir=${dir}/etc-work" /etc && `
    : '';
  const script = `ip link set lo up && ${overlay}mount --bind "$1" /etc/resolv.conf && shift && exec "$@"`;
  return {
    dir,
    args: (argv) => [
      '--net',
      '--mount',
      '--fork',
      '--kill-child',
      '--',
      '/bin/sh',
      '-c',
      script,
      'netns',
      resolv,
      ...argv,
    ],
  };
}

/** What the run inside said about a test; throws its failure. */
export function outcomeOf(fullTitle: string): void {
  const hook = [...outcomes.values()].find((o) => /"before all" hook/.test(o.fullTitle) && o.err?.message);
  const o = outcomes.get(fullTitle);
  if (!o)
    throw new Error(
      `'${fullTitle}' did not run in the namespace${hook ? `: ${hook.fullTitle}: ${hook.err!.message}` : ''}\n${innerLog.slice(-3000)}`,
    );
  if (o.err && o.err.message !== undefined) {
    const e = new Error(o.err.message);
    e.stack = o.err.stack ?? e.stack;
    throw e;
  }
}
