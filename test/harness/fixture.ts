/**
 * One fixture for every suite that needs more than a function: a declarative list of what to
 * start (real servers, a private bus with a keyring, a notification server, the service, the
 * window and a browser at it), registered as the suite's mocha before/after hooks. What the
 * fixture started it stops, by PID, last started first stopped; the run's shared real servers it
 * only lends (the root hook below stops them once, after every suite).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccountsClient } from '../../src/client/index.js';
import type { Page } from 'playwright-core';
import { TestClient } from './client.js';
import { startNotificationServer, type NotificationServer } from './notifications.js';
import { startPeers, type PeerName, type PeerOptions, type Peers } from './peers.js';
import { startService, startSession, type KeyringMode, type ServiceProcess, type Session } from './session.js';
import type { UiProcess, Window } from './window.js';

export { testSecret, uniqueUser } from './unique.js';

/** A value, or one computed from the fixture when its phase comes (e.g. from what `start` made). */
export type Lazy<T> = T | ((t: Fixture) => T);

export interface ServiceOptions {
  args?: Lazy<string[]>;
  env?: Lazy<NodeJS.ProcessEnv>;
  /** a command the service runs under (e.g. setpriv) */
  wrapper?: string[];
}

export interface WindowOptions {
  /** px-accounts-ui's arguments besides --no-browser, and its environment */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Chromium at the launch URL: true, or its colour scheme, locale, and a look at the page before it goes there */
  browser?: boolean | { colorScheme?: 'light' | 'dark'; locale?: string; watch?: (page: Page) => void };
}

export interface FixtureOptions {
  /** false: no hooks at all (the suite's tests run elsewhere, e.g. again inside a namespace). */
  active?: boolean;
  /** Things of the suite's own that the rest needs (an OIDC provider, a chain): `t.own()` each. */
  start?: (t: Fixture) => Promise<void> | void;
  /**
   * Real servers: 'shared' lends the run's set (every peer, started once, stopped after the
   * run); a list (with options) starts servers of the suite's own, stopped with the suite.
   */
  peers?: 'shared' | readonly PeerName[] | { names: readonly PeerName[]; options: Lazy<PeerOptions> };
  /** The private session's keyring (default unlocked); the bus always comes with the fixture. */
  keyring?: KeyringMode;
  /** A notification server of the test's own on the private bus. */
  notifications?: boolean;
  /**
   * The window's command (PX_ACCOUNTS_UI_COMMAND) as a stand-in that writes down its arguments
   * (`t.windowOpenedWith()`), so a click on a notification opens no real window.
   */
  windowRecorder?: boolean;
  /** Runs once the session is there and before the service starts (provider files, plugins). */
  prepare?: (t: Fixture) => Promise<void> | void;
  /** px-accounts-service, with a TestClient (`t.client`) and an AccountsClient (`t.accounts`). */
  service?: boolean | ServiceOptions;
  /** Runs once the service is up and before the window starts (the accounts a window shows). */
  seed?: (t: Fixture) => Promise<void>;
  /** px-accounts-ui against the service, and a browser at it. */
  window?: boolean | WindowOptions;
  /** Time for everything to start (default 90 s). */
  timeoutMs?: number;
}

