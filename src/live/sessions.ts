/**
 * Live protocols at run time (a wallet watching its address): one session per account and live
 * protocol, started when the account appears, restarted when its settings change, stopped when
 * it goes (its runtime state file goes with it). Sessions talk back through `LiveEvents`.
 */
import { rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AccountState } from '../accounts/accounts.js';
import { log } from '../log.js';
import type { LiveSession } from '../protocols/plugin.js';
import { findProtocol } from '../protocols/registry.js';

export interface LiveEvents {
  /** Properties of the live interface changed; none named: all of them. */
  changed(account: string, iface: string, properties: string[]): void;
  emit(account: string, iface: string, signal: string, args: unknown[]): void;
  status(account: string, status: 'online' | 'offline' | 'error', message: string): void;
  notify(account: string, summary: string, body: string): void;
  /** The account's secrets among `names` that it has. */
  secrets(account: string, names: readonly string[]): Promise<Record<string, string>>;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'px-accounts', 'wallets');
}

interface Running {
  key: string;
  session: LiveSession | undefined;
  stopped: boolean;
  /** Its secrets could not be read (the keyring locked or absent): tried again when they can. */
  unread?: AccountState;
}

export class LiveSessions {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly events: LiveEvents,
    private readonly stateDir = defaultStateDir(),
  ) {}

  private stateFile(id: string, protocol: string): string {
    return join(this.stateDir, `${id}.${protocol}.json`);
  }

  /** The running session of an account's live protocol, if it has started. */
  get(id: string, protocol: string): LiveSession | undefined {
    return this.running.get(`${id}\n${protocol}`)?.session;
  }

  /** Brings the account's sessions in line with its configuration. */
  sync(state: AccountState): void {
    const { config } = state;
    for (const [k, r] of this.running) {
      const [id, protocol] = k.split('\n') as [string, string];
      if (id === config.id && !config.protocols.includes(protocol)) {
        this.end(k, r);
        this.forget(id, protocol); // enabled again later, it starts afresh
      }
    }
    for (const protocol of config.protocols) {
      const plugin = findProtocol(protocol);
      if (!plugin?.live) continue;
      const k = `${config.id}\n${protocol}`;
      const key = JSON.stringify([config.username, config.settings[protocol]]);
      const current = this.running.get(k);
      if (current?.key === key) continue;
      if (current) this.end(k, current);
      const r: Running = { key, session: undefined, stopped: false };
      this.running.set(k, r);
      const replaced = current !== undefined;
      const wanted = plugin.secrets.filter((n) => config.credentials.includes(n));
      // A protocol with secrets (an API key) starts once they are read; one without, at once.
      if (wanted.length === 0) this.start(r, state, protocol, {}, replaced);
      else {
        // The object is on the bus meanwhile, with empty values: all of them change when it starts.
        void this.events.secrets(config.id, wanted).then(
          (secrets) => this.start(r, state, protocol, secrets, true),
          (err: Error) => {
            if (r.stopped) return;
            log.warning(`${protocol} of account ${config.id} waits for its secrets: ${err.message}`);
            r.unread = state;
            this.events.status(config.id, 'error', `its secrets could not be read: ${err.message}`);
          },
        );
      }
    }
  }

  /** Starts a session; `changed`: its interface was already exported with other values. */
  private start(
    r: Running,
    state: AccountState,
    protocol: string,
    secrets: Record<string, string>,
    changed: boolean,
  ): void {
    if (r.stopped) return;
    const { id, username } = state.config;
    const live = findProtocol(protocol)!.live!;
    const iface = live.iface;
    try {
      r.session = live.start({
        account: id,
        username,
        settings: state.config.settings[protocol]!,
        secrets,
        stateFile: this.stateFile(id, protocol),
        changed: (props) => !r.stopped && this.events.changed(id, iface, props),
        emit: (signal, args) => !r.stopped && this.events.emit(id, iface, signal, args),
        status: (status, message) => !r.stopped && this.events.status(id, status, message),
        notify: (summary, body) => !r.stopped && this.events.notify(id, summary, body),
      });
      // A replaced session (new settings) serves other values under the same interface.
      if (changed) this.events.changed(id, iface, []);
    } catch (err) {
      log.error(`${protocol} of account ${id} could not start: ${(err as Error).message}`);
    }
  }

  /** The Secret Service is back: sessions that could not read their secrets start now. */
  secretsAvailable(): void {
    for (const [k, r] of this.running) {
      if (!r.unread) continue;
      this.end(k, r);
      this.sync(r.unread);
    }
  }

  /** A secret of the account was set or deleted: sessions that read it start again with it. */
  secretChanged(state: AccountState, name: string): void {
    for (const protocol of state.config.protocols) {
      const k = `${state.config.id}\n${protocol}`;
      const r = this.running.get(k);
      if (r && findProtocol(protocol)?.secrets.includes(name)) this.end(k, r);
    }
    this.sync(state);
  }

  private end(k: string, r: Running): void {
    r.stopped = true;
    r.session?.stop();
    this.running.delete(k);
  }

  /** The account is gone: its sessions stop and their state is deleted. */
  removed(id: string): void {
    for (const [k, r] of this.running) {
      if (!k.startsWith(`${id}\n`)) continue;
      this.end(k, r);
      this.forget(id, k.slice(id.length + 1));
    }
  }

  private forget(id: string, protocol: string): void {
    try {
      rmSync(this.stateFile(id, protocol), { force: true });
    } catch (err) {
      log.warning(`the state of ${protocol} of account ${id} was not deleted: ${(err as Error).message}`);
    }
  }

  stopAll(): void {
    for (const [k, r] of this.running) this.end(k, r);
  }
}
