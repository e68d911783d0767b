/** Wiring: contract, catalogue, store, secrets and bus, and a clean shutdown. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { Accounts } from './accounts/accounts.js';
import { loadContract, type InterfaceSpec } from './bus/contract.js';
import { guardParser, onConnectionEnd } from './dbus-next-adapter.js';
import { BusExporter } from './bus/exporter.js';
import { useFastReader } from './bus/fast-reader.js';
import { ManagerInterface } from './bus/manager-object.js';
import { ObjectServer } from './bus/object-server.js';
import { ACCOUNT_PATH_PREFIX, BUS_NAME, MANAGER_IFACE, ROOT_PATH } from './bus/paths.js';
import { SIGN_IN_IFACE } from './contract/names.js';
import { SignInRequests } from './bus/sign-in-object.js';
import { SignIns } from './accounts/sign-ins.js';
import { LiveSessions } from './live/sessions.js';
import { Notifier } from './live/notifications.js';
import { followNetwork } from './live/network.js';
import { AttentionNotices, notificationsEnabled, RefusalWatch, shownAccounts } from './live/attention.js';
import { accountPath } from './bus/paths.js';
import { INSTALL_DIR } from './install-dir.js';
import { log } from './log.js';
import { Access } from './access/access.js';
import { Callers } from './access/callers.js';
import { defaultGrantsFile, Grants } from './access/grants.js';
import { AccessPolicy } from './access/policy.js';
import { loadPlugins, pluginDirs } from './plugins/descriptors.js';
import { protocolInterface } from './bus/protocol-interface.js';
import { allProtocols } from './protocols/registry.js';
import { BUILTIN_PROVIDER_DIR, Catalogue, userProviderDir } from './providers/catalogue.js';
import { deleteItem, listStoredSecrets } from './secrets/orphans.js';
import { SecretServiceStore, type SecretStore } from './secrets/secret-service.js';
import { statusText } from './status/status.js';
import { AccountStore } from './store/account-store.js';
import { stopVerifiers } from './verify/verifier-thread.js';
import { loadGoaContract } from './goa/contract.js';
import { GoaView } from './goa/view.js';
import { followAdminFiles, type AdminFollower } from './admin/follow.js';
import { ProvisionedAccounts } from './admin/provisioned.js';

export const INTERFACES_DIR = join(INSTALL_DIR, 'interfaces');
/** interfaces/*.xml compiled by the build (scripts/compile-contract.mjs). */
export const COMPILED_CONTRACT = join(INSTALL_DIR, 'dist', 'contract.json');

export interface ServiceOptions {
  accountsDir: string;
  /** Take the bus name over from a running instance. */
  replace: boolean;
  providerDirs?: string[];
  /** The access file (grants); default $XDG_STATE_HOME/px-accounts/access.json. */
  grantsFile?: string;
  /** Where wallets keep their runtime state (default $XDG_STATE_HOME/px-accounts/wallets). */
  walletStateDir?: string;
  /** The files that configure OAuth2 client ids, in order (default: /etc, then $XDG_CONFIG_HOME). */
  oauth2ClientFiles?: string[];
  /** Where third-party protocol descriptors are looked for, in order (default: the XDG data dirs). */
  pluginDirs?: string[];
  secrets?: SecretStore;
  secretTimeoutMs?: number;
  /** Check every account at start-up and retry failing ones with backoff. */
  backgroundCheck: boolean;
  /** Also serve the GNOME Online Accounts view as org.gnome.OnlineAccounts (docs/goa.md). */
  goa?: boolean;
}

export function defaultAccountsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PX_ACCOUNTS_DIR || join(homedir(), '.userdata', 'accounts');
}

export interface RunningService {
  readonly accounts: Accounts;
  /** Resolves with the exit status once the service has stopped. */
  readonly stopped: Promise<number>;
  stop(status?: number): Promise<void>;
}

const { RequestNameReply } = dbus;
// DBUS_NAME_FLAG_ALLOW_REPLACEMENT | REPLACE_EXISTING | DO_NOT_QUEUE
const ALLOW_REPLACEMENT = 0x1;
const REPLACE_EXISTING = 0x2;
const DO_NOT_QUEUE = 0x4;

/** The contract plus each protocol's interface, generated from its settings (built-in or third-party alike). */
function protocolContract(contract: Map<string, InterfaceSpec>): Map<string, InterfaceSpec> {
  for (const p of allProtocols()) {
    if (contract.has(p.iface))
      throw new Error(
        `interface ${p.iface} of protocol ${p.id} is generated from its settings: remove it from ${INTERFACES_DIR}`,
      );
    contract.set(p.iface, protocolInterface(p));
  }
  return contract;
}

