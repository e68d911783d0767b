/**
 * Keeps the service in step with /etc/px-accounts: the policy read at start and again whenever
 * policy.ini is created, changed or removed; provisioned accounts appearing, changing and going
 * as their files do. Watched as the accounts directory is (one inotify watch per directory,
 * src/admin/dir-watch.ts, also while the directories do not exist yet), each change read at
 * once and again a moment later, when an editor writing in place has finished.
 */
import { basename } from 'node:path';
import { log } from '../log.js';
import { DirWatch } from './dir-watch.js';
import { ADMIN_DIR, POLICY_FILE } from './paths.js';
import { loadPolicy, type Policy } from './policy.js';
import { isProvisionedId, type ProvisionedAccounts } from './provisioned.js';

/** The trailing re-read after a burst of events (as the accounts directory's). */
const SETTLE_MS = 80;

function describe(p: Policy): string {
  return p.kind === 'none'
    ? 'none'
    : p.kind === 'broken'
      ? `unusable (${p.reason}): no account can be added until it is fixed`
      : 'in force';
}

/** What of the accounts this follows (src/accounts/accounts.ts; an interface, so admin/ imports nothing of accounts/). */
export interface FollowedAccounts {
  setPolicy(policy: Policy): void;
  reload(id: string): Promise<void>;
  all(): Iterable<{ config: { id: string } }>;
}

export interface AdminFollower {
  close(): void;
}

/** Call after Accounts.load() (which loads the provisioned accounts): reads the policy now and follows both. */
export function followAdminFiles(
  accounts: FollowedAccounts,
  provisioned: ProvisionedAccounts,
  policyFile = POLICY_FILE,
): AdminFollower {
  const timers = new Set<NodeJS.Timeout>();
  const settle = (fn: () => void) => {
    fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, SETTLE_MS);
    timers.add(t);
  };

  let shown = '';
  const readPolicy = () => {
    const policy = loadPolicy(policyFile);
    const text = describe(policy);
    const key = JSON.stringify(policy, (_k, v: unknown) => (v instanceof Set ? [...v] : v));
    if (key === shown) return;
    shown = key;
    (policy.kind === 'broken' ? log.error : log.notice)(`policy ${policyFile}: ${text}`);
    accounts.setPolicy(policy);
  };
  readPolicy();
  const policyWatch = new DirWatch(ADMIN_DIR, (name) => {
    if (name === null || name === basename(policyFile)) settle(readPolicy);
  });
  policyWatch.start();

  const reload = (id: string) =>
    void accounts
      .reload(id)
      .catch((err: Error) => log.error(`reloading provisioned account ${id} failed: ${err.message}`));
  // every file there and every provisioned account known (reloading an unchanged one does nothing)
  const rescan = () => {
    const known = [...accounts.all()].map((s) => s.config.id).filter(isProvisionedId);
    new Set([...provisioned.ids(), ...known]).forEach(reload);
  };
  const accountsWatch = new DirWatch(provisioned.dir, (name) => {
    const id = name === null ? undefined : provisioned.idOfName(name);
    if (name === null)
      settle(rescan); // the directory appeared or went
    else if (id) settle(() => reload(id));
  });
  accountsWatch.start();
  // what changed between Accounts.load() and the watch
  rescan();

  return {
    close() {
      policyWatch.close();
      accountsWatch.close();
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
