/** The D-Bus face of one account: the Account interface plus one interface per protocol. */
import { resultsToDBus } from '../verify/results.js';
import type { Accounts, AccountState } from '../accounts/accounts.js';
import type { AccountStatus } from '../status/status.js';
import type { LiveSession, ProtocolPlugin } from '../protocols/plugin.js';
import type { LiveSessions } from '../live/sessions.js';
import { AccountsError } from '../errors.js';
import dbus from 'dbus-next';

const { Variant } = dbus;
import { requireProtocol } from '../protocols/registry.js';
import type { InterfaceSpec } from './contract.js';
import type { Access } from '../access/access.js';
import type { Caller } from '../access/callers.js';
import { mayReadFiles } from './manager-object.js';
import type { CallContext, ExportedInterface } from './object-server.js';
import { ACCOUNT_IFACE, accountPath } from './paths.js';
import { OAUTH2_IFACE } from '../contract/names.js';
import { signInScopes } from '../oauth2/config.js';
import type { SignIns } from '../accounts/sign-ins.js';
import { expiresIn } from '../oauth2/tokens.js';
import { signInKey, type SignInRequests } from './sign-in-object.js';
import { IdentityInterface } from './identity-object.js';
import { IDENTITY_IFACE, isMailAccount } from '../model/identity.js';

/** The parts of the service an account object needs. */
export interface AccountContext {
  readonly accounts: Accounts;
  readonly contract: ReadonlyMap<string, InterfaceSpec>;
  readonly access: Access;
  readonly signIns: SignIns;
  readonly requests: SignInRequests;
  readonly live: LiveSessions;
}

function specOf(ctx: AccountContext, name: string): InterfaceSpec {
  const spec = ctx.contract.get(name);
  if (!spec) throw new Error(`interface ${name} is missing from interfaces/`);
  return spec;
}

class AccountInterface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly state: AccountState,
    private readonly ctx: AccountContext,
  ) {}

  getProperty(name: string): unknown {
    const { config, status } = this.state;
    switch (name) {
      case 'Id':
        return config.id;
      case 'Name':
        return config.name;
      case 'Provider':
        return config.provider;
      case 'ProviderName':
        return this.ctx.accounts.catalogue.get(config.provider)?.name ?? config.provider;
      case 'ProviderIcon':
        return this.ctx.accounts.catalogue.get(config.provider)?.icon ?? '';
      case 'Username':
        return config.username;
      case 'Protocols':
        return config.protocols;
      case 'Status':
        return status.status;
      case 'StatusMessage':
        return status.message;
      case 'StatusTime':
        return status.time;
      case 'AttentionNeeded':
        return status.attentionNeeded;
      case 'Credentials':
        return config.credentials;
      case 'Auth':
        return config.auth;
      case 'DiscoverySource':
        return config.discovered?.source ?? '';
      case 'DiscoveryDomain':
        return config.discovered?.domain ?? '';
      case 'MutedErrors':
        return config.muted ?? [];
      case 'Data':
        return { ...config.data };
      case 'Parent':
        return config.parent ? accountPath(config.parent) : '/';
      case 'PinnedCertificates':
        return { ...config.certificates };
      case 'Locked':
        return this.state.provisioned !== undefined;
      case 'PolicyViolation':
        return this.ctx.accounts.policyViolation(this.state);
    }
    throw new Error(`no getter for Account.${name}`);
  }

  async setProperty(name: string, value: unknown): Promise<void> {
    if (name !== 'Name') throw new Error(`no setter for Account.${name}`);
    await this.ctx.accounts.rename(this.state.config.id, value as string);
  }

  callMethod(name: string, args: unknown[], call: CallContext): unknown {
    const id = this.state.config.id;
    const accounts = this.ctx.accounts;
    switch (name) {
      case 'Update':
        return accounts.update(
          id,
          args[0] as Record<string, { signature: string; value: unknown }>,
          mayReadFiles(call),
        );
      case 'SetSecret':
        return accounts.setSecret(id, args[0] as string, args[1] as string);
      case 'GetSecret':
        return accounts.getSecret(id, args[0] as string).then((value) => {
          this.ctx.access.handedOut(id, args[0] as string, call.caller as Caller | undefined);
          return value;
        });
      case 'DeleteSecret':
        return accounts.deleteSecret(id, args[0] as string);
      case 'ReportStatus':
        return accounts.reportStatus(id, args[0] as string, args[1] as string);
      case 'Remove':
        return accounts.remove(id);
      case 'MuteError':
        return accounts.muteError(id, args[0] as string);
      case 'UnmuteError':
        return accounts.unmuteError(id, args[0] as string);
      case 'SetData': {
        // the key is prefixed with the caller's app as the access control knows it (never a name it chose)
        const app = (call.caller as Caller | undefined)?.app;
        if (!app) throw new AccountsError('AccessDenied', 'the calling app could not be identified');
        return accounts.setData(id, app, args[0] as string, args[1] as string);
      }
      case 'Verify':
        this.ctx.access.budget.take(call.caller as Caller | undefined, 1, 'account checks');
        return accounts.verify(id).then(resultsToDBus);
      case 'SignInAgain':
        return this.ctx.requests.start(
          signInKey(call),
          call.sender,
          () => this.ctx.signIns.signInAgain(id, args[0] as Record<string, { signature: string; value: unknown }>),
          id,
        );
    }
    throw new Error(`no handler for Account.${name}`);
  }
}

