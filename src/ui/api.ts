/**
 * The window's JSON API: reads with GET, every change with POST (the server checks cookie,
 * Host and Origin before a handler runs). Handlers talk to the service only through the client
 * library. No answer carries a secret, except `reveal`, which returns the one value asked for.
 */
import {
  certificatesOfError,
  type Account,
  type AccountChanges,
  type AccountsClient,
  type AddAccountInput,
  type ProtocolInfo,
  type Provider,
  type SettingsInput,
} from '../client/index.js';
import { changedSettings, mergedSettings, settingsOf, storedSecrets, worded } from './checks.js';
import { ACCOUNT_ID, HttpError, text, textList, textMap } from './http.js';
import { pickedFiles, withPickedFiles } from './import-files.js';
import type { ServiceLink } from './service-link.js';
import type { SignIns } from './sign-ins.js';
import { accessView, accountView, transactionView } from './views.js';
import { exportFile, importFile } from './transfer.js';
import { words } from './languages.js';

export interface ApiContext {
  link: ServiceLink;
  signIns: SignIns;
}

/** `body` is the request's JSON object (POST; read and checked by the server before the handler runs), {} for GET. */
type Handler = (ctx: ApiContext, body: Record<string, unknown>, params: string[]) => Promise<unknown>;
interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: Handler;
}

const ID = `(${ACCOUNT_ID.source.slice(1, -1)})`;

/**
 * Catalogue and protocols, asked each time (two calls of a millisecond): a service that started
 * again may have other plugins, and the client outlives service instances.
 */
async function catalogue(client: AccountsClient): Promise<{ providers: Provider[]; protocols: ProtocolInfo[] }> {
  const [providers, protocols] = await Promise.all([client.listProviders(), client.listProtocols()]);
  return { providers, protocols };
}

/** A refusal that the page shows as the results of a check, with the choice to save anyway. */
function notSaved(results: unknown[], canSaveAnyway: boolean): never {
  throw Object.assign(new HttpError(422, 'not saved: the check failed', 'CheckFailed'), {
    body: { saved: false, results, canSaveAnyway },
  });
}

/** What discovery found for an address (nothing secret: the address only). */
async function discover(ctx: ApiContext, body: Record<string, unknown>): Promise<unknown> {
  const address = text(body, 'address', { required: true, max: 320 })!;
  return ctx.link.get().discover(address);
}

/**
 * An account from an address and a password: the service discovers the servers, checks every
 * protocol and saves only if they pass (and, for untrusted settings, only with `trust`, which the
 * page sends once the person confirmed the domain).
 */
async function addDiscovered(ctx: ApiContext, body: Record<string, unknown>): Promise<unknown> {
  const client = ctx.link.get();
  const input: AddAccountInput = {
    provider: '',
    account: text(body, 'account', { required: true, max: 320 })!,
    password: text(body, 'password', { required: true, max: 4096 })!,
  };
  const name = text(body, 'name', { max: 256 });
  if (name) input.name = name;
  if (body.trust === true) input.trust = true;
  // Certificates the person accepted on the page after a check named them (self-hosted servers).
  const certificates = textMap(body, 'certificates');
  if (Object.keys(certificates).length) input.certificates = certificates;
  let account;
  try {
    account = await client.addAccount(input);
  } catch (err) {
    // Only a certificate stood in the way: the page shows its fingerprint and may send it back.
    const presented = certificatesOfError(err);
    if (!Object.keys(presented).length) throw err;
    throw Object.assign(
      new HttpError(
        422,
        words().gettext('The server presents a certificate that no authority this computer trusts vouches for.'),
        'CertificateNotTrusted',
      ),
      {
        body: { certificates: presented },
      },
    );
  }
  client.checkAccounts([account.id]).catch(() => undefined);
  return { saved: true, account: accountView(account) };
}

