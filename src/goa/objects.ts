/**
 * One px account as libgoa's clients see it (docs/goa.md): which accounts are shown, the
 * interfaces each gets, and their values. Secrets go through the same grants (checked before
 * dispatch by the view's authorize hook) and the same SecretAccessed audit as GetSecret and
 * OAuth2.GetAccessToken.
 */
import type { Accounts, AccountState } from '../accounts/accounts.js';
import type { Access } from '../access/access.js';
import type { Caller } from '../access/callers.js';
import type { InterfaceSpec } from '../bus/contract.js';
import type { CallContext, ExportedInterface } from '../bus/object-server.js';
import { effectiveIdentity } from '../model/identity.js';
import { expiresIn, TOKEN_SECRET, type TokenKeeper } from '../oauth2/tokens.js';
import { loginSecret } from '../protocols/plugin.js';
import { GoaError, toGoaError } from './errors.js';
import {
  GOA_ACCOUNT,
  GOA_CALENDAR,
  GOA_CONTACTS,
  GOA_FILES,
  GOA_MAIL,
  GOA_OAUTH2,
  GOA_PASSWORD,
  WEBDAV_PROTOCOL,
} from './names.js';

/** What the view's objects need from the service. */
export interface GoaContext {
  readonly accounts: Accounts;
  readonly access: Access;
  readonly keeper: TokenKeeper;
  readonly contract: ReadonlyMap<string, InterfaceSpec>;
}

type Settings = Record<string, string | number | undefined>;
const has = (state: AccountState, p: string) =>
  state.config.protocols.includes(p) && state.config.settings[p] !== undefined;
const settingsOf = (state: AccountState, p: string) => state.config.settings[p] as Settings;
const DAV = ['caldav', 'carddav', WEBDAV_PROTOCOL];

/** Only mail (IMAP and SMTP), calendar, contacts and files accounts are shown. */
export function shownInGoa(state: AccountState): boolean {
  return (has(state, 'imap') && has(state, 'smtp')) || DAV.some((p) => has(state, p));
}

/** How clients act on the account: evolution-data-server 3.46 maps owncloud to its WebDAV collection, imap_smtp to mail alone. */
export function providerType(state: AccountState): string {
  if (DAV.some((p) => has(state, p))) return 'owncloud';
  if (state.config.provider === 'google' && state.config.auth === 'oauth2') return 'google';
  return 'imap_smtp';
}

const hostPort = (s: Settings) => {
  const host = String(s.host ?? '');
  return `${host.includes(':') ? `[${host}]` : host}:${s.port}`;
};

/** A DAV protocol's URL: its own, else made from host, port, security and path. */
function davUrl(s: Settings): string {
  if (s.url) return String(s.url);
  const scheme = s.security === 'none' ? 'http' : 'https';
  return `${scheme}://${hostPort(s)}${String(s.path ?? '') || '/'}`;
}

/** gvfs wants dav:// or davs:// with the user in it. */
function gvfsUri(s: Settings, username: string): string {
  try {
    const u = new URL(davUrl(s));
    const scheme = u.protocol === 'http:' ? 'dav' : 'davs';
    const user = encodeURIComponent(String(s.username || username));
    return `${scheme}://${user}@${u.host}${u.pathname}`;
  } catch {
    return '';
  }
}

class Values implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly values: (name: string) => unknown,
  ) {}

  getProperty(name: string): unknown {
    const v = this.values(name);
    if (v === undefined) throw new Error(`no getter for ${this.spec.name}.${name}`);
    return v;
  }

  callMethod(name: string): unknown {
    throw new Error(`no handler for ${this.spec.name}.${name}`);
  }
}

/** The secret a GOA password id stands for, among the account's stored ones. */
export function secretForId(state: AccountState, id: string): string | undefined {
  const names = state.config.credentials.filter((n) => n !== TOKEN_SECRET);
  switch (id) {
    case 'imap-password':
      return loginSecret({ id: 'imap' }, names);
    case 'smtp-password':
      return loginSecret({ id: 'smtp' }, names);
    case 'password':
    case '':
      if (names.includes('password')) return 'password';
      for (const p of [WEBDAV_PROTOCOL, 'caldav', 'carddav', 'imap']) {
        if (has(state, p) && names.includes(p)) return p;
      }
      return undefined;
  }
  throw new GoaError(
    'NotSupported',
    `GetPassword: unknown id '${id.slice(0, 40)}' (imap-password, smtp-password, password or '')`,
  );
}

/** The secrets the account logs in with, by protocol shown here. */
function neededSecrets(state: AccountState): string[] {
  const out: string[] = [];
  if (has(state, 'imap') && has(state, 'smtp')) out.push('imap-password', 'smtp-password');
  if (DAV.some((p) => has(state, p))) out.push('password');
  return out;
}

