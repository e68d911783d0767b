/**
 * AccountsClient: the typed client of org.pantherx.Accounts. It speaks only D-Bus, with
 * dbus-next's low-level API (no proxy objects, so no introspection per account). With
 * watch() it keeps a copy of every account current from ObjectManager and property signals
 * and re-syncs when the service restarts.
 */
import { EventEmitter } from 'node:events';
import dbus from 'dbus-next';
import { Connection, sessionBusAddress, type BusReply, type DBusMessage } from './connection.js';
import { sealPassphrase, type ImportResult } from './transfer.js';
import {
  ACCOUNT_IFACE,
  ACCOUNT_PATH_PREFIX,
  BUS_NAME,
  MANAGER_IFACE,
  OBJECT_MANAGER_IFACE,
  PROPERTIES_IFACE,
  ROOT_PATH,
  accountOf,
  accountPathOf,
  addOptions,
  addSecrets,
  diffAccounts,
  discoveredOf,
  discoverOptions,
  fieldOf,
  interfaceOfBuiltin,
  isAccountPath,
  protocolInfoOf,
  protocolOfInterface,
  providerOf,
  rawObject,
  str,
  unwrap,
  updateChanges,
  verifyResults,
  type Props,
  type RawObject,
} from './convert.js';
import { AccountsClientError, SERVICE_ERROR_KINDS, type ServiceErrorKind } from './errors.js';
import { IFACE_PREFIX, OAUTH2_IFACE, SIGN_IN_IFACE, SIGN_IN_PATH_PREFIX, WALLET_IFACE } from '../contract/names.js';
import type {
  AccessEntry,
  AccessState,
  HostAppsMode,
  AccessToken,
  Account,
  AccountChanges,
  AccountField,
  AccountStatus,
  AddAccountInput,
  CallOptions,
  Discovered,
  DiscoverOptions,
  Protocol,
  ProtocolInfo,
  Provider,
  SignInHandlers,
  SignInInput,
  Transfer,
  VerifyResults,
  WalletTransaction,
} from './types.js';

type V = InstanceType<typeof dbus.Variant>;
const { Variant } = dbus;

/** SignIn's a{sv} from the typed input. */
function signInOptions(input: SignInInput): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of ['account', 'flow', 'name', 'tenant', 'server'] as const)
    if (input[key] !== undefined) out[key] = new Variant('s', input[key]);
  if (input.protocols) out.protocols = new Variant('as', input.protocols);
  if (input.verify !== undefined) out.verify = new Variant('b', input.verify);
  return out;
}

export const DEFAULT_TIMEOUT_MS = 25_000;
/** Checks against servers take longer (the service allows each protocol 60 s, in parallel). */
export const DEFAULT_VERIFY_TIMEOUT_MS = 75_000;
/** How long signals about one account are gathered into one changed event. */
const CHANGE_WINDOW_MS = 10;

export interface ConnectOptions {
  /** D-Bus address of the session bus; default $DBUS_SESSION_BUS_ADDRESS (or $XDG_RUNTIME_DIR/bus). */
  busAddress?: string;
  /** Default timeout of every call, in milliseconds (default 25 000). */
  timeoutMs?: number;
  /** Default timeout of calls that check servers (verify, validateCredentials, addAccount with verify); default 75 000. */
  verifyTimeoutMs?: number;
}

export interface AccountsClientEvents {
  /** An account appeared (also after a service restart, for accounts that are new then). */
  added: [account: Account];
  /** An account disappeared; `account` is its last known state. */
  removed: [account: Account];
  /** Some fields changed: Account field names, or `settings.<protocol>[.<field>]`. */
  changed: [account: Account, fields: AccountField[]];
  /** Status or status message changed (the service's StatusChanged). */
  status: [account: Account, status: AccountStatus, message: string];
  /** Money arrived in a watched wallet (the Wallet's TransferReceived). */
  transfer: [account: Account, transfer: Transfer];
  /** The service left the bus; the last known accounts stay in `accounts`. */
  serviceStopped: [];
  /** A (new) service instance owns the name and the accounts are re-synced. */
  serviceStarted: [];
  /** The connection to the session bus is gone; every later call fails with ServiceUnreachable. */
  disconnected: [reason: string];
  /** An app asked for access to an account (the Manager's AccessRequested); answer with setAccess. */
  accessRequested: [account: string, app: string];
  /** The decision for (account, app) changed: always, deny, or '' when revoked (AccessChanged). */
  accessChanged: [account: string, app: string, decision: AccessState | ''];
  /** Whether apps that are not sandboxed need grants changed (the Manager's HostApps). */
  hostAppsChanged: [mode: HostAppsMode];
}

const byId = (a: Account, b: Account) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** GetManagedObjects' answer (a{oa{sa{sv}}}): object path → interface → property → value. */
type ManagedObjects = Record<string, Record<string, Record<string, V>>>;

export class AccountsClient extends EventEmitter<AccountsClientEvents> {
  /** Default timeout of calls, in milliseconds. */
  timeoutMs: number;
  /** Default timeout of calls that check servers, in milliseconds. */
  verifyTimeoutMs: number;