async function addAccount(ctx: ApiContext, body: Record<string, unknown>): Promise<unknown> {
  const client = ctx.link.get();
  const provider = text(body, 'provider', { required: body.provider !== '', max: 100 }) ?? '';
  if (provider === '') return addDiscovered(ctx, body);
  const { providers, protocols } = await catalogue(client);
  const input: AddAccountInput = {
    provider,
    account: text(body, 'account', { required: true, max: 320 })!,
    secrets: textMap(body, 'secrets'),
    settings: settingsOf(body.settings, protocols),
  };
  const password = text(body, 'password', { max: 4096 });
  if (password !== undefined) input.password = password;
  const name = text(body, 'name', { max: 256 });
  if (name !== undefined) input.name = name;
  const enabled = textList(body, 'protocols');
  if (enabled) input.protocols = enabled;
  // Files a profile names, next to it for the check and the add only.
  const account = await withPickedFiles(pickedFiles(body.files, protocols), input.settings!, protocols, async () => {
    if (body.force !== true) {
      const results = worded(
        await client.validateCredentials(input),
        protocols,
        input.settings!,
        providers.find((p) => p.id === provider),
      );
      const failed = results.filter((r) => !r.ok);
      // A rejected password is never saved; a server that cannot be reached may be (it may be down now).
      if (failed.length)
        notSaved(
          results,
          failed.every((r) => r.outcome === 'network'),
        );
    }
    return client.addAccount(input);
  });
  // New accounts are not checked by the service on its own: ask, so the list shows a status.
  client.checkAccounts([account.id]).catch(() => undefined);
  return { saved: true, account: accountView(account) };
}

async function editAccount(ctx: ApiContext, body: Record<string, unknown>, [id]: string[]): Promise<unknown> {
  const client = ctx.link.get();
  const { providers, protocols } = await catalogue(client);
  const account = await client.getAccount(id!);
  const changes: AccountChanges = {};
  const name = text(body, 'name', { max: 256 });
  if (name !== undefined && name !== account.name) changes.name = name;
  const enabled = textList(body, 'protocols');
  if (enabled && enabled.join() !== account.protocols.join()) {
    if (enabled.length === 0) throw new HttpError(400, 'an account needs at least one protocol (remove it instead)');
    changes.protocols = enabled;
  }
  const settings: Partial<Record<string, SettingsInput>> = changedSettings(
    account,
    settingsOf(body.settings, protocols),
    protocols,
  );
  // The sender identity needs no check (no server): it rides along with the settings (identity.*).
  const sender = senderChanges(account, body.identity);
  if (sender) settings.identity = sender;
  if (Object.keys(settings).length) changes.settings = settings;
  // The proxy or OpenVPN account it is reached through ('' for none); the service checks it is one.
  const parent = body.parent === '' ? '' : text(body, 'parent', { max: 200 });
  if (parent !== undefined && parent !== account.parent) {
    if (parent !== '' && !ACCOUNT_ID.test(parent)) throw new HttpError(400, 'parent must be an account id or empty');
    changes.parent = parent;
  }
  const secrets = textMap(body, 'secrets');
  for (const n of Object.keys(secrets))
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(n)) throw new HttpError(400, `'${n.slice(0, 40)}' is not a secret name`);
  const needsCheck =
    changes.protocols !== undefined ||
    Object.keys(settings).some((p) => p !== 'identity') ||
    Object.keys(secrets).length > 0;
  let results: unknown[] = [];
  if (needsCheck && body.force !== true && account.auth === 'password') {
    const next = changes.protocols ?? account.protocols;
    const input: AddAccountInput = {
      provider: account.provider,
      account: account.username,
      protocols: next,
      secrets: { ...(await storedSecrets(client, account, secrets)), ...secrets },
      settings: mergedSettings(account, next, changes.settings ?? {}, protocols),
    };
    // Checked the way it will be reached: through the parent it is about to have.
    const via = changes.parent ?? account.parent;
    if (via) input.parent = via;
    let checked;
    try {
      checked = worded(
        await client.validateCredentials(input),
        protocols,
        input.settings!,
        providers.find((p) => p.id === account.provider),
        account,
      );
    } catch (err) {
      // The check itself could not run (a setting it refuses): the person may still insist.
      throw Object.assign(new HttpError(422, err instanceof Error ? err.message : String(err), 'CheckFailed'), {
        body: {
          saved: false,
          results: [],
          error: err instanceof Error ? err.message : String(err),
          canSaveAnyway: true,
        },
      });
    }
    if (checked.some((r) => !r.ok)) notSaved(checked, true);
    results = checked;
  }
  // Secrets first: a keyring that refuses leaves the account as it was (not new servers with an old password).
  for (const [n, v] of Object.entries(secrets)) await client.setSecret(account.id, n, v);
  if (Object.keys(changes).length) await client.updateAccount(account.id, changes);
  if (needsCheck || changes.parent !== undefined) client.checkAccounts([account.id]).catch(() => undefined);
  return { saved: true, results, account: accountView(await client.getAccount(account.id)) };
}