/** A protocol's interface: one read-only property per setting of the protocol. */
class ProtocolInterface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly plugin: ProtocolPlugin,
    private readonly state: AccountState,
  ) {}

  getProperty(name: string): unknown {
    const s = this.state.config.settings[this.plugin.id];
    const setting = this.plugin.settings.find((x) => x.property === name);
    if (s && setting) {
      const value = s[setting.key]!;
      // A protocol's login is the account's user name unless it has its own.
      if (setting.kind === 'username') return value || this.state.config.username;
      if (setting.kind === 'list')
        return String(value)
          .split(setting.separator ?? ',')
          .map((x) => x.trim())
          .filter(Boolean);
      return value;
    }
    const computed = this.plugin.computed?.find((c) => c.property === name);
    if (s && computed) return computed.get(s);
    throw new Error(`no getter for ${this.spec.name}.${name} on ${this.state.config.id}`);
  }

  callMethod(name: string): unknown {
    throw new Error(`no handler for ${this.spec.name}.${name}`);
  }
}

/** OAuth2 accounts: access tokens for apps (the refresh token never leaves the service). */
class OAuth2Interface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly state: AccountState,
    private readonly ctx: AccountContext,
  ) {}

  getProperty(name: string): unknown {
    const { config } = this.state;
    const oauth = this.ctx.accounts.catalogue.get(config.provider)?.oauth2;
    if (name === 'Issuer')
      return oauth ? oauth.issuer || new URL(oauth.tokenEndpoint.replace('{tenant}', 'common')).origin : '';
    if (name === 'Scopes') return oauth ? signInScopes(oauth, config.protocols) : [];
    throw new Error(`no getter for OAuth2.${name}`);
  }

  callMethod(name: string, args: unknown[], call: CallContext): unknown {
    const id = this.state.config.id;
    const protocol = name === 'GetAccessTokenFor' ? (args[0] as string) : name === 'GetAccessToken' ? '' : undefined;
    if (protocol === undefined) throw new Error(`no handler for OAuth2.${name}`);
    const keeper = this.ctx.accounts.tokens.keeper;
    return keeper.token(id, protocol).then((t) => {
      const caller = call.caller as Caller | undefined;
      if (keeper.handOut(id, protocol, caller?.app ?? 'unknown', t)) {
        this.ctx.access.handedOut(id, protocol ? `access token (${protocol})` : 'access token', caller);
      }
      return [t.access_token, expiresIn(t)];
    });
  }
}

/** A live protocol's own interface (a wallet): served by its running session. */
class LiveInterface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly session: () => LiveSession | undefined,
  ) {}

  getProperty(name: string): unknown {
    const s = this.session();
    if (s) return s.property(name);
    // A session that could not start (its log line says why): empty values of the right type.
    const type = this.spec.properties.get(name)?.type;
    return type === 't' ? 0n : type === 'u' || type === 'q' ? 0 : type === 'as' ? [] : '';
  }

  async callMethod(name: string, args: unknown[]): Promise<unknown> {
    const s = this.session();
    if (!s) throw new AccountsError('Unreachable', 'the wallet could not start (the service log says why)');
    const result = await s.call(name, args);
    // Lists of a{sv} come typed ({t, v}) from the protocol: the bus needs variants.
    if (Array.isArray(result)) {
      return result.map((entry: Record<string, { t: string; v: unknown }>) =>
        Object.fromEntries(Object.entries(entry).map(([k, x]) => [k, new Variant(x.t, x.v)])),
      );
    }
    return result;
  }
}

/**
 * The Account properties a status change moved: the only ones AccountInterface reads from
 * `state.status` (a sweep of 10 000 accounts made every interface's every property be read
 * twice per change to find these four).
 */
export function statusProperties(before: AccountStatus, after: AccountStatus): string[] {
  const changed: string[] = [];
  if (after.status !== before.status) changed.push('Status');
  if (after.message !== before.message) changed.push('StatusMessage');
  if (after.time !== before.time) changed.push('StatusTime');
  if (after.attentionNeeded !== before.attentionNeeded) changed.push('AttentionNeeded');
  return changed;
}

/** The interfaces an account exports, for its current (or a past) state. */
export function accountInterfaces(ctx: AccountContext, state: AccountState): ExportedInterface[] {
  return [
    new AccountInterface(specOf(ctx, ACCOUNT_IFACE), state, ctx),
    ...(state.config.auth === 'oauth2' ? [new OAuth2Interface(specOf(ctx, OAUTH2_IFACE), state, ctx)] : []),
    ...(isMailAccount(state.config.protocols) ? [new IdentityInterface(specOf(ctx, IDENTITY_IFACE), state)] : []),
    ...state.config.protocols.flatMap((p) => {
      const plugin = requireProtocol(p, 'protocols');
      const own = new ProtocolInterface(specOf(ctx, plugin.iface), plugin, state);
      if (!plugin.live) return [own];
      const id = state.config.id;
      return [own, new LiveInterface(specOf(ctx, plugin.live.iface), () => ctx.live.get(id, p))];
    }),
  ];
}
