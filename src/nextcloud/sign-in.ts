/**
 * A Nextcloud sign-in as Manager.SignIn runs it (provider files with `auth = nextcloud`): the
 * server's address in the option `server`, Login Flow v2 started there, the login page as the
 * request's Url, the poll endpoint asked until the person granted access, and then one account
 * with CalDAV and CardDAV (`<server>/remote.php/dav`) and WebDAV
 * (`<server>/remote.php/dav/files/<loginName>/`), the app password in the Secret Service as
 * `password`. An app password that is not kept (Duplicate, a failed check, cancelled meanwhile)
 * is revoked at the server. docs/nextcloud.md.
 */
import { AccountsError, invalidArgument } from '../errors.js';
import { log } from '../log.js';
import type { AccountConfig } from '../model/account.js';
import type { Provider } from '../providers/catalogue.js';
import { abortReason } from '../util/abort.js';
import { checkPlainDict, checkText } from '../util/validate.js';
import {
  davUrls,
  pollOnce,
  revokeAppPassword,
  serverUrl,
  startLoginFlow,
  type Grant,
  type LoginFlow,
} from './login-flow.js';

type Variants = Record<string, { signature: string; value: unknown }>;

/** Accounts.add, as the sign-in uses it (src/accounts depends on this folder, not the other way round). */
export type AddAccount = (
  provider: string,
  identifier: string,
  secrets: Record<string, string>,
  options: Variants,
) => Promise<{ config: { id: string } }>;

/** How often the poll endpoint is asked while the person signs in. */
export const POLL_MS = Number(process.env.PX_ACCOUNTS_NEXTCLOUD_POLL_MS) || 2000;

export interface NextcloudSignInOptions {
  server: string;
  name?: string;
  protocols?: string[];
  verify?: boolean;
}

const KNOWN = { server: 's', flow: 's', protocols: 'as', name: 's', verify: 'b' } as const;

export function parseNextcloudOptions(options: Variants, provider: Provider): NextcloudSignInOptions {
  checkPlainDict(options, 'options');
  let server: string | undefined;
  const out: Omit<NextcloudSignInOptions, 'server'> = {};
  for (const [key, v] of Object.entries(options)) {
    const signature = (KNOWN as Record<string, string>)[key];
    if (!signature)
      throw invalidArgument(
        `unknown option '${key.slice(0, 60)}' for ${provider.name} (known: ${Object.keys(KNOWN).join(', ')})`,
      );
    if (v.signature !== signature)
      throw invalidArgument(`option ${key} must have type '${signature}', got '${v.signature}'`);
    switch (key) {
      case 'server':
        server = serverUrl(v.value as string);
        break;
      case 'flow':
        if (v.value !== 'browser')
          throw invalidArgument(`${provider.name} signs in in the browser only (option flow browser)`);
        break;
      case 'protocols': {
        const list = [...new Set(v.value as string[])];
        if (list.length === 0) throw invalidArgument('option protocols must name at least one protocol');
        for (const p of list)
          if (!provider.supported.includes(p))
            throw new AccountsError(
              'UnsupportedProtocol',
              `${provider.name} accounts offer ${provider.supported.join(', ')}, not ${String(p).slice(0, 60)}`,
            );
        out.protocols = list;
        break;
      }
      case 'name':
        out.name = checkText(v.value as string, 'option name', 256);
        break;
      case 'verify':
        out.verify = v.value as boolean;
        break;
    }
  }
  if (server === undefined)
    throw invalidArgument(
      `${provider.name} needs the option server: the address of the server (https://cloud.example.org)`,
    );
  return { ...out, server };
}

/** One Login Flow v2 in progress: what a SignIn request object shows and how it is stopped. */
export class NextcloudSignIn {
  url = '';
  readonly userCode = '';
  readonly verificationUrl = '';
  /** The grant once the person allowed access; rejects with a typed error. */
  readonly done: Promise<Grant>;
  private readonly aborter = new AbortController();
  private stopReason: AccountsError | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly providerName: string,
    private readonly flow: LoginFlow,
    private readonly pollMs: number,
  ) {
    this.url = flow.login;
    this.done = this.poll();
    this.done.catch(() => undefined);
  }

  static async start(
    server: string,
    providerName: string,
    timeoutMs: number,
    pollMs = POLL_MS,
  ): Promise<NextcloudSignIn> {
    const flow = await startLoginFlow(server);
    const s = new NextcloudSignIn(providerName, flow, pollMs);
    s.timer = setTimeout(
      () =>
        s.stop(
          new AccountsError(
            'Expired',
            `the sign-in to ${providerName} was not finished within ${Math.round(timeoutMs / 1000)} s`,
          ),
        ),
      timeoutMs,
    );
    s.timer.unref();
    void s.done.finally(() => clearTimeout(s.timer)).catch(() => undefined);
    return s;
  }

  get stopped(): boolean {
    return this.stopReason !== undefined;
  }

  stop(reason: AccountsError): void {
    this.stopReason ??= reason;
    this.aborter.abort(this.stopReason);
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.aborter.signal;
      const stopped = () => this.stopReason ?? abortReason(signal);
      if (signal.aborted) return reject(stopped());
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(stopped());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async poll(): Promise<Grant> {
    let failures = 0;
    for (;;) {
      await this.wait(this.pollMs);
      try {
        const grant = await pollOnce(this.flow, this.aborter.signal);
        if (this.stopReason) {
          if (grant) void revoke(grant, 'the sign-in was stopped');
          throw this.stopReason;
        }
        if (grant) return grant;
        failures = 0;
      } catch (err) {
        if (this.stopReason) throw this.stopReason;
        // a server that is briefly away (a restart, a lost Wi-Fi) is asked again; anything else ends it
        if (err instanceof AccountsError && err.kind === 'Unreachable' && ++failures < 5) continue;
        throw err instanceof AccountsError
          ? err
          : new AccountsError('ProviderError', `the sign-in to ${this.providerName} failed: ${(err as Error).message}`);
      }
    }
  }
}

