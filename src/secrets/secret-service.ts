/**
 * The freedesktop Secret Service spoken over the service's own bus connection: one session
 * for the whole process, opened with the dh-ietf1024-sha256-aes128-cbc-pkcs7 algorithm as
 * libsecret does (so secret values never cross the bus in clear; `plain` only where a
 * keyring offers nothing else), no thread, no connection per call. Items carry the attributes
 * they always had (service `org.pantherx.Accounts`, username `<id>/<name>`), so existing
 * secrets are found and `secret-tool lookup service org.pantherx.Accounts username <id>/<name>`
 * keeps working.
 *
 * Calls never wait for a person: a locked collection fails at once with SecretsUnavailable
 * (where a desktop can show it, an unlock prompt is started for next time); a keyring that
 * does not answer fails within the timeout, and later calls fail fast until one succeeds. A
 * keyring that appears, restarts or is unlocked later is picked up without a restart.
 */
import { createCipheriv, createDecipheriv, getDiffieHellman, hkdfSync, randomBytes } from 'node:crypto';
import { EventEmitter, setMaxListeners } from 'node:events';
import dbus from 'dbus-next';
import { BusTimeout, callWithTimeout, type DBusMessage } from '../dbus-next-adapter.js';
import { AccountsError } from '../errors.js';
import { log } from '../log.js';

const { Variant } = dbus;
type Bus = dbus.MessageBus;

export const SECRET_SERVICE_NAME = 'org.pantherx.Accounts';

export interface SecretStore {
  set(id: string, name: string, value: string): Promise<void>;
  /** Resolves null when no such secret is stored. */
  get(id: string, name: string): Promise<string | null>;
  /** Resolves false when there was nothing to delete. */
  delete(id: string, name: string): Promise<boolean>;
  /** Whether secrets can be used right now (keyring on the bus and unlocked), as last seen. */
  readonly available: boolean;
  /**
   * Tells `listener` each change of `available`. What follows it (the bus property, notices,
   * wallets) also reads secrets, so it subscribes instead of being given to the store.
   */
  on(event: 'availability', listener: (available: boolean) => void): unknown;
  close(): Promise<void>;
}

interface SecretStoreEvents {
  availability: [available: boolean];
}

const DEST = 'org.freedesktop.secrets';
const SERVICE_PATH = '/org/freedesktop/secrets';
const SERVICE = 'org.freedesktop.Secret.Service';
const ITEM = 'org.freedesktop.Secret.Item';
const COLLECTION = 'org.freedesktop.Secret.Collection';
const PROMPT = 'org.freedesktop.Secret.Prompt';
const ALGORITHM = 'dh-ietf1024-sha256-aes128-cbc-pkcs7';
/** The timeout while the keyring is known not to answer. */
const HUNG_TIMEOUT_MS = 300;

const unavailable = (why: string) =>
  new AccountsError(
    'SecretsUnavailable',
    `The Secret Service is unavailable (${why}); is a keyring running and unlocked?`,
  );

interface Session {
  path: string;
  key: Buffer | null;
}
type SecretStruct = [string, Buffer, Buffer, string];

class DBusFailure extends Error {
  constructor(
    readonly type: string,
    text: string,
  ) {
    super(text);
  }
}