  private readonly cache = new Map<string, RawObject>();
  /** Protocol interfaces of the service instance followed (ListProtocols), interface → id. */
  private known = new Map<string, string>();
  /** Live protocols' own interfaces (a wallet's), protocol id → interface. */
  private live = new Map<string, string>();
  private protocolList: Protocol[] | undefined;
  private watching: Promise<Account[]> | undefined;
  private synced = false;
  private syncing = false;
  private syncRequested = false;
  private syncLoop: Promise<void> | undefined;
  /** Unique bus name of the service instance the cache follows. */
  private owner: string | undefined;
  private readonly pendingChanges = new Map<string, Set<AccountField>>();
  private flushTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly conn: Connection,
    timeoutMs: number,
    verifyTimeoutMs: number,
  ) {
    super();
    this.timeoutMs = timeoutMs;
    this.verifyTimeoutMs = verifyTimeoutMs;
    conn.on('closed', (reason) => this.emit('disconnected', reason));
  }

  /** Connects to the session bus. The service itself is started on the first call if needed (D-Bus activation). */
  static async connect(options: ConnectOptions = {}): Promise<AccountsClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const verifyTimeoutMs = options.verifyTimeoutMs ?? Math.max(timeoutMs, DEFAULT_VERIFY_TIMEOUT_MS);
    for (const [name, value] of [
      ['timeoutMs', timeoutMs],
      ['verifyTimeoutMs', verifyTimeoutMs],
    ] as const) {
      if (!(value > 0))
        throw new AccountsClientError('InvalidArgument', `${name} must be a positive number, got ${value}`);
    }
    const conn = await Connection.open(options.busAddress ?? sessionBusAddress(), timeoutMs);
    return new AccountsClient(conn, timeoutMs, verifyTimeoutMs);
  }

  /** True once the bus connection is gone. */
  get disconnected(): boolean {
    return this.conn.closed;
  }

  /** Closes the connection. */
  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.conn.disconnect();
  }

  // ---- calls -------------------------------------------------------------------------------

  private async call(
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
    opts?: CallOptions & { autoStart?: boolean },
  ): Promise<BusReply> {
    return this.conn.call({
      destination: BUS_NAME,
      path,
      interface: iface,
      member,
      signature,
      body,
      timeoutMs: opts?.timeoutMs ?? this.timeoutMs,
      autoStart: opts?.autoStart,
    });
  }

  /** A call on an account object; an unknown object becomes NotFound naming the account. */
  private async accountCall(
    idOrPath: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
    opts?: CallOptions,
  ): Promise<BusReply> {
    const path = accountPathOf(idOrPath);
    try {
      return await this.call(path, iface, member, signature, body, opts);
    } catch (err) {
      if (err instanceof AccountsClientError && err.dbusName === 'org.freedesktop.DBus.Error.UnknownObject') {
        throw new AccountsClientError('NotFound', `no account '${path.slice(path.lastIndexOf('/') + 1)}'`, {
          dbusName: err.dbusName,
          cause: err,
        });
      }
      throw err;
    }
  }

  /** The protocols the service knows (built-in and third-party), with their settings; cached per service instance. */
  async listProtocols(opts?: CallOptions): Promise<ProtocolInfo[]> {
    const reply = await this.call(ROOT_PATH, MANAGER_IFACE, 'ListProtocols', '', [], opts);
    const list = (reply.body[0] as Array<Record<string, V>>).map(protocolInfoOf);
    this.known = new Map(list.map((p) => [p.interface, p.id]));
    this.live = new Map(list.filter((p) => p.liveInterface).map((p) => [p.id, p.liveInterface]));
    this.protocolList = list.map((p) => p.id);
    return list;
  }

  /** Learns the protocol interfaces once; an older service without ListProtocols leaves the naming rule. */
  private async ensureProtocols(opts?: CallOptions): Promise<void> {
    if (this.protocolList) return;
    try {
      await this.listProtocols(opts);
    } catch (err) {
      if (!(err instanceof AccountsClientError && err.dbusName === 'org.freedesktop.DBus.Error.UnknownMethod'))
        throw err;
      this.protocolList = [];
    }
  }

  /** Every account, sorted by id (one GetManagedObjects call). */
  async listAccounts(opts?: CallOptions): Promise<Account[]> {
    await this.ensureProtocols(opts);
    const reply = await this.call(ROOT_PATH, OBJECT_MANAGER_IFACE, 'GetManagedObjects', '', [], opts);
    return this.accountsOfManaged(reply.body[0] as ManagedObjects).sort(byId);
  }

  /** One account by id (fastmail_info_at_pantherx_org) or object path; NotFound if there is none. */
  async getAccount(idOrPath: string, opts?: CallOptions): Promise<Account> {
    const path = accountPathOf(idOrPath);
    await this.ensureProtocols(opts);
    const reply = await this.accountCall(path, PROPERTIES_IFACE, 'GetAll', 's', [ACCOUNT_IFACE], opts);
    const obj: RawObject = new Map([[ACCOUNT_IFACE, unwrap(reply.body[0] as Record<string, V>)]]);
    const protocols = obj.get(ACCOUNT_IFACE)!.Protocols;
    const ifaces = (Array.isArray(protocols) ? (protocols as string[]) : []).flatMap((p) => [
      [...this.known].find(([, id]) => id === p)?.[0] ?? interfaceOfBuiltin(p),
      ...(this.live.has(p) ? [this.live.get(p)!] : []),
    ]);
    // A mail account's sender identity (docs/identity.md): asked for like a protocol, absent otherwise.
    if ((protocols as string[] | undefined)?.some((p) => p === 'imap' || p === 'pop3' || p === 'smtp'))
      ifaces.push(`${IFACE_PREFIX}Identity`);
    await Promise.all(
      ifaces.map(async (iface) => {
        try {
          const r = await this.call(path, PROPERTIES_IFACE, 'GetAll', 's', [iface], opts);
          obj.set(iface, unwrap(r.body[0] as Record<string, V>));
        } catch (err) {
          // Disabled between the two calls: the account simply has no such settings now.
          if (!(err instanceof AccountsClientError && err.dbusName === 'org.freedesktop.DBus.Error.UnknownInterface'))
            throw err;
        }
      }),
    );
    return accountOf(path, obj, this.known)!;
  }

  private verifyOpts(opts?: CallOptions): CallOptions {
    return { ...opts, timeoutMs: opts?.timeoutMs ?? this.verifyTimeoutMs };
  }

  /**
   * Creates an account and returns it. With `verify`, the servers are checked first
   * (VerificationFailed saves nothing). With an empty provider, the settings are discovered
   * from the address and always checked first; untrusted ones need `trust`.
   */
  async addAccount(input: AddAccountInput, opts?: CallOptions): Promise<Account> {
    const reply = await this.call(
      ROOT_PATH,
      MANAGER_IFACE,
      'AddAccount',
      'ssa{ss}a{sv}',
      [input.provider, input.account, addSecrets(input), addOptions(input)],
      input.verify || input.provider === '' ? this.verifyOpts(opts) : opts,
    );
    return this.getAccount(reply.body[0] as string, opts);
  }

  /**
   * What AddAccount with an empty provider would use for an e-mail address: servers from the
   * catalogue, the shipped database, the domain's autoconfig or DNS, its MX host's provider, or
   * probing; with where they came from and whether they can be trusted. Saves nothing. Rejects
   * with NotFound when nothing was found (the message says what was tried).
   */
  async discover(address: string, options: DiscoverOptions = {}, opts?: CallOptions): Promise<Discovered> {
    const reply = await this.call(
      ROOT_PATH,
      MANAGER_IFACE,
      'Discover',
      'sa{sv}',
      [address, discoverOptions(options)],
      this.verifyOpts(opts),
    );
    return discoveredOf(reply.body[0] as Record<string, V>);
  }

  /** Checks credentials against the servers without saving anything: one result per protocol. */
  async validateCredentials(input: AddAccountInput, opts?: CallOptions): Promise<VerifyResults> {
    const reply = await this.call(
      ROOT_PATH,
      MANAGER_IFACE,
      'ValidateCredentials',
      'ssa{ss}a{sv}',
      [input.provider, input.account, addSecrets(input), addOptions(input)],
      this.verifyOpts(opts),
    );
    return verifyResults(reply.body[0] as Record<string, V>);
  }

  /** Changes settings atomically (name, enabled protocols, per-protocol settings) and returns the account. */
  async updateAccount(idOrPath: string, changes: AccountChanges, opts?: CallOptions): Promise<Account> {
    await this.accountCall(idOrPath, ACCOUNT_IFACE, 'Update', 'a{sv}', [updateChanges(changes)], opts);
    return this.getAccount(idOrPath, opts);
  }

  async renameAccount(idOrPath: string, name: string, opts?: CallOptions): Promise<Account> {
    return this.updateAccount(idOrPath, { name }, opts);
  }

  /** Deletes the account's file and every secret of it. */
  async removeAccount(idOrPath: string, opts?: CallOptions): Promise<void> {
    await this.accountCall(idOrPath, ACCOUNT_IFACE, 'Remove', '', [], opts);
  }

  async setSecret(idOrPath: string, name: string, value: string, opts?: CallOptions): Promise<void> {
    await this.accountCall(idOrPath, ACCOUNT_IFACE, 'SetSecret', 'ss', [name, value], opts);
  }

  async getSecret(idOrPath: string, name: string, opts?: CallOptions): Promise<string> {
    const reply = await this.accountCall(idOrPath, ACCOUNT_IFACE, 'GetSecret', 's', [name], opts);
    return reply.body[0] as string;
  }

  async deleteSecret(idOrPath: string, name: string, opts?: CallOptions): Promise<void> {
    await this.accountCall(idOrPath, ACCOUNT_IFACE, 'DeleteSecret', 's', [name], opts);
  }

  /** What an app saw: online after a good sync, offline when unreachable, error when sync failed, none to clear. */
  /** Account.MuteError: no AttentionNeeded (and no notification) for that kind of failure until another kind comes. */
  async muteError(idOrPath: string, code: string, opts?: CallOptions): Promise<void> {
    await this.accountCall(idOrPath, ACCOUNT_IFACE, 'MuteError', 's', [code], opts);
  }

  async unmuteError(idOrPath: string, code: string, opts?: CallOptions): Promise<void> {
    await this.accountCall(idOrPath, ACCOUNT_IFACE, 'UnmuteError', 's', [code], opts);
  }

  /** Account.SetData: this app's note `key` ('' removes it); stored as `<app>:<key>`. */
  async setData(idOrPath: string, key: string, value: string, opts?: CallOptions): Promise<void> {
    await this.accountCall(idOrPath, ACCOUNT_IFACE, 'SetData', 'ss', [key, value], opts);
  }

  async reportStatus(idOrPath: string, status: AccountStatus, message = '', opts?: CallOptions): Promise<void> {
    await this.accountCall(idOrPath, ACCOUNT_IFACE, 'ReportStatus', 'ss', [status, message], opts);
  }

  /** Checks every enabled protocol against its server: one result per protocol. */
  async verify(idOrPath: string, opts?: CallOptions): Promise<VerifyResults> {
    const reply = await this.accountCall(idOrPath, ACCOUNT_IFACE, 'Verify', '', [], this.verifyOpts(opts));
    return verifyResults(reply.body[0] as Record<string, V>);
  }

  /**
   * Asks the service to check accounts in the background (every account when `ids` is empty)
   * and returns at once; results arrive as status events. Needs a service with
   * Manager.CheckAccounts.
   */
  async checkAccounts(ids: string[] = [], opts?: CallOptions): Promise<void> {
    await this.call(
      ROOT_PATH,
      MANAGER_IFACE,
      'CheckAccounts',
      'as',
      [ids.map((id) => accountPathOf(id).slice(ACCOUNT_PATH_PREFIX.length))],
      opts,
    );
  }

  // ---- access ------------------------------------------------------------------------------

  /**
   * Asks for access to an account for this app, and waits up to `waitMs` (default 0: do not
   * wait) for the user's answer: 'always', 'deny', or 'pending' when nobody answered in time.
   */
  async requestAccess(idOrPath: string, opts?: CallOptions & { waitMs?: number }): Promise<AccessState> {
    const id = accountPathOf(idOrPath).slice(ACCOUNT_PATH_PREFIX.length);
    const ask = async () =>
      (await this.call(ROOT_PATH, MANAGER_IFACE, 'RequestAccess', 's', [id], opts)).body[0] as AccessState;
    const waitMs = opts?.waitMs ?? 0;
    if (waitMs <= 0) return ask();
    // Listen before asking, so an answer that comes at once is not missed.
    const rule = `type='signal',sender='${BUS_NAME}',path='${ROOT_PATH}',interface='${MANAGER_IFACE}',member='AccessChanged',arg0='${id}'`;
    await this.conn.busCall('AddMatch', 's', [rule], opts?.timeoutMs ?? this.timeoutMs);
    let wake: () => void = () => undefined;
    const onSignal = (msg: DBusMessage) => {
      if (msg.member === 'AccessChanged' && msg.body?.[0] === id) wake();
    };
    this.conn.on('signal', onSignal);
    try {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const changed = new Promise<void>((r) => (wake = r));
        const state = await ask();
        const left = deadline - Date.now();
        if (state !== 'pending' || left <= 0) return state;
        await Promise.race([changed, new Promise((r) => setTimeout(r, left))]);
      }
    } finally {
      this.conn.off('signal', onSignal);
      await this.conn.busCall('RemoveMatch', 's', [rule], this.timeoutMs).catch(() => undefined);
    }
  }

  /** Grants and pending requests (refused to sandboxed apps). */
  async listAccess(opts?: CallOptions): Promise<AccessEntry[]> {
    const reply = await this.call(ROOT_PATH, MANAGER_IFACE, 'ListAccess', '', [], opts);
    return (reply.body[0] as Array<Record<string, V>>).map((raw) => {
      const e = unwrap(raw);
      return {
        account: String(e.account),
        app: String(e.app),
        decision: String(e.decision) as AccessEntry['decision'],
        lastUsed: BigInt((e.last_used as bigint) ?? 0),
      };
    });
  }

  /** Lets `app` use the account ('always'), refuses it ('deny'), or forgets the decision (null). */
  async setAccess(
    idOrPath: string,
    app: string,
    decision: 'always' | 'deny' | null,
    opts?: CallOptions,
  ): Promise<void> {
    const id = accountPathOf(idOrPath).slice(ACCOUNT_PATH_PREFIX.length);
    const member = decision === 'always' ? 'GrantAccess' : decision === 'deny' ? 'DenyAccess' : 'RevokeAccess';
    await this.call(ROOT_PATH, MANAGER_IFACE, member, 'ss', [id, app], opts);
  }

  /** Whether apps that are not sandboxed need grants too: allow (they do not) or ask. */
  async hostApps(opts?: CallOptions): Promise<HostAppsMode> {
    const reply = await this.call(ROOT_PATH, PROPERTIES_IFACE, 'Get', 'ss', [MANAGER_IFACE, 'HostApps'], opts);
    const mode = (reply.body[0] as V).value;
    return mode === 'ask' ? 'ask' : 'allow';
  }

  /** Whether apps that are not sandboxed need grants too. */
  async setHostApps(mode: HostAppsMode, opts?: CallOptions): Promise<void> {
    await this.call(ROOT_PATH, MANAGER_IFACE, 'SetHostApps', 's', [mode], opts);
  }

  /**
   * Signs in with an OAuth2 provider and resolves with the new account once the user finished
   * (in the browser at `url`, or with `userCode` at `verificationUrl`, given to onStarted).
   * Rejects with the kind the service reports: Cancelled, Expired, AccessDenied, Duplicate, ...
   */
  async signIn(
    provider: string,
    input: SignInInput = {},
    handlers: SignInHandlers = {},
    opts?: CallOptions,
  ): Promise<Account> {
    return this.runSignIn(
      () => this.call(ROOT_PATH, MANAGER_IFACE, 'SignIn', 'sa{sv}', [provider, signInOptions(input)], opts),
      handlers,
      opts,
    );
  }

  /** Renews the grant of an OAuth2 account (after NotAuthorized); as signIn. */
  async signInAgain(
    idOrPath: string,
    input: Pick<SignInInput, 'flow'> = {},
    handlers: SignInHandlers = {},
    opts?: CallOptions,
  ): Promise<Account> {
    return this.runSignIn(
      () => this.accountCall(idOrPath, ACCOUNT_IFACE, 'SignInAgain', 'a{sv}', [signInOptions(input)], opts),
      handlers,
      opts,
    );
  }

  private async runSignIn(
    start: () => Promise<BusReply>,
    handlers: SignInHandlers,
    opts?: CallOptions,
  ): Promise<Account> {
    handlers.signal?.throwIfAborted();
    const timeoutMs = opts?.timeoutMs ?? this.timeoutMs;
    // Listen before asking: the request's end must not be missed.
    const rule = `type='signal',sender='${BUS_NAME}',interface='${SIGN_IN_IFACE}',path_namespace='${SIGN_IN_PATH_PREFIX.slice(0, -1)}'`;
    await this.conn.busCall('AddMatch', 's', [rule], timeoutMs);
    const ended = new Map<string, DBusMessage>();
    let wake: () => void = () => undefined;
    // Only the service's own connection can end a request (another match rule could deliver forgeries).
    let service = '';
    const onSignal = (msg: DBusMessage) => {
      if (
        msg.interface === SIGN_IN_IFACE &&
        (msg.member === 'Completed' || msg.member === 'Failed') &&
        msg.path &&
        (!service || msg.sender === service)
      ) {
        ended.set(msg.path, msg);
        wake();
      }
    };
    this.conn.on('signal', onSignal);
    let path = '';
    const cancel = () => void this.call(path, SIGN_IN_IFACE, 'Cancel', '', [], opts).catch(() => undefined);
    try {
      const reply = await start();
      path = reply.body[0] as string;
      service = reply.sender ?? '';
      handlers.signal?.addEventListener('abort', cancel, { once: true });
      if (handlers.signal?.aborted) cancel();
      if (!ended.has(path)) {
        const props = unwrap(
          (await this.call(path, PROPERTIES_IFACE, 'GetAll', 's', [SIGN_IN_IFACE], opts)).body[0] as Record<string, V>,
        );
        if (!ended.has(path)) {
          handlers.onStarted?.({
            path,
            flow: str(props.Flow) === 'device' ? 'device' : 'browser',
            url: str(props.Url),
            userCode: str(props.UserCode),
            verificationUrl: str(props.VerificationUrl),
          });
        }
      }
      while (!ended.has(path)) {
        if (this.conn.closed)
          throw new AccountsClientError('ServiceUnreachable', 'the bus connection closed during the sign-in');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 1000); // also notice a closed connection
        });
      }
      const msg = ended.get(path)!;
      if (msg.sender !== service)
        throw new AccountsClientError('Failed', `a sign-in signal came from ${msg.sender}, not from the service`);
      if (msg.member === 'Failed') {
        const [code, message] = msg.body as [string, string];
        throw new AccountsClientError(
          (SERVICE_ERROR_KINDS as readonly string[]).includes(code) ? (code as ServiceErrorKind) : 'Failed',
          message,
        );
      }
      return this.getAccount(msg.body[0] as string, opts);
    } finally {
      handlers.signal?.removeEventListener('abort', cancel);
      this.conn.off('signal', onSignal);
      await this.conn.busCall('RemoveMatch', 's', [rule], this.timeoutMs).catch(() => undefined);
    }
  }

  /** An access token of an OAuth2 account (for `protocol`, where the provider scopes tokens per service). */
  async getAccessToken(idOrPath: string, protocol?: Protocol, opts?: CallOptions): Promise<AccessToken> {
    const reply =
      protocol === undefined
        ? await this.accountCall(idOrPath, OAUTH2_IFACE, 'GetAccessToken', '', [], opts)
        : await this.accountCall(idOrPath, OAUTH2_IFACE, 'GetAccessTokenFor', 's', [protocol], opts);
    return { token: reply.body[0] as string, expiresIn: reply.body[1] as number };
  }

  /** A wallet's transfers, newest first (`limit` at most 1 000). */
  async getTransactions(
    idOrPath: string,
    page: { offset?: number; limit?: number } = {},
    opts?: CallOptions,
  ): Promise<WalletTransaction[]> {
    const reply = await this.accountCall(
      idOrPath,
      WALLET_IFACE,
      'GetTransactions',
      'uu',
      [page.offset ?? 0, page.limit ?? 100],
      opts,
    );
    return (reply.body[0] as Array<Record<string, V>>).map((raw) => {
      const t = unwrap(raw);
      return {
        txid: str(t.txid),
        direction: t.direction === 'out' ? 'out' : 'in',
        amount: str(t.amount),
        asset: str(t.asset),
        counterparty: str(t.counterparty),
        time: Number(t.time ?? 0),
        confirmations: Number(t.confirmations ?? 0),
      };
    });
  }

  /** Looks at a wallet's backend now; resolves when done. */
  async refreshWallet(idOrPath: string, opts?: CallOptions): Promise<void> {
    await this.accountCall(idOrPath, WALLET_IFACE, 'Refresh', '', [], this.verifyOpts(opts));
  }

  /**
   * Every account in one file encrypted with `passphrase` in the age format (Manager.Export):
   * the bytes to save, and how many accounts they hold. `secrets` includes secrets and OAuth2
   * grants. The passphrase is sent sealed to the service's key, never in the clear.
   */
  async exportAccounts(
    passphrase: string,
    options: { secrets?: boolean } = {},
    opts?: CallOptions,
  ): Promise<{ file: Uint8Array; accounts: number }> {
    const sealed = await this.sealedPassphrase(passphrase, opts);
    const reply = await this.call(
      ROOT_PATH,
      MANAGER_IFACE,
      'Export',
      'aya{sv}',
      [sealed, { secrets: new Variant('b', options.secrets === true) }],
      this.verifyOpts(opts),
    );
    return { file: new Uint8Array(reply.body[0] as Buffer), accounts: reply.body[1] as number };
  }

  /**
   * Adds the accounts of an export file (Manager.Import). Duplicates of existing accounts are
   * skipped, never overwritten; a wrong passphrase rejects with WrongPassphrase, a damaged file
   * with InvalidArgument, and then nothing has changed.
   */
  async importAccounts(file: Uint8Array, passphrase: string, opts?: CallOptions): Promise<ImportResult> {
    const sealed = await this.sealedPassphrase(passphrase, opts);
    const reply = await this.call(
      ROOT_PATH,
      MANAGER_IFACE,
      'Import',
      'ayaya{sv}',
      [Buffer.from(file), sealed, {}],
      this.verifyOpts(opts),
    );
    const [paths, skipped] = reply.body as [string[], Array<Record<string, V>>];
    return {
      imported: paths.map((p) => p.slice(ACCOUNT_PATH_PREFIX.length)),
      skipped: skipped.map((raw) => {
        const e = unwrap(raw);
        return { id: str(e.id), reason: str(e.reason), message: str(e.message) };
      }),
    };
  }

  private async sealedPassphrase(passphrase: string, opts?: CallOptions): Promise<Buffer> {
    const reply = await this.call(ROOT_PATH, MANAGER_IFACE, 'GetPassphraseKey', '', [], opts);
    return Buffer.from(await sealPassphrase(passphrase, reply.body[0] as string));
  }

  /** The provider catalogue, sorted by id. */
  async listProviders(opts?: CallOptions): Promise<Provider[]> {
    const reply = await this.call(ROOT_PATH, MANAGER_IFACE, 'ListProviders', '', [], opts);
    return (reply.body[0] as Array<Record<string, V>>).map(providerOf);
  }

  private accountsOfManaged(objects: ManagedObjects): Account[] {
    const out: Account[] = [];
    for (const [path, ifaces] of Object.entries(objects ?? {})) {
      if (!isAccountPath(path)) continue;
      const account = accountOf(path, rawObject(ifaces), this.known);
      if (account) out.push(account);
    }
    return out;
  }

  // ---- watching ----------------------------------------------------------------------------

  /**
   * Loads every account once and keeps them current from then on, emitting added, removed,
   * changed and status events (no polling). Survives service restarts: when a new instance
   * owns the name the accounts are re-synced and the differences emitted. Resolves to the
   * accounts at the start; `accounts` has the current ones afterwards.
   */
  watch(opts?: CallOptions): Promise<Account[]> {
    if (!this.watching) {
      this.watching = this.startWatching(opts).catch((err) => {
        this.watching = undefined;
        throw err;
      });
    }
    return this.watching;
  }

  /** The watched accounts, sorted by id (empty before watch()). */
  get accounts(): Account[] {
    const out: Account[] = [];
    for (const [path, obj] of this.cache) {
      const a = accountOf(path, obj, this.known);
      if (a) out.push(a);
    }
    return out.sort(byId);
  }

  /** One watched account by id or path. */
  account(idOrPath: string): Account | undefined {
    const path = idOrPath.startsWith('/') ? idOrPath : `${ROOT_PATH}/account/${idOrPath}`;
    const obj = this.cache.get(path);
    return obj ? accountOf(path, obj, this.known) : undefined;
  }

  private async startWatching(opts?: CallOptions): Promise<Account[]> {
    this.conn.on('signal', this.onSignal);
    try {
      const addMatch = (rule: string) => this.conn.busCall('AddMatch', 's', [rule], opts?.timeoutMs ?? this.timeoutMs);
      await addMatch(`type='signal',sender='${BUS_NAME}',path_namespace='${ROOT_PATH}'`);
      await addMatch(
        `type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${BUS_NAME}'`,
      );
      await this.requestSync(true, opts);
    } catch (err) {
      this.conn.off('signal', this.onSignal);
      throw err;
    }
    return this.accounts;
  }

  /** Runs GetManagedObjects until no newer request is pending; signals are ignored meanwhile. */
  private requestSync(autoStart: boolean, opts?: CallOptions): Promise<void> {
    this.syncRequested = true;
    this.syncing = true;
    this.syncLoop ??= (async () => {
      try {
        while (this.syncRequested) {
          this.syncRequested = false;
          try {
            await this.syncOnce(autoStart, opts);
          } catch (err) {
            if (!this.syncRequested) throw err;
          }
        }
      } finally {
        this.syncing = false;
        this.syncLoop = undefined;
      }
    })();
    return this.syncLoop;
  }

  private async syncOnce(autoStart: boolean, opts?: CallOptions): Promise<void> {
    const reply = await this.call(ROOT_PATH, OBJECT_MANAGER_IFACE, 'GetManagedObjects', '', [], { ...opts, autoStart });
    if (this.syncRequested) return; // a newer instance appeared meanwhile; its answer counts
    if (this.owner !== reply.sender) this.protocolList = undefined; // another instance may know other plugins
    await this.ensureProtocols(opts);
    this.owner = reply.sender ?? undefined;
    const objects = reply.body[0] as ManagedObjects;
    const next = new Map<string, RawObject>();
    for (const [path, ifaces] of Object.entries(objects ?? {})) {
      if (isAccountPath(path) && ACCOUNT_IFACE in ifaces) next.set(path, rawObject(ifaces));
    }
    const initial = !this.synced;
    this.synced = true;
    if (initial) {
      for (const [path, obj] of next) this.cache.set(path, obj);
      return;
    }
    this.flush();
    const before = new Map([...this.cache].map(([p, o]) => [p, accountOf(p, o, this.known)!]));
    this.cache.clear();
    for (const [path, obj] of next) this.cache.set(path, obj);
    for (const [path, old] of before) if (!next.has(path)) this.emit('removed', old);
    for (const [path, obj] of next) {
      const now = accountOf(path, obj, this.known)!;
      const old = before.get(path);
      if (!old) {
        this.emit('added', now);
        continue;
      }
      const fields = diffAccounts(old, now);
      if (fields.length) this.emit('changed', now, fields);
      if (old.status !== now.status || old.statusMessage !== now.statusMessage)
        this.emit('status', now, now.status, now.statusMessage);
    }
  }

  private readonly onSignal = (msg: DBusMessage): void => {
    const body = msg.body ?? [];
    if (
      msg.sender === 'org.freedesktop.DBus' &&
      msg.interface === 'org.freedesktop.DBus' &&
      msg.member === 'NameOwnerChanged'
    ) {
      if (body[0] !== BUS_NAME) return;
      const newOwner = body[2] as string;
      if (!newOwner) {
        this.owner = undefined;
        this.emit('serviceStopped');
        return;
      }
      if (newOwner === this.owner) return;
      this.owner = newOwner;
      // autoStart off: if it is gone again by now, do not start it just to look.
      this.requestSync(false).then(
        () => this.emit('serviceStarted'),
        () => undefined,
      );
      return;
    }
    if (this.owner !== undefined && msg.sender !== this.owner) return;
    const path = msg.path ?? '';
    // Access signals are not about cached state: a sync in flight does not make them stale.
    if (msg.interface === MANAGER_IFACE && path === ROOT_PATH) {
      if (msg.member === 'AccessRequested') this.emit('accessRequested', str(body[0]), str(body[1]));
      else if (msg.member === 'AccessChanged')
        this.emit('accessChanged', str(body[0]), str(body[1]), str(body[2]) as AccessState | '');
      return;
    }
    if (
      msg.interface === PROPERTIES_IFACE &&
      path === ROOT_PATH &&
      msg.member === 'PropertiesChanged' &&
      body[0] === MANAGER_IFACE
    ) {
      const mode = (body[1] as Record<string, V>).HostApps?.value;
      if (mode === 'allow' || mode === 'ask') this.emit('hostAppsChanged', mode);
      return;
    }
    if (this.syncing || !this.synced) return; // the sync in flight reflects these
    if (msg.interface === OBJECT_MANAGER_IFACE && path === ROOT_PATH) {
      const target = body[0] as string;
      if (!isAccountPath(target)) return;
      if (msg.member === 'InterfacesAdded') this.interfacesAdded(target, body[1] as Record<string, Record<string, V>>);
      else if (msg.member === 'InterfacesRemoved') this.interfacesRemoved(target, body[1] as string[]);
      return;
    }
    if (!isAccountPath(path)) return;
    if (msg.interface === PROPERTIES_IFACE && msg.member === 'PropertiesChanged') {
      this.propertiesChanged(
        path,
        body[0] as string,
        unwrap(body[1] as Record<string, V>),
        (body[2] as string[]) ?? [],
      );
    } else if (msg.interface === WALLET_IFACE && msg.member === 'TransferReceived') {
      const obj = this.cache.get(path);
      if (!obj) return;
      const [txid, amount, counterparty] = body as [string, string, string];
      this.emit('transfer', accountOf(path, obj, this.known)!, { txid, amount, counterparty });
    } else if (msg.interface === ACCOUNT_IFACE && msg.member === 'StatusChanged') {
      const obj = this.cache.get(path);
      const props = obj?.get(ACCOUNT_IFACE);
      if (!obj || !props) return;
      props.Status = body[0];
      props.StatusMessage = body[1];
      this.flush(path);
      this.emit('status', accountOf(path, obj, this.known)!, body[0] as AccountStatus, body[1] as string);
    }
  };

  private interfacesAdded(path: string, ifaces: Record<string, Record<string, V>>): void {
    const obj = this.cache.get(path);
    if (!obj) {
      if (!(ACCOUNT_IFACE in ifaces)) return;
      const fresh = rawObject(ifaces);
      this.cache.set(path, fresh);
      this.emit('added', accountOf(path, fresh, this.known)!);
      return;
    }
    const fields: AccountField[] = [];
    for (const [iface, props] of Object.entries(ifaces)) {
      obj.set(iface, unwrap(props));
      const protocol = protocolOfInterface(iface, this.known);
      if (protocol) fields.push(`settings.${protocol}`);
    }
    this.queueChanged(path, fields);
  }

  private interfacesRemoved(path: string, ifaces: string[]): void {
    const obj = this.cache.get(path);
    if (!obj) return;
    if (ifaces.includes(ACCOUNT_IFACE)) {
      this.flush(path);
      const last = accountOf(path, obj, this.known)!;
      this.cache.delete(path);
      this.emit('removed', last);
      return;
    }
    const fields: AccountField[] = [];
    for (const iface of ifaces) {
      if (!obj.delete(iface)) continue;
      const protocol = protocolOfInterface(iface, this.known);
      if (protocol) fields.push(`settings.${protocol}`);
    }
    this.queueChanged(path, fields);
  }

  private propertiesChanged(path: string, iface: string, changed: Props, invalidated: string[]): void {
    const props = this.cache.get(path)?.get(iface);
    if (!props) return;
    Object.assign(props, changed);
    const fields = Object.keys(changed)
      .map((k) => fieldOf(iface, k, this.known))
      .filter((f): f is AccountField => f !== undefined);
    this.queueChanged(path, fields);
    if (invalidated.length) {
      // The service sends values, but follow the spec: fetch what was only invalidated.
      this.call(path, PROPERTIES_IFACE, 'GetAll', 's', [iface], { autoStart: false }).then(
        (r) => {
          const now = this.cache.get(path)?.get(iface);
          if (!now) return;
          Object.assign(now, unwrap(r.body[0] as Record<string, V>));
          this.queueChanged(
            path,
            invalidated.map((k) => fieldOf(iface, k, this.known)).filter((f): f is AccountField => f !== undefined),
          );
        },
        () => undefined,
      );
    }
  }

  /**
   * Changes are gathered per account and emitted once per burst of signals, so one Update
   * (InterfacesAdded/Removed plus PropertiesChanged) is one event.
   */
  private queueChanged(path: string, fields: AccountField[]): void {
    if (fields.length === 0) return;
    let set = this.pendingChanges.get(path);
    if (!set) this.pendingChanges.set(path, (set = new Set()));
    for (const f of fields) set.add(f);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, CHANGE_WINDOW_MS);
  }

  /** Emits the gathered changes (of one account, or all) now. */
  private flush(onlyPath?: string): void {
    for (const [path, fields] of [...this.pendingChanges]) {
      if (onlyPath !== undefined && path !== onlyPath) continue;
      this.pendingChanges.delete(path);
      const obj = this.cache.get(path);
      const account = obj && accountOf(path, obj, this.known);
      if (account) this.emit('changed', account, [...fields]);
    }
  }
}

export type { Protocol };