export interface Fixture {
  readonly session: Session;
  readonly peers: Peers;
  readonly notes: NotificationServer;
  readonly service: ServiceProcess;
  readonly client: TestClient;
  readonly accounts: AccountsClient;
  readonly ui: UiProcess;
  readonly win: Window;
  /** Stops the service by PID (until startService); the clients stay connected to the bus. */
  stopService(): Promise<void>;
  /** Starts the service again as the options say (plus `env`). */
  startService(env?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
  /** stopService, then startService. */
  restartService(env?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
  /** Stops `thing` with the suite (before what was started earlier); returns it. */
  own<T extends { stop(): unknown }>(thing: T): T;
  /** Runs `stop` with the suite's after hook (last registered, first run). */
  onStop(stop: () => unknown): void;
  /** The argument lines the window's stand-in (windowRecorder) was started with so far. */
  windowOpenedWith(): string[];
  /** Writes a provider file into the session's catalogue (XDG_DATA_HOME/px-accounts/providers). */
  provider(id: string, ini: string): void;
}

type Parts = {
  session: Session;
  peers: Peers;
  notes: NotificationServer;
  service: ServiceProcess;
  client: TestClient;
  accounts: AccountsClient;
  ui: UiProcess;
  win: Window;
};

const resolve = <T>(value: Lazy<T> | undefined, t: Fixture, fallback: T): T =>
  value === undefined ? fallback : typeof value === 'function' ? (value as (t: Fixture) => T)(t) : value;

/** Registers before/after hooks that start exactly what `options` asks for; call inside a describe. */
/** A provider whose servers are the test's own on 127.0.0.1, as `loopbackProvider` writes it. */
export interface LoopbackProvider {
  name: string;
  /** Mail servers by protocol: the port each listens on at 127.0.0.1, without TLS (`security = none`). */
  servers: Partial<Record<'imap' | 'pop3' | 'smtp', number>>;
  /** DAV servers by protocol: the URL of each. */
  urls?: Partial<Record<'caldav' | 'carddav', string>>;
  /** The [oauth2] section, key by key (issuer or endpoints, client_id, scopes…); with it, `auth = oauth2`. */
  oauth2?: Record<string, string>;
}

/**
 * The text of a provider file (for `fx.provider(id, …)`) whose protocols are the test's servers
 * on the loopback address: `protocols` lists the servers, then the URLs, in the order given.
 */
export function loopbackProvider(p: LoopbackProvider): string {
  const servers = Object.entries(p.servers);
  const urls = Object.entries(p.urls ?? {});
  const section = (name: string, entries: Array<[string, string | number]>) =>
    `\n[${name}]\n${entries.map(([k, v]) => `${k} = ${v}\n`).join('')}`;
  return [
    section('provider', [
      ['name', p.name],
      ...(p.oauth2 ? [['auth', 'oauth2'] as [string, string]] : []),
      ['protocols', [...servers, ...urls].map(([protocol]) => protocol).join(', ')],
    ]).slice(1),
    p.oauth2 ? section('oauth2', Object.entries(p.oauth2)) : '',
    ...servers.map(([protocol, port]) =>
      section(protocol, [
        ['host', '127.0.0.1'],
        ['port', port],
        ['security', 'none'],
      ]),
    ),
    ...urls.map(([protocol, url]) => section(protocol, [['url', url]])),
  ].join('');
}

export function useFixture(options: FixtureOptions = {}): Fixture {
  const parts: Partial<Parts> = {};
  const stops: Array<() => unknown> = [];
  const part = <K extends keyof Parts>(key: K): Parts[K] => {
    const value = parts[key];
    if (value === undefined) throw new Error(`the fixture has no ${key}: not asked for, or not started yet`);
    return value;
  };
  const t: Fixture = {
    get session() {
      return part('session');
    },
    get peers() {
      return part('peers');
    },
    get notes() {
      return part('notes');
    },
    get service() {
      return part('service');
    },
    get client() {
      return part('client');
    },
    get accounts() {
      return part('accounts');
    },
    get ui() {
      return part('ui');
    },
    get win() {
      return part('win');
    },
    async stopService() {
      await part('service').stop();
      delete parts.service;
    },
    async startService(env) {
      if (parts.service) throw new Error('the fixture’s service is running: stopService() first');
      parts.service = await launchService(env);
      return parts.service;
    },
    async restartService(env) {
      await t.stopService();
      return t.startService(env);
    },
    own(thing) {
      stops.push(() => thing.stop());
      return thing;
    },
    onStop(stop) {
      stops.push(stop);
    },
    windowOpenedWith() {
      const file = join(part('session').dir, 'window-opened');
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(0, -1) : [];
    },
    provider(id, ini) {
      const dir = join(part('session').env.XDG_DATA_HOME!, 'px-accounts', 'providers');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${id}.ini`), ini);
    },
  };

  let recorderEnv: NodeJS.ProcessEnv = {};
  const launchService = (env: NodeJS.ProcessEnv = {}) => {
    const o = options.service === true || !options.service ? {} : options.service;
    const all = { ...recorderEnv, ...resolve(o.env, t, {}), ...env };
    return startService(part('session'), resolve(o.args, t, []), all, o.wrapper ?? []);
  };

  if (options.active === false) return t;
  before(async function () {
    this.timeout(options.timeoutMs ?? 90_000);
    await options.start?.(t);
    if (options.peers === 'shared') parts.peers = await sharedPeers();
    else if (options.peers) {
      const [names, peerOptions] =
        'names' in options.peers ? [options.peers.names, resolve(options.peers.options, t, {})] : [options.peers, {}];
      parts.peers = t.own(await startPeers(names, peerOptions));
    }
    parts.session = t.own(await startSession(options.keyring ?? 'unlocked'));
    if (options.notifications) parts.notes = t.own(await startNotificationServer(parts.session.address));
    if (options.windowRecorder) {
      const recorder = join(parts.session.dir, 'window-stand-in');
      writeFileSync(recorder, `#!/bin/sh\necho "$@" >> '${join(parts.session.dir, 'window-opened')}'\n`, {
        mode: 0o755,
      });
      recorderEnv = { PX_ACCOUNTS_UI_COMMAND: recorder };
    }
    await options.prepare?.(t);
    if (options.service) {
      parts.service = await launchService();
      t.onStop(() => parts.service?.stop());
      const client = await TestClient.connect(parts.session.address);
      parts.client = client;
      t.onStop(() => client.disconnect());
      const accounts = await AccountsClient.connect({ busAddress: parts.session.address });
      parts.accounts = accounts;
      t.onStop(() => accounts.close());
    }
    await options.seed?.(t);
    if (options.window) {
      const o = options.window === true ? { browser: true } : options.window;
      // Loaded only here: playwright is heavy, and most suites have no window.
      const { openWindow, startUi } = await import('./window.js');
      parts.ui = t.own(await startUi(parts.session, o.args ?? [], o.env ?? {}));
      if (o.browser) {
        const b = o.browser === true ? {} : o.browser;
        const win = await openWindow(parts.ui.url, b.colorScheme, b.locale, b.watch);
        parts.win = win;
        t.onStop(() => win.browser.close());
      }
    }
  });

  after(async function () {
    this.timeout(30_000);
    let first: Error | undefined;
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        first ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    for (const key of Object.keys(parts) as Array<keyof Parts>) delete parts[key];
    if (first !== undefined) throw first;
  });
  return t;
}

let shared: Promise<Peers> | undefined;
let stopShared: (() => Promise<void>) | undefined;

/**
 * The run's real servers (all of them), started on first use. A suite may use them and must
 * never stop them: every later suite of the run needs them, so their `stop` throws.
 */
export function sharedPeers(): Promise<Peers> {
  shared ??= startPeers().then((p) => {
    stopShared = () => p.stop();
    return Object.freeze({
      ...p,
      stop(): Promise<void> {
        throw new Error(
          'the shared peers are the run’s: a suite must not stop them (useFixture stops them after the run)',
        );
      },
    });
  });
  return shared;
}

// Root-level: runs once after every suite of the mocha run.
after(async function () {
  this.timeout(30_000);
  await stopShared?.();
});
