/** libgoa's own client (test/goa/goa_client.py through /usr/bin/python3) for the GOA view's tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { run, stopPid } from '../harness/process.js';
import { ROOT as REPO, waitFor } from '../harness/session.js';

export const GOA_CLIENT = join(REPO, 'test/goa/goa_client.py');

/* eslint-disable @typescript-eslint/no-explicit-any */

/** One command of libgoa's client; its JSON answer. */
export async function goaClient(env: NodeJS.ProcessEnv, ...args: string[]): Promise<any> {
  const r = await run('/usr/bin/python3', [GOA_CLIENT, ...args], env, undefined, 30_000);
  if (r.code !== 0) throw new Error(`goa_client.py ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** libgoa's client following the accounts: one JSON line per signal. */
export class GoaWatcher {
  readonly events: any[] = [];
  private readonly child: ChildProcess;
  private buffer = '';

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn('/usr/bin/python3', [GOA_CLIENT, 'watch'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => {
      this.buffer += d;
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop()!;
      for (const l of lines) if (l.trim()) this.events.push(JSON.parse(l));
    });
  }

  wait(pred: (e: any) => boolean, what: string, timeoutMs = 10_000): Promise<any> {
    return waitFor(what, () => this.events.find(pred), timeoutMs);
  }

  stop(): Promise<void> {
    return stopPid(this.child.pid);
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */
