/** libgoa's own client (test/goa/goa_client.py through /usr/bin/python3) for the GOA view's tests. */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { run, stopPid } from '../harness/process.js';
import { ROOT as REPO, waitFor } from '../harness/session.js';

export const GOA_CLIENT = join(REPO, 'test/goa/goa_client.py');

/** A service of an account as goa_client.py describes it (GoaCalendar, GoaContacts, GoaFiles). */
export interface GoaService {
  uri: string;
  accept_ssl_errors: boolean;
}

/** One account as goa_client.py's `list` describes it (libgoa's GoaObject). */
export interface GoaAccount {
  id: string;
  provider_type: string;
  provider_name: string;
  identity: string;
  presentation_identity: string;
  attention_needed: boolean;
  password_based: boolean;
  oauth2_based: boolean;
  /** GoaMail's properties by name (imap-host, smtp-use-tls, …). */
  mail?: Record<string, string | boolean | null>;
  calendar?: GoaService;
  contacts?: GoaService;
  files?: GoaService;
}

/** What `password`, `token` and `ensure` print: the value, or the D-Bus error libgoa got. */
export interface GoaAnswer {
  value?: string | number;
  expires_in?: number;
  error?: string;
  message?: string;
}

/** One line of `watch`: the accounts at the start, then one per signal. */
export interface GoaEvent {
  ready?: string[];
  added?: string;
  removed?: string;
  changed?: string;
}

/** The account `id` of a list, or an assertion error saying libgoa does not list it. */
export function listed(list: GoaAccount[], id: string): GoaAccount {
  const account = list.find((a) => a.id === id);
  assert.ok(account, `libgoa does not list ${id}`);
  return account;
}

/** One command of libgoa's client; its JSON answer (the shapes goa_client.py prints). */
export function goaClient(env: NodeJS.ProcessEnv, command: 'list'): Promise<GoaAccount[]>;
export function goaClient(
  env: NodeJS.ProcessEnv,
  command: 'password' | 'token' | 'ensure',
  ...args: string[]
): Promise<GoaAnswer>;
export async function goaClient(env: NodeJS.ProcessEnv, ...args: string[]): Promise<unknown> {
  const r = await run('/usr/bin/python3', [GOA_CLIENT, ...args], env, undefined, 30_000);
  if (r.code !== 0) throw new Error(`goa_client.py ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

/** libgoa's client following the accounts: one JSON line per signal. */
export class GoaWatcher {
  readonly events: GoaEvent[] = [];
  private readonly child: ChildProcess;
  private buffer = '';

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn('/usr/bin/python3', [GOA_CLIENT, 'watch'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) this.events.push(JSON.parse(l) as GoaEvent);
    });
  }

  wait(pred: (e: GoaEvent) => unknown, what: string, timeoutMs = 10_000): Promise<GoaEvent> {
    return waitFor(what, () => this.events.find((e) => pred(e)), timeoutMs);
  }

  stop(): Promise<void> {
    return stopPid(this.child.pid);
  }
}