/** Revokes an app password that will not be kept; best effort, logged without the secret. */
export async function revoke(grant: Grant, why: string): Promise<void> {
  const host = new URL(grant.server).host;
  try {
    const status = await revokeAppPassword(grant.server, grant.loginName, grant.appPassword);
    if (status >= 200 && status < 300)
      log.info(`Nextcloud app password of ${grant.loginName} at ${host} revoked (${why})`);
    else log.warning(`Nextcloud app password of ${grant.loginName} at ${host} not revoked (${why}): HTTP ${status}`);
  } catch (err) {
    log.warning(
      `Nextcloud app password of ${grant.loginName} at ${host} not revoked (${why}): ${(err as Error).message}`,
    );
  }
}

/** The user name of a Nextcloud account: the login name at the server's host (one account per login and server). */
export function accountName(grant: Grant): string {
  return `${grant.loginName}@${new URL(grant.server).host}`;
}

const sv = (value: string) => ({ signature: 's', value });

/** Manager.SignIn for a provider with `auth = nextcloud`. */
export async function startNextcloudSignIn(
  addAccount: AddAccount,
  provider: Provider,
  options: Variants,
  timeoutMs: number,
) {
  const o = parseNextcloudOptions(options, provider);
  const flow = await NextcloudSignIn.start(o.server, provider.name, timeoutMs);
  const done = flow.done.then(async (grant) => {
    try {
      if (flow.stopped) throw new AccountsError('Cancelled', 'the sign-in was cancelled');
      const urls = davUrls(grant.server, grant.loginName);
      const protocols = o.protocols ?? [...provider.protocols];
      const add: Variants = { protocols: { signature: 'as', value: protocols } };
      for (const p of protocols) {
        const url = (urls as Record<string, string>)[p];
        if (!url) throw new AccountsError('UnsupportedProtocol', `${provider.name} accounts have no ${p}`);
        add[`${p}.url`] = sv(url);
        add[`${p}.username`] = sv(grant.loginName);
      }
      if (o.name !== undefined) add.name = sv(o.name);
      if (o.verify) add.verify = { signature: 'b', value: true };
      const state = await addAccount(provider.id, accountName(grant), { password: grant.appPassword }, add);
      log.info(`account ${state.config.id} signed in with Nextcloud Login Flow v2 (${new URL(grant.server).host})`);
      return state.config.id;
    } catch (err) {
      void revoke(grant, `not kept: ${err instanceof AccountsError ? err.kind : 'error'}`);
      throw err;
    }
  });
  return { flow, provider, done };
}

/**
 * Where an account's app password is revoked when the account goes: the server and the login
 * name its DAV URLs name (`…/remote.php/dav…`); undefined when none does.
 */
export function revocationTarget(
  config: Pick<AccountConfig, 'settings' | 'username'>,
): { server: string; loginName: string } | undefined {
  for (const p of ['webdav', 'caldav', 'carddav']) {
    const s = config.settings[p];
    const url = typeof s?.url === 'string' ? s.url : '';
    const at = url.indexOf('/remote.php/dav');
    if (at > 0) return { server: url.slice(0, at), loginName: String(s!.username || config.username) };
  }
  return undefined;
}

/** Account.Remove of a Nextcloud account: the app password is revoked, in the background, logged. */
export function revokeOnRemoval(config: AccountConfig, appPassword: string): void {
  const target = revocationTarget(config);
  if (!target) {
    log.warning(`account ${config.id}: no Nextcloud server found in its settings, its app password was not revoked`);
    return;
  }
  void revoke({ ...target, appPassword }, `account ${config.id} removed`);
}