export class SecretServiceStore extends EventEmitter<SecretStoreEvents> implements SecretStore {
  private session: Promise<Session> | undefined;
  /** Item paths by `<id>/<name>`: a lookup costs one round trip instead of two. */
  private readonly items = new Map<string, string>();
  private hung = false;
  private state = false;
  private closed = false;
  /** Aborted when the bus goes away: calls waiting for the keyring fail at once. */
  private readonly gone = new AbortController();
  /** The keyring's unique name: only its own signals are believed. */
  private owner: string | undefined;
  private readonly onMessage = (msg: DBusMessage) => {
    if (msg.type !== dbus.MessageType.SIGNAL) return;
    if (msg.member === 'NameOwnerChanged' && msg.sender === 'org.freedesktop.DBus' && msg.body?.[0] === DEST) {
      // A keyring that went away, restarted or appeared: forget everything of the old one.
      this.owner = (msg.body[2] as string) || undefined;
      this.reset();
      void this.probe();
      return;
    }
    if (!this.owner || msg.sender !== this.owner) return;
    if (msg.interface === SERVICE && /^Collection(Changed|Created|Deleted)$/.test(msg.member ?? '')) {
      // A collection created or deleted may reuse item paths: no cached path can be trusted.
      if (msg.member !== 'CollectionChanged') this.items.clear();
      void this.probe(); // locked or unlocked
    } else if (msg.interface === COLLECTION && msg.member === 'ItemDeleted') {
      for (const [username, item] of this.items) if (item === msg.body?.[0]) this.items.delete(username);
    }
  };

  constructor(
    private readonly bus: Bus,
    private readonly timeoutMs = 2000,
  ) {
    super();
    setMaxListeners(0, this.gone.signal); // one listener per call waiting, as many as there are
  }

  /** Starts following the keyring's name and collections; resolves once its state is known. */
  async start(): Promise<void> {
    this.bus.on('message', this.onMessage);
    await Promise.all(
      [
        `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${DEST}'`,
        `type='signal',sender='${DEST}',interface='${SERVICE}'`,
        `type='signal',sender='${DEST}',interface='${COLLECTION}',member='ItemDeleted'`,
      ].map((rule) =>
        this.raw(
          'org.freedesktop.DBus',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus',
          'AddMatch',
          's',
          [rule],
          this.timeoutMs,
        ).catch(() => undefined),
      ),
    );
    const [owner] = await this.raw(
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus',
      'GetNameOwner',
      's',
      [DEST],
      this.timeoutMs,
    ).catch(() => [undefined]);
    this.owner = owner as string | undefined;
    await this.probe();
  }

  get available(): boolean {
    return this.state;
  }

  private setAvailable(value: boolean): void {
    if (value === this.state) return;
    this.state = value;
    log.info(`secrets are ${value ? 'available' : 'unavailable'} now`);
    this.emit('availability', value);
  }

  private reset(): void {
    this.session = undefined;
    this.items.clear();
    this.hung = false;
  }

  /**
   * Is the keyring there and its default collection unlocked? Never prompts. It waits the full
   * timeout even while calls fail fast, so a slow keyring gets its chance back.
   */
  async probe(): Promise<boolean> {
    try {
      const [collection] = (await this.raw(
        DEST,
        SERVICE_PATH,
        SERVICE,
        'ReadAlias',
        's',
        ['default'],
        this.timeoutMs,
      )) as [string];
      if (collection === '/') throw new Error('no default collection');
      const [locked] = (await this.raw(
        DEST,
        collection,
        'org.freedesktop.DBus.Properties',
        'Get',
        'ss',
        [COLLECTION, 'Locked'],
        this.timeoutMs,
      )) as [{ value: boolean }];
      this.hung = false;
      this.setAvailable(!locked.value);
    } catch {
      this.setAvailable(false);
    }
    return this.state;
  }

  async set(id: string, name: string, value: string): Promise<void> {
    await this.guard(async () => {
      const username = `${id}/${name}`;
      const collection = await this.unlockedCollection();
      const session = await this.openSession();
      const properties = {
        'org.freedesktop.Secret.Item.Label': new Variant('s', `keyring:${username}@${SECRET_SERVICE_NAME}`),
        'org.freedesktop.Secret.Item.Attributes': new Variant('a{ss}', { service: SECRET_SERVICE_NAME, username }),
      };
      const [item, prompt] = (await this.call(collection, COLLECTION, 'CreateItem', 'a{sv}(oayays)b', [
        properties,
        this.encrypt(session, value),
        true,
      ])) as [string, string];
      if (prompt !== '/') throw unavailable('the keyring wants a person to confirm storing a secret');
      this.items.set(username, item);
    });
  }

