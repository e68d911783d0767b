/**
 * Which app may use which account: machine state in its own file, not in the account INI
 * ($XDG_STATE_HOME/px-accounts/access.json, 0600, atomic writes that never follow a link). Each
 * grant is (account, app, always | deny, last used); the file also holds whether host apps must
 * ask too. A file that cannot be used (corrupt, a symlink, too large) is moved aside with a log
 * line at start-up, never overwritten silently; the service starts with no grants.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { invalidArgument } from '../errors.js';
import { log } from '../log.js';
import { writeFileNoFollow } from '../util/atomic-write.js';
import { readRegularFile } from '../util/regular-file.js';

export type Decision = 'always' | 'deny';
export type HostApps = 'allow' | 'ask';

export interface Grant {
  account: string;
  app: string;
  decision: Decision;
  /** µs since the epoch of the last secret handed out under this grant; 0 never. */
  lastUsed: number;
}

interface FileShape {
  version: 1;
  hostApps: HostApps;
  grants: Grant[];
}

const MAX_FILE = 4 * 1024 * 1024;
const APP = /^[A-Za-z0-9._/+@:-]{1,512}$/;

export function defaultGrantsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'px-accounts', 'access.json');
}

export function checkApp(app: string): string {
  if (!APP.test(app))
    throw invalidArgument(
      `app '${app.slice(0, 80)}' is not an app id (org.example.Mail), snap.<name>, desktop id or executable path`,
    );
  return app;
}

export class Grants {
  private grants: Grant[] = [];
  hostApps: HostApps = 'allow';
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Reads the file; an unusable one is moved aside, and the service goes on without grants. */
  load(): void {
    let text: string;
    try {
      text = readRegularFile(this.file, { maxSize: MAX_FILE });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      return this.setAside((err as Error).message);
    }
    try {
      const doc = JSON.parse(text) as Partial<FileShape>;
      if (doc.version !== 1 || !Array.isArray(doc.grants)) throw new Error('not an access file of version 1');
      this.hostApps = doc.hostApps === 'ask' ? 'ask' : 'allow';
      this.grants = doc.grants
        .filter(
          (g): g is Grant =>
            typeof g?.account === 'string' &&
            typeof g.app === 'string' &&
            (g.decision === 'always' || g.decision === 'deny'),
        )
        .map((g) => ({ ...g, lastUsed: Number(g.lastUsed) || 0 }));
    } catch (err) {
      this.setAside((err as Error).message);
    }
  }

  private setAside(why: string): void {
    const aside = `${this.file}.unusable-${Date.now()}`;
    try {
      renameSync(this.file, aside);
      log.warning(`access file ${this.file} cannot be used (${why}); moved to ${aside}, starting with no grants`);
    } catch (err) {
      log.warning(
        `access file ${this.file} cannot be used (${why}) nor moved aside (${(err as Error).message}); starting with no grants`,
      );
    }
  }

  list(): readonly Grant[] {
    return this.grants;
  }

  find(account: string, app: string): Grant | undefined {
    return this.grants.find((g) => g.account === account && g.app === app);
  }

  async set(account: string, app: string, decision: Decision): Promise<void> {
    checkApp(app);
    const g = this.find(account, app);
    if (g) g.decision = decision;
    else this.grants.push({ account, app, decision, lastUsed: 0 });
    await this.save();
  }

  /** Resolves false when there was no such grant. */
  async revoke(account: string, app: string): Promise<boolean> {
    const before = this.grants.length;
    this.grants = this.grants.filter((g) => !(g.account === account && g.app === app));
    if (this.grants.length === before) return false;
    await this.save();
    return true;
  }

  async forgetAccount(account: string): Promise<void> {
    const before = this.grants.length;
    this.grants = this.grants.filter((g) => g.account !== account);
    if (this.grants.length !== before) await this.save();
  }

  async setHostApps(mode: HostApps): Promise<void> {
    const before = this.hostApps;
    this.hostApps = mode;
    try {
      await this.save();
    } catch (err) {
      this.hostApps = before; // not written: what the service says stays what the file says
      throw err;
    }
  }

  private lazySave: NodeJS.Timeout | undefined;

  /** Records a use; written within a second (once, however many uses), never on the call's path. */
  used(grant: Grant): void {
    grant.lastUsed = Date.now() * 1000;
    this.lazySave ??= setTimeout(() => {
      this.lazySave = undefined;
      void this.save().catch((err: Error) => log.warning(`access file not written: ${err.message}`));
    }, 1000);
  }

  /** Writes what is pending (the service is stopping). */
  async flush(): Promise<void> {
    if (this.lazySave) {
      clearTimeout(this.lazySave);
      this.lazySave = undefined;
      await this.save().catch((err: Error) => log.warning(`access file not written: ${err.message}`));
    }
    await this.writing.catch(() => undefined);
  }

  /** Writes are serialised: the last state always wins. */
  private save(): Promise<void> {
    const doc: FileShape = { version: 1, hostApps: this.hostApps, grants: this.grants };
    const text = JSON.stringify(doc, null, 1) + '\n';
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
        // Never through a link: one swapped in for the file is replaced, its target left alone.
        await writeFileNoFollow(this.file, text, { mode: 0o600 });
      });
    return this.writing;
  }
}
