/**
 * The GNOME Online Accounts view (docs/goa.md): with --goa the service also owns
 * org.gnome.OnlineAccounts, on a bus connection of its own, and serves there what libgoa's
 * clients read. It follows the accounts as the org.pantherx.Accounts exporter does, with one
 * difference: an account whose file is still there but cannot be read right now stays shown
 * (evolution-data-server deletes its sources for an account that disappears).
 */
import { isDeepStrictEqual } from 'node:util';
import dbus from 'dbus-next';
import type { AccountState } from '../accounts/accounts.js';
import type { AccessPolicy } from '../access/policy.js';
import type { InterfaceSpec } from '../bus/contract.js';
import { ObjectServer, type ExportedInterface } from '../bus/object-server.js';
import { accountPath } from '../bus/paths.js';
import { log } from '../log.js';
import { toGoaError } from './errors.js';
import { goaInterfaces, shownInGoa, type GoaContext } from './objects.js';
import { GOA_ACCOUNT_PREFIX, GOA_BUS_NAME, GOA_ROOT, goaPath } from './names.js';

const { RequestNameReply } = dbus;
// DBUS_NAME_FLAG_ALLOW_REPLACEMENT | REPLACE_EXISTING | DO_NOT_QUEUE
const ALLOW_REPLACEMENT = 0x1;
const REPLACE_EXISTING = 0x2;
const DO_NOT_QUEUE = 0x4;
/** How often an account kept for an unreadable file is looked at again. */
const KEPT_POLL_MS = 1000;

export interface GoaViewOptions extends GoaContext {
  readonly standard: ReadonlyMap<string, InterfaceSpec>;
  readonly policy: AccessPolicy;
  /** Whether the account's file is still there (readable or not). */
  readonly fileExists: (id: string) => boolean;
}

type Snapshot = Map<string, Map<string, unknown>>;

export class GoaView {
  private readonly bus = dbus.sessionBus();
  private readonly server: ObjectServer;
  /** What was last announced of each shown account. */
  private readonly shown = new Map<string, Snapshot>();
  /** Accounts gone from the service whose file is still there: kept until it is read again or deleted. */
  private readonly kept = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  owner = false;
  /** Nothing is exported before exportAll (start-up: the accounts are being loaded). */
  private started = false;

  constructor(private readonly options: GoaViewOptions) {
    this.server = new ObjectServer(this.bus, GOA_ROOT, options.standard, {
      managedPrefix: GOA_ACCOUNT_PREFIX,
      // The same rules as org.pantherx.Accounts, on the account the GOA object stands for; refusals in GOA's words.
      authorize: (req) => {
        const path = req.path.startsWith(GOA_ACCOUNT_PREFIX)
          ? accountPath(req.path.slice(GOA_ACCOUNT_PREFIX.length))
          : req.path;
        return options.policy.authorize({ ...req, path })?.catch((err: unknown) => {
          throw toGoaError(err);
        });
      },
    });
    this.bus.on('error', (err: Error) => log.warning(`GOA view: bus connection error: ${err.message}`));
  }

  /** Exports every shown account quietly (nobody can listen before the name is owned). */
  exportAll(states: Iterable<AccountState>): void {
    this.started = true;
    this.server.quietly(() => {
      for (const s of states) this.sync(s);
    });
  }

  /**
   * Takes org.gnome.OnlineAccounts — never from another owner (a goa-daemon) unless `replace`,
   * and says why in the log when it does not.
   */
  async takeName(replace: boolean): Promise<boolean> {
    const flags = ALLOW_REPLACEMENT | DO_NOT_QUEUE | (replace ? REPLACE_EXISTING : 0);
    const reply = await this.bus.requestName(GOA_BUS_NAME, flags);
    if (reply !== RequestNameReply.PRIMARY_OWNER && reply !== RequestNameReply.ALREADY_OWNER) {
      log.warning(
        `GOA view off: ${GOA_BUS_NAME} is owned by another process (goa-daemon?); start with --replace to take it over`,
      );
      return false;
    }
    this.owner = true;
    this.bus.on('message', (msg: { member?: string; body?: unknown[] }) => {
      if (msg.member === 'NameLost' && msg.body?.[0] === GOA_BUS_NAME) {
        this.owner = false;
        log.notice(`GOA view off: ${GOA_BUS_NAME} was taken over by another process`);
      }
    });
    log.info(
      `GOA view: serving ${this.shown.size} accounts as ${GOA_BUS_NAME}${replace ? ' (taken over with --replace)' : ''}`,
    );
    return true;
  }

  /** An account added, changed or with a new status: its GOA object follows. */
  sync(state: AccountState): void {
    if (!this.started) return;
    const id = state.config.id;
    this.kept.delete(id);
    const path = goaPath(id);
    if (!shownInGoa(state)) {
      if (this.shown.delete(id)) this.server.removeObject(path);
      return;
    }
    const ifaces = goaInterfaces(this.options, state);
    const now = snapshot(ifaces);
    const before = this.shown.get(id);
    this.shown.set(id, now);
    this.server.setObject(path, ifaces); // announces only interfaces added or removed
    if (!before || !this.server.announcing) return;
    for (const [iface, values] of now) {
      const was = before.get(iface);
      if (!was) continue; // announced whole by InterfacesAdded
      const changed = [...values].filter(([k, v]) => !isDeepStrictEqual(v, was.get(k))).map(([k]) => k);
      this.server.emitPropertiesChanged(path, iface, changed);
    }
  }

  /** An account gone from the service: removed here only when its file is gone too. */
  removed(id: string): void {
    if (!this.shown.has(id)) return;
    if (this.options.fileExists(id)) {
      log.info(`GOA view: account ${id} kept while its file cannot be read`);
      this.kept.add(id);
      this.timer ??= setInterval(() => this.checkKept(), KEPT_POLL_MS).unref();
      return;
    }
    this.shown.delete(id);
    this.server.removeObject(goaPath(id));
  }

  private checkKept(): void {
    for (const id of this.kept) {
      if (this.options.fileExists(id)) continue;
      this.kept.delete(id);
      this.shown.delete(id);
      this.server.removeObject(goaPath(id));
    }
    if (this.kept.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.server.drain();
    this.bus.disconnect();
  }
}

function snapshot(ifaces: ExportedInterface[]): Snapshot {
  return new Map(
    ifaces.map((i) => [i.spec.name, new Map([...i.spec.properties.keys()].map((p) => [p, i.getProperty(p)]))]),
  );
}