/** The identity.* keys the edit form changed ('' clears a name or falls back to the identifier for the address). */
function senderChanges(account: Account, raw: unknown): SettingsInput | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!account.identity) throw new HttpError(400, 'only a mail account has a sender identity');
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new HttpError(400, 'identity must be an object');
  const r = raw as Record<string, unknown>;
  const one = (key: string): string => {
    const v = r[key] ?? '';
    if (typeof v !== 'string' || v.length > 512)
      throw new HttpError(400, `identity.${key} must be text of at most 512 characters`);
    return v.trim();
  };
  const aliases = textList(r, 'aliases') ?? [];
  const now = account.identity;
  const out: SettingsInput = {};
  if (one('fullName') !== now.fullName) out.name = one('fullName');
  if (one('emailAddress') !== now.emailAddress) out.address = one('emailAddress');
  if (aliases.join(', ') !== now.aliases.join(', ')) out.aliases = aliases.join(', ');
  return Object.keys(out).length ? out : undefined;
}

async function removalPlan(ctx: ApiContext, _body: Record<string, unknown>, [id]: string[]): Promise<unknown> {
  const client = ctx.link.get();
  const account = await client.getAccount(id!);
  const grants = (await client.listAccess().catch(() => [])).filter((g) => g.account === account.id).map((g) => g.app);
  return { id: account.id, name: account.name, file: `${account.id}.ini`, secrets: account.credentials, grants };
}

async function reveal(ctx: ApiContext, body: Record<string, unknown>, [id]: string[]): Promise<unknown> {
  const name = text(body, 'name', { required: true, max: 64 })!;
  const client = ctx.link.get();
  const account = await client.getAccount(id!);
  if (!account.credentials.includes(name))
    throw new HttpError(404, `${account.name} has no secret '${name.slice(0, 40)}'`, 'NotFound');
  if (name === 'oauth2')
    throw new HttpError(403, 'sign-in tokens are handed only to apps, never shown', 'AccessDenied');
  return { name, value: await client.getSecret(account.id, name) };
}

function startSignIn(ctx: ApiContext, body: Record<string, unknown>): Promise<unknown> {
  const provider = text(body, 'provider', { required: true, max: 100 })!;
  const input = {
    ...(text(body, 'account', { max: 320 }) ? { account: text(body, 'account')! } : {}),
    ...(text(body, 'server', { max: 1024 }) ? { server: text(body, 'server')! } : {}),
    ...(text(body, 'name', { max: 256 }) ? { name: text(body, 'name')! } : {}),
    ...(textList(body, 'protocols') ? { protocols: textList(body, 'protocols')! } : {}),
    flow: body.flow === 'device' ? ('device' as const) : ('browser' as const),
  };
  return Promise.resolve({
    id: ctx.signIns.start(ctx.link.get(), (c, handlers) => c.signIn(provider, input, handlers)),
  });
}

function signInAgain(ctx: ApiContext, body: Record<string, unknown>, [id]: string[]): Promise<unknown> {
  const flow = body.flow === 'device' ? ('device' as const) : ('browser' as const);
  return Promise.resolve({
    id: ctx.signIns.start(ctx.link.get(), (c, handlers) => c.signInAgain(id!, { flow }, handlers)),
  });
}

async function setAccess(ctx: ApiContext, body: Record<string, unknown>): Promise<unknown> {
  const account = text(body, 'account', { required: true, max: 200 })!;
  const app = text(body, 'app', { required: true, max: 1024 })!;
  const decision = body.decision;
  if (decision !== 'always' && decision !== 'deny' && decision !== null)
    throw new HttpError(400, 'decision must be always, deny or null (revoke)');
  await ctx.link.get().setAccess(account, app, decision);
  return { ok: true };
}

