// Process and socket helpers of the test-peer harness: spawn by PID, stop by PID, wait for readiness.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  exited: boolean;
  exitCode: number | null;
  signal: string | null;
  log: string;
}

/** A set of child processes, each stopped by its own PID (never by name). */
export class ProcessGroup {
  readonly procs: Proc[] = [];

  spawn(
    name: string,
    command: string,
    args: string[],
    opts: { log: string; cwd?: string; env?: NodeJS.ProcessEnv },
  ): Proc {
    const fd = openSync(opts.log, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    if (child.pid === undefined) throw new Error(`cannot start ${name} (${command})`);
    const proc: Proc = { name, pid: child.pid, child, exited: false, exitCode: null, signal: null, log: opts.log };
    child.on('error', () => {
      proc.exited = true;
    });
    child.on('exit', (code, signal) => {
      proc.exited = true;
      proc.exitCode = code;
      proc.signal = signal;
    });
    this.procs.push(proc);
    return proc;
  }

  /** SIGTERM every process, SIGKILL what is still there after `graceMs`. */
  async stopAll(graceMs = 3000): Promise<void> {
    const live = this.procs.filter((p) => !p.exited);
    for (const p of live) signal(p.pid, 'SIGTERM');
    const until = Date.now() + graceMs;
    while (live.some((p) => !p.exited) && Date.now() < until) await sleep(20);
    for (const p of live) if (!p.exited) signal(p.pid, 'SIGKILL');
    const hardUntil = Date.now() + 2000;
    while (live.some((p) => !p.exited) && Date.now() < hardUntil) await sleep(20);
  }

  /** For process 'exit' handlers: no waiting possible, SIGKILL by PID. */
  killAllSync(): void {
    for (const p of this.procs) if (!p.exited) signal(p.pid, 'SIGKILL');
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` until it returns true; fails early when `proc` exits, with the end of its log. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; proc?: Proc; logs?: string[] },
): Promise<void> {
  const until = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.proc?.exited) {
      throw new Error(
        `${what}: process exited (code ${opts.proc.exitCode}, signal ${opts.proc.signal})\n${(opts.logs ?? [opts.proc.log]).map((l) => tail(l)).join('\n')}`,
      );
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > until) {
      throw new Error(
        `${what}: not ready after ${opts.timeoutMs} ms\n${(opts.logs ?? (opts.proc ? [opts.proc.log] : [])).map((l) => tail(l)).join('\n')}`,
      );
    }
    await sleep(40);
  }
}

/**
 * `count` distinct TCP ports that are free on every local address at the time of the call
 * (bound on the dual-stack wildcard, then released). With PX_PEERS_BASE_PORT set, the ports
 * base, base+1, … are used instead.
 */
export async function freePorts(count: number): Promise<number[]> {
  const base = Number(process.env.PX_PEERS_BASE_PORT);
  if (Number.isInteger(base) && base > 1024) return Array.from({ length: count }, (_, i) => base + i);
  const servers: net.Server[] = [];
  try {
    const ports = new Set<number>();
    while (ports.size < count) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: 0, host: '::', ipv6Only: false, exclusive: true }, () => resolve());
      });
      const port = (server.address() as net.AddressInfo).port;
      // the port has to be usable by servers that bind 127.0.0.x, [::1] and the wildcard alike
      if (port >= 10000) ports.add(port);
    }
    return [...ports];
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** A scripted exchange: waits for each step's `expect` (false on `fail`, close or `timeoutMs`), then writes its `send`. */
export function converse(opts: {
  host: string;
  port: number;
  tls?: boolean;
  ca?: string;
  timeoutMs?: number;
  steps: Array<{ expect: RegExp; fail?: RegExp; send?: string }>;
}): Promise<boolean> {
  return new Promise((resolve) => {
    let buf = '';
    let step = 0;
    let done = false;
    const sock: net.Socket = opts.tls
      ? tls.connect({
          host: opts.host,
          port: opts.port,
          ...(opts.ca ? { ca: opts.ca } : {}),
          servername: net.isIP(opts.host) ? undefined : opts.host,
        })
      : net.connect({ host: opts.host, port: opts.port });
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 2000);
    sock.setEncoding('utf8');
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
    sock.on('data', (d: string) => {
      buf += d;
      while (step < opts.steps.length) {
        const s = opts.steps[step]!;
        if (s.fail?.test(buf)) return finish(false);
        if (!s.expect.test(buf)) return;
        buf = '';
        step++;
        if (s.send !== undefined) sock.write(s.send);
      }
      finish(true);
    });
  });
}

/** True when something accepts TCP connections there. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(false);
    }, timeoutMs);
    sock.on('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