function requireSpec(contract: ReadonlyMap<string, InterfaceSpec>, name: string): InterfaceSpec {
  const spec = contract.get(name);
  if (!spec) throw new Error(`${name} is missing from ${INTERFACES_DIR}`);
  return spec;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const started = performance.now();
  guardParser();
  useFastReader();
  const bus = dbus.sessionBus();
  loadPlugins(options.pluginDirs ?? pluginDirs());
  const loaded = await loadContract(INTERFACES_DIR, COMPILED_CONTRACT);
  const contract = protocolContract(loaded.interfaces);
  const catalogue = Catalogue.load(options.providerDirs ?? [BUILTIN_PROVIDER_DIR, userProviderDir()]);
  const store = new AccountStore(options.accountsDir, catalogue);
  // /etc/px-accounts: the administrator's policy and provisioned accounts (docs/policy.md)
  const provisioned = new ProvisionedAccounts(catalogue, options.accountsDir);
  const keyring = options.secrets ? undefined : new SecretServiceStore(bus, options.secretTimeoutMs);
  const secrets = options.secrets ?? keyring!;
  const notifier = new Notifier(bus);
  notifier.start();
  const attention = new AttentionNotices(
    {
      show: (n, replaces) =>
        notifier.notify(n.account, n.summary, n.body, { action: n.action, category: 'network.error', replaces }),
      isShown: (id) => notifier.isShown(id),
      withdraw: (id) => notifier.close(id),
    },
    () => shownAccounts(bus),
    () => secrets.available,
  );
  const accounts = new Accounts({
    store,
    // Refused reads tell the person once that the keyring is locked (src/live/attention.ts).
    secrets: new RefusalWatch(secrets, () => attention.secretsRefused()),
    catalogue,
    provisioned,
    checker: {
      concurrency: 8,
      retry: options.backgroundCheck,
      firstRetryMs: Number(process.env.PX_ACCOUNTS_FIRST_RETRY_MS) || 60_000,
      maxRetryMs: 3_600_000,
    },
  });
  const grants = new Grants(options.grantsFile ?? defaultGrantsFile());
  grants.load();
  const callers = new Callers(bus);
  const policy = new AccessPolicy(callers, grants);
  // The ObjectManager lists accounts; sign-in requests are transient objects beside them.
  const server = new ObjectServer(bus, ROOT_PATH, loaded.standard, {
    managedPrefix: ACCOUNT_PATH_PREFIX,
    authorize: (req) => policy.authorize(req),
  });
  const access = new Access(grants, (id) => accounts.get(id) !== undefined, {
    requested: (account, app) => server.emitSignal(ROOT_PATH, MANAGER_IFACE, 'AccessRequested', [account, app]),
    changed: (account, app, decision) =>
      server.emitSignal(ROOT_PATH, MANAGER_IFACE, 'AccessChanged', [account, app, decision]),
    secretAccessed: (account, name, app) =>
      server.emitSignal(ROOT_PATH, MANAGER_IFACE, 'SecretAccessed', [account, name, app]),
    hostAppsChanged: () => server.emitPropertiesChanged(ROOT_PATH, MANAGER_IFACE, ['HostApps']),
  });
  const signIns = new SignIns(accounts, options.oauth2ClientFiles);
  const requests = new SignInRequests(server, requireSpec(contract, SIGN_IN_IFACE));
  // The callers are asked by the policy that guards the server the requests live on: an event.
  callers.on('gone', (name) => requests.ownerGone(name));
  server.setObject(ROOT_PATH, [
    new ManagerInterface(requireSpec(contract, MANAGER_IFACE), accounts, secrets, access, { signIns, requests }),
  ]);
  const live = new LiveSessions(
    {
      changed: (id, iface, props) =>
        server.emitPropertiesChanged(
          accountPath(id),
          iface,
          props.length ? props : [...requireSpec(contract, iface).properties.keys()],
        ),
      // A session starts just before its object is exported (so the object appears with its
      // values): a signal before then has no listener and no object to come from.
      emit: (id, iface, signal, args) => {
        if (server.hasObject(accountPath(id))) server.emitSignal(accountPath(id), iface, signal, args);
      },
      // What a backend said, made fit for a status message (no control characters, bounded).
      status: (id, status, message) => {
        if (accounts.get(id)) accounts.reportStatus(id, status, statusText(message));
      },
      notify: (id, summary, body) => {
        if (notificationsEnabled()) void notifier.notify(id, summary, body);
      },
      secrets: async (id, names) => {
        const out: Record<string, string> = {};
        for (const n of names) {
          const v = await secrets.get(id, n);
          if (v !== null) out[n] = v;
        }
        return out;
      },
    },
    options.walletStateDir,
  );
  // What follows the keyring's state also reads secrets: it subscribes (an event of the store).
  secrets.on('availability', (available) => {
    attention.availabilityChanged(available);
    server.emitPropertiesChanged(ROOT_PATH, MANAGER_IFACE, ['SecretsAvailable']);
    live.secretsAvailable();
  });
  const exporter = new BusExporter(server, { accounts, contract, access, signIns, requests, live });
  const goa = options.goa
    ? new GoaView({
        accounts,
        access,
        policy,
        keeper: accounts.tokens.keeper,
        contract: await loadGoaContract(INTERFACES_DIR),
        standard: loaded.standard,
        fileExists: (id) => store.occupied(id),
      })
    : undefined;
  // The bus objects, live sessions and GOA view read the accounts and follow their events.
  // Live sessions first: the object appears (InterfacesAdded) with its wallet's values.
  accounts.events.on('added', (state) => {
    live.sync(state);
    exporter.added(state);
    goa?.sync(state);
  });
  accounts.events.on('changed', (state, before) => {
    exporter.changed(state, before);
    live.sync(state);
    goa?.sync(state);
  });
  accounts.events.on('statusChanged', (state, before) => {
    exporter.statusChanged(state, before);
    goa?.sync(state);
    attention.statusChanged(state, before);
  });
  attention.followChecks(accounts.checker);
  accounts.events.on('secretChanged', (state, name) => live.secretChanged(state, name));
  accounts.events.on('policyChanged', (state) => exporter.policyChanged(state));
  // An account that goes (by a call or by hand) takes its grants with it.
  accounts.events.on('removed', (id) => {
    live.removed(id);
    attention.removed(id);
    exporter.removed(id);
    goa?.removed(id);
    void access.forgetAccount(id).catch((err: Error) => log.warning(`grants of ${id} not removed: ${err.message}`));
  });

  /** What follows the files and the network once the accounts are loaded. */
  const followers: { admin?: AdminFollower; network?: ReturnType<typeof followNetwork> } = {};
  let resolveStopped!: (status: number) => void;
  const stopped = new Promise<number>((r) => (resolveStopped = r));
  let stopping = false;
  const stop = async (status = 0) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping: finishing calls in progress');
    store.close(); // no hand edit is followed any more
    accounts.stopReloading();
    accounts.checker.stop();
    followers.network?.stop();
    requests.stopAll();
    live.stopAll();
    attention.stop();
    notifier.stop();
    await server.drain();
    await goa?.stop();
    followers.admin?.close();
    callers.stop();
    await grants.flush();
    await secrets.close();
    await stopVerifiers();
    bus.disconnect();
    resolveStopped(status);
  };

  onConnectionEnd(bus, () => {
    if (!stopping) log.notice('the session bus went away');
    keyring?.abort(); // nothing waits for a keyring that can no longer answer
    void stop(0);
  });
  bus.on('error', (err: NodeJS.ErrnoException) => {
    // A reset or broken pipe is the bus going away too, seen from a write instead of a read.
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      if (!stopping) log.notice(`the session bus went away (${err.code})`);
    } else {
      log.error(`bus connection error: ${err.message}`);
    }
    keyring?.abort();
    void stop(0);
  });

  await store.init();
  server.quietly(() => accounts.load());
  store.watch(
    (id) => void accounts.reload(id).catch((err: Error) => log.error(`reloading account ${id} failed: ${err.message}`)),
    () => [...accounts.all()].map((a) => a.config.id),
  );
  followers.admin = followAdminFiles(accounts, provisioned);

  const flags = ALLOW_REPLACEMENT | DO_NOT_QUEUE | (options.replace ? REPLACE_EXISTING : 0);
  const reply = await bus.requestName(BUS_NAME, flags);
  if (reply !== RequestNameReply.PRIMARY_OWNER && reply !== RequestNameReply.ALREADY_OWNER) {
    await stop(1);
    throw new Error(`${BUS_NAME} is already owned by another process (use --replace to take over)`);
  }
  bus.on('message', (msg: { type: number; member?: string; body?: unknown[] }) => {
    if (msg.member === 'NameLost' && msg.body?.[0] === BUS_NAME) {
      log.notice(`${BUS_NAME} was taken over by another instance`);
      void stop(0);
    }
  });
  // The GOA view takes its name only now, with every account exported (docs/goa.md).
  if (goa) {
    goa.exportAll(accounts.all());
    await goa.takeName(options.replace);
  }
  // Off the critical path: follow the keyring (its name, its collections) from now on.
  const following = keyring?.start().catch((err: Error) => log.debug(`keyring not followed: ${err.message}`));
  void callers.start().catch((err: Error) => log.debug(`callers not followed: ${err.message}`));
  if (options.backgroundCheck) accounts.checkInBackground([]);
  // Re-checks when NetworkManager says the network is back, none while it is gone (docs: README).
  if (options.backgroundCheck) followers.network = followNetwork(accounts);
  // After start-up, off the critical path: secrets left without an account by a crash.
  void Promise.resolve(following)
    .then(() => listStoredSecrets(bus))
    .then((stored) => accounts.removeOrphanSecrets(stored, (item) => deleteItem(bus, item)))
    .then((removed) => log.info(`orphaned secrets checked (${removed} removed)`))
    .catch((err: Error) => log.debug(`orphaned secrets not checked: ${err.message}`));
  log.info(
    `serving ${accounts.size} accounts from ${store.dir} as ${BUS_NAME} (ready in ${Math.round(performance.now() - started)} ms)`,
  );
  return { accounts, stopped, stop };
}