class AccountInterface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly state: AccountState,
    private readonly ctx: GoaContext,
  ) {}

  getProperty(name: string): unknown {
    const { config, status } = this.state;
    switch (name) {
      case 'ProviderType':
        return providerType(this.state);
      case 'ProviderName':
        return this.ctx.accounts.catalogue.get(config.provider)?.name ?? config.provider;
      case 'ProviderIcon':
        return has(this.state, 'imap') ? 'mail-send' : 'folder-remote';
      case 'Id':
        return config.id;
      case 'AttentionNeeded':
        return status.attentionNeeded;
      case 'Identity':
        return config.username;
      case 'PresentationIdentity':
        return config.name;
    }
    if (name === 'IsTemporary' || name.endsWith('Disabled')) return false;
    throw new Error(`no getter for ${GOA_ACCOUNT}.${name}`);
  }

  callMethod(name: string): unknown {
    if (name === 'Remove') {
      throw new GoaError(
        'NotSupported',
        'accounts are removed in Online Accounts (px-accounts remove, or org.pantherx.Accounts.Account.Remove), not by apps',
      );
    }
    if (name === 'EnsureCredentials') return this.ensureCredentials();
    throw new Error(`no handler for ${GOA_ACCOUNT}.${name}`);
  }

  /** No network: the credentials exist and nothing said they stopped working. */
  private ensureCredentials(): number {
    const { config, status } = this.state;
    if (status.attentionNeeded)
      throw new GoaError(
        'NotAuthorized',
        `account ${config.id} needs attention: ${status.message || 'sign in again in Online Accounts'}`,
      );
    if (config.auth === 'oauth2') {
      if (!config.credentials.includes(TOKEN_SECRET))
        throw new GoaError('NotAuthorized', `account ${config.id} is not signed in`);
      return 0;
    }
    for (const id of neededSecrets(this.state)) {
      if (!secretForId(this.state, id))
        throw new GoaError('NotAuthorized', `account ${config.id} has no stored password (${id})`);
    }
    return 0;
  }
}

class PasswordInterface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly state: AccountState,
    private readonly ctx: GoaContext,
  ) {}

  getProperty(name: string): unknown {
    throw new Error(`no getter for ${GOA_PASSWORD}.${name}`);
  }

  async callMethod(name: string, args: unknown[], call: CallContext): Promise<unknown> {
    if (name !== 'GetPassword') throw new Error(`no handler for ${GOA_PASSWORD}.${name}`);
    const id = this.state.config.id;
    const secret = secretForId(this.state, args[0] as string);
    if (!secret) throw new GoaError('NotAuthorized', `account ${id} has no stored password for '${args[0] as string}'`);
    try {
      const value = await this.ctx.accounts.getSecret(id, secret);
      this.ctx.access.handedOut(id, secret, call.caller as Caller | undefined);
      return value;
    } catch (err) {
      throw toGoaError(err);
    }
  }
}

class OAuth2Interface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly state: AccountState,
    private readonly ctx: GoaContext,
  ) {}

  getProperty(name: string): unknown {
    if (name === 'ClientId' || name === 'ClientSecret') return '';
    throw new Error(`no getter for ${GOA_OAUTH2}.${name}`);
  }

  async callMethod(name: string, _args: unknown[], call: CallContext): Promise<unknown> {
    if (name !== 'GetAccessToken') throw new Error(`no handler for ${GOA_OAUTH2}.${name}`);
    const id = this.state.config.id;
    try {
      const t = await this.ctx.keeper.token(id, '');
      const caller = call.caller as Caller | undefined;
      if (this.ctx.keeper.handOut(id, '', caller?.app ?? 'unknown', t))
        this.ctx.access.handedOut(id, 'access token', caller);
      return [t.access_token, expiresIn(t)];
    } catch (err) {
      throw toGoaError(err);
    }
  }
}

function specOf(ctx: GoaContext, name: string): InterfaceSpec {
  const spec = ctx.contract.get(name);
  if (!spec) throw new Error(`interface ${name} is missing from interfaces/goa/`);
  return spec;
}

/** The interfaces of a shown account, for its current state. */
export function goaInterfaces(ctx: GoaContext, state: AccountState): ExportedInterface[] {
  const out: ExportedInterface[] = [new AccountInterface(specOf(ctx, GOA_ACCOUNT), state, ctx)];
  const oauth2 = state.config.auth === 'oauth2';
  if (has(state, 'imap') && has(state, 'smtp')) {
    out.push(
      new Values(specOf(ctx, GOA_MAIL), (name) => {
        const imap = settingsOf(state, 'imap');
        const smtp = settingsOf(state, 'smtp');
        const identity = effectiveIdentity(state.config.identity, state.config.username);
        switch (name) {
          case 'EmailAddress':
            return identity.address;
          case 'Name':
            return identity.name;
          case 'ImapSupported':
          case 'SmtpSupported':
          case 'SmtpUseAuth':
            return true;
          case 'ImapAcceptSslErrors':
          case 'SmtpAcceptSslErrors':
          case 'SmtpAuthLogin':
            return false;
          case 'ImapHost':
            return hostPort(imap);
          case 'ImapUseSsl':
            return imap.security === 'tls';
          case 'ImapUseTls':
            return imap.security === 'starttls';
          case 'ImapUserName':
            return String(imap.username || state.config.username);
          case 'SmtpHost':
            return hostPort(smtp);
          case 'SmtpAuthPlain':
            return !oauth2;
          case 'SmtpAuthXoauth2':
            return oauth2;
          case 'SmtpUseSsl':
            return smtp.security === 'tls';
          case 'SmtpUseTls':
            return smtp.security === 'starttls';
          case 'SmtpUserName':
            return String(smtp.username || state.config.username);
        }
        return undefined;
      }),
    );
  }
  const dav = (iface: string, p: string, uri: (s: Settings) => string) => {
    if (!has(state, p)) return;
    out.push(
      new Values(specOf(ctx, iface), (name) =>
        name === 'AcceptSslErrors' ? false : name === 'Uri' ? uri(settingsOf(state, p)) : undefined,
      ),
    );
  };
  dav(GOA_CALENDAR, 'caldav', davUrl);
  dav(GOA_CONTACTS, 'carddav', davUrl);
  dav(GOA_FILES, WEBDAV_PROTOCOL, (s) => gvfsUri(s, state.config.username));
  out.push(
    oauth2
      ? new OAuth2Interface(specOf(ctx, GOA_OAUTH2), state, ctx)
      : new PasswordInterface(specOf(ctx, GOA_PASSWORD), state, ctx),
  );
  return out;
}