  async get(id: string, name: string): Promise<string | null> {
    return this.guard(async () => {
      const username = `${id}/${name}`;
      const session = await this.openSession();
      const cached = this.items.get(username);
      if (cached) {
        try {
          const [secret] = (await this.call(cached, ITEM, 'GetSecret', 'o', [session.path])) as [SecretStruct];
          return this.decrypt(session, secret);
        } catch (err) {
          this.items.delete(username); // deleted or replaced behind our back: look it up again
          if (!(err instanceof DBusFailure) || /Locked|NoSession|Timeout|ServiceUnknown|NoReply/.test(err.type))
            throw err;
        }
      }
      const item = await this.find(username);
      if (!item) return null;
      const [secret] = (await this.call(item, ITEM, 'GetSecret', 'o', [session.path])) as [SecretStruct];
      this.items.set(username, item);
      return this.decrypt(session, secret);
    });
  }

  async delete(id: string, name: string): Promise<boolean> {
    return this.guard(async () => {
      const username = `${id}/${name}`;
      this.items.delete(username);
      const paths = await this.search(username);
      for (const item of paths) {
        const [prompt] = (await this.call(item, ITEM, 'Delete', '', [])) as [string];
        if (prompt !== '/') throw unavailable('the keyring wants a person to confirm deleting a secret');
      }
      return paths.length > 0;
    });
  }

  /** The bus went away: every call waiting for the keyring fails now, and later ones at once. */
  abort(): void {
    this.closed = true;
    this.gone.abort(new DBusFailure('Disconnected', 'the bus went away'));
  }

  async close(): Promise<void> {
    const connected = !this.closed;
    this.closed = true;
    this.bus.off('message', this.onMessage);
    const session = this.session;
    this.reset();
    const s = connected ? await session?.catch(() => undefined) : undefined;
    if (s) await this.call(s.path, 'org.freedesktop.Secret.Session', 'Close', '', []).catch(() => undefined);
  }

  // ---- the protocol ------------------------------------------------------------------------

  /** Every item of ours with this user name, unlocked ones first; a locked one fails. */
  private async search(username: string): Promise<string[]> {
    const [unlocked, locked] = (await this.call(SERVICE_PATH, SERVICE, 'SearchItems', 'a{ss}', [
      { service: SECRET_SERVICE_NAME, username },
    ])) as [string[], string[]];
    if (locked.length && !unlocked.length) {
      this.promptUnlock(locked);
      throw unavailable('the keyring is locked');
    }
    return unlocked;
  }

  private async find(username: string): Promise<string | undefined> {
    return (await this.search(username))[0];
  }

  private async defaultCollection(): Promise<string> {
    const [path] = (await this.call(SERVICE_PATH, SERVICE, 'ReadAlias', 's', ['default'])) as [string];
    if (path === '/') throw unavailable('the keyring has no default collection');
    return path;
  }

  private async unlockedCollection(): Promise<string> {
    const path = await this.defaultCollection();
    if (await this.get1<boolean>(path, COLLECTION, 'Locked')) {
      this.promptUnlock([path]);
      throw unavailable('the keyring is locked');
    }
    return path;
  }

  /**
   * Where a desktop can show it, asks the keyring to prompt for unlocking, without waiting:
   * the call that found it locked has failed already; the next one finds it unlocked.
   */
  private promptUnlock(objects: string[]): void {
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
    void (async () => {
      const [, prompt] = (await this.call(SERVICE_PATH, SERVICE, 'Unlock', 'ao', [objects])) as [string[], string];
      if (prompt !== '/') await this.call(prompt, PROMPT, 'Prompt', 's', ['']);
      log.notice('asked the keyring to prompt for unlocking');
    })().catch((err: Error) => log.debug(`unlock prompt not shown: ${err.message}`));
  }