export const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/api\/accounts$/, handler: (ctx) => Promise.resolve(ctx.link.snapshot()) },
  { method: 'GET', pattern: /^\/api\/catalogue$/, handler: async (ctx) => catalogue(ctx.link.get()) },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/accounts/${ID}$`),
    handler: async (ctx, _r, [id]) => accountView(await ctx.link.get().getAccount(id!)),
  },
  { method: 'GET', pattern: new RegExp(`^/api/accounts/${ID}/removal$`), handler: removalPlan },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/accounts/${ID}/transactions$`),
    handler: async (ctx, _r, [id]) => (await ctx.link.get().getTransactions(id!, { limit: 20 })).map(transactionView),
  },
  {
    method: 'GET',
    pattern: /^\/api\/access$/,
    handler: async (ctx) => (await ctx.link.get().listAccess()).map(accessView),
  },
  { method: 'POST', pattern: /^\/api\/accounts$/, handler: addAccount },
  { method: 'POST', pattern: /^\/api\/discover$/, handler: discover },
  { method: 'POST', pattern: new RegExp(`^/api/accounts/${ID}/update$`), handler: editAccount },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/accounts/${ID}/remove$`),
    handler: async (ctx, _r, [id]) => {
      await ctx.link.get().removeAccount(id!);
      return { removed: id };
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/accounts/${ID}/verify$`),
    handler: async (ctx, _r, [id]) => {
      const client = ctx.link.get();
      const { providers, protocols } = await catalogue(client);
      const account = await client.getAccount(id!);
      return {
        results: worded(
          await client.verify(id!),
          protocols,
          {},
          providers.find((p) => p.id === account.provider),
          account,
        ),
      };
    },
  },
  { method: 'POST', pattern: new RegExp(`^/api/accounts/${ID}/reveal$`), handler: reveal },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/accounts/${ID}/refresh$`),
    handler: async (ctx, _r, [id]) => {
      await ctx.link.get().refreshWallet(id!);
      return { ok: true };
    },
  },
  { method: 'POST', pattern: new RegExp(`^/api/accounts/${ID}/sign-in-again$`), handler: signInAgain },
  {
    // "Don't notify me about this again" (Account.MuteError): the failure's code, checked by the service.
    method: 'POST',
    pattern: new RegExp(`^/api/accounts/${ID}/mute$`),
    handler: async (ctx, body, [id]) => {
      await ctx.link.get().muteError(id!, text(body, 'code', { required: true, max: 64 })!);
      return { ok: true };
    },
  },
  {
    // A kind of failure the person muted (Account.UnmuteError): its notifications come back.
    method: 'POST',
    pattern: new RegExp(`^/api/accounts/${ID}/unmute$`),
    handler: async (ctx, body, [id]) => {
      await ctx.link.get().unmuteError(id!, text(body, 'code', { required: true, max: 64 })!);
      return { ok: true };
    },
  },
  { method: 'POST', pattern: /^\/api\/sign-in$/, handler: startSignIn },
  {
    method: 'POST',
    pattern: /^\/api\/sign-in\/([0-9a-f]{16})\/cancel$/,
    handler: (ctx, _r, [id]) => {
      if (!ctx.signIns.cancel(id!)) throw new HttpError(404, 'no such sign-in in progress', 'NotFound');
      return Promise.resolve({ cancelled: true });
    },
  },
  { method: 'POST', pattern: /^\/api\/export$/, handler: (ctx, body) => exportFile(ctx.link, body) },
  { method: 'POST', pattern: /^\/api\/import$/, handler: (ctx, body) => importFile(ctx.link, body) },
  { method: 'POST', pattern: /^\/api\/access$/, handler: setAccess },
  { method: 'GET', pattern: /^\/api\/host-apps$/, handler: async (ctx) => ({ mode: await ctx.link.get().hostApps() }) },
  {
    method: 'POST',
    pattern: /^\/api\/host-apps$/,
    handler: async (ctx, body) => {
      const mode = text(body, 'mode', { required: true, max: 10 });
      if (mode !== 'allow' && mode !== 'ask') throw new HttpError(400, 'mode must be allow or ask');
      await ctx.link.get().setHostApps(mode);
      return { mode };
    },
  },
];

/** The route for a request, or undefined; `allowed` lists the methods the path takes. */
export function route(method: string, path: string): { handler?: Handler; params: string[]; allowed: string[] } {
  const allowed: string[] = [];
  for (const r of ROUTES) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    if (r.method === method) return { handler: r.handler, params: m.slice(1), allowed: [r.method] };
    allowed.push(r.method);
  }
  return { params: [], allowed };
}