  private openSession(): Promise<Session> {
    this.session ??= (async () => {
      const dh = getDiffieHellman('modp2'); // RFC 2409 group 2, the 1024-bit group of the algorithm
      dh.generateKeys();
      try {
        const [output, path] = (await this.call(SERVICE_PATH, SERVICE, 'OpenSession', 'sv', [
          ALGORITHM,
          new Variant('ay', dh.getPublicKey()),
        ])) as [{ value: Buffer }, string];
        // The shared secret, left-padded to the group's size, through HKDF-SHA256 (no salt, no info) to a 128-bit AES key.
        const shared = Buffer.alloc(128);
        const raw = dh.computeSecret(Buffer.from(output.value));
        raw.copy(shared, 128 - raw.length);
        return { path, key: Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), Buffer.alloc(0), 16)) };
      } catch (err) {
        if (!(err instanceof DBusFailure && err.type.endsWith('NotSupported'))) throw err;
        log.warning('the keyring does not support encrypted sessions: secrets cross the bus in clear');
        const [, path] = (await this.call(SERVICE_PATH, SERVICE, 'OpenSession', 'sv', [
          'plain',
          new Variant('s', ''),
        ])) as [unknown, string];
        return { path, key: null };
      }
    })();
    this.session.catch(() => (this.session = undefined));
    return this.session;
  }

  private encrypt(session: Session, value: string): SecretStruct {
    const plain = Buffer.from(value, 'utf8');
    if (!session.key) return [session.path, Buffer.alloc(0), plain, 'text/plain; charset=utf8'];
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', session.key, iv);
    return [session.path, iv, Buffer.concat([cipher.update(plain), cipher.final()]), 'text/plain; charset=utf8'];
  }

  private decrypt(session: Session, secret: SecretStruct): string {
    const [, params, value] = secret;
    if (!session.key) return Buffer.from(value).toString('utf8');
    const decipher = createDecipheriv('aes-128-cbc', session.key, Buffer.from(params));
    return Buffer.concat([decipher.update(Buffer.from(value)), decipher.final()]).toString('utf8');
  }

  private async get1<T>(path: string, iface: string, prop: string): Promise<T> {
    const [v] = (await this.call(path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [iface, prop])) as [
      { value: T },
    ];
    return v.value;
  }

  // ---- calls ---------------------------------------------------------------------------------

  /** Runs one operation: every failure becomes SecretsUnavailable; availability follows the outcome. */
  private async guard<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable('the service is stopping');
    try {
      const value = await op();
      this.hung = false;
      this.setAvailable(true);
      return value;
    } catch (err) {
      if (err instanceof DBusFailure && /NoSession|UnknownObject|UnknownMethod/.test(err.type)) this.reset();
      this.setAvailable(false);
      if (err instanceof AccountsError) throw err;
      const why = err instanceof DBusFailure ? (err.type.split('.').pop() ?? err.type) : (err as Error).message;
      throw unavailable(why);
    }
  }

  private async call(
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
  ): Promise<unknown[]> {
    // A keyring that stopped answering costs the full timeout once; then calls fail fast
    // until one succeeds.
    try {
      return await this.raw(DEST, path, iface, member, signature, body, this.hung ? HUNG_TIMEOUT_MS : this.timeoutMs);
    } catch (err) {
      if (err instanceof DBusFailure && err.type === 'Timeout' && !this.hung && !this.closed) {
        this.hung = true;
        // A probe with the full timeout, a little later, decides whether it answers again.
        setTimeout(() => void this.probe(), 5000).unref();
      }
      throw err;
    }
  }

  /** A method call; every failure is a DBusFailure. */
  private async raw(
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
    timeoutMs: number,
  ): Promise<unknown[]> {
    try {
      return (
        await callWithTimeout(
          this.bus,
          { destination, path, interface: iface, member, signature, body },
          timeoutMs,
          this.gone.signal,
        )
      ).body;
    } catch (err) {
      if (err instanceof DBusFailure) throw err;
      if (err instanceof BusTimeout) throw new DBusFailure('Timeout', `no answer within ${timeoutMs} ms`);
      const e = err as { type?: string; text?: string; message?: string } | undefined;
      throw new DBusFailure(e?.type ?? 'Failed', e?.text ?? e?.message ?? 'failed');
    }
  }
}
