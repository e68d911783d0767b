/** org.pantherx.Accounts.Manager at /org/pantherx/Accounts. */
import dbus from 'dbus-next';
import type { Accounts, Origin } from '../accounts/accounts.js';
import { resultsToDBus } from '../verify/results.js';
import { signatureOf, type ProtocolPlugin } from '../protocols/plugin.js';
import { allProtocols, isBuiltin } from '../protocols/registry.js';
import type { Provider } from '../providers/catalogue.js';
import type { SecretStore } from '../secrets/secret-service.js';
import type { InterfaceSpec } from './contract.js';
import type { Access } from '../access/access.js';
import type { Caller } from '../access/callers.js';
import type { CallContext, ExportedInterface } from './object-server.js';
import { accountPath } from './paths.js';
import { discoveredToDBus } from './discovered.js';
import { clientFor } from '../oauth2/config.js';
import type { SignIns } from '../accounts/sign-ins.js';
import { signInKey, type SignInRequests } from './sign-in-object.js';
import { passphraseKey } from '../transfer/age.js';
import { exportAccounts, importAccounts } from '../transfer/transfer.js';

const { Variant } = dbus;
type Variants = Record<string, { signature: string; value: unknown }>;

export function describeProvider(p: Provider): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: new Variant('s', p.id),
    name: new Variant('s', p.name),
    domain: new Variant('s', p.domain),
    protocols: new Variant('as', [...p.protocols]),
    supported: new Variant('as', [...p.supported]),
    notice: new Variant('s', p.notice),
    auth: new Variant('s', p.auth),
    oauth2_configured: new Variant('b', p.oauth2 ? oauth2Configured(p) : false),
    icon: new Variant('s', p.icon),
  };
  for (const [protocol, raw] of Object.entries(p.servers)) {
    for (const [key, value] of Object.entries(raw ?? {})) {
      if (key === 'port') out[`${protocol}.port`] = new Variant('q', Number(value));
      else if (typeof value === 'string') out[`${protocol}.${key}`] = new Variant('s', value);
    }
  }
  return out;
}

export function describeProtocol(p: ProtocolPlugin): Record<string, unknown> {
  return {
    id: new Variant('s', p.id),
    name: new Variant('s', p.title),
    interface: new Variant('s', p.iface),
    builtin: new Variant('b', isBuiltin(p.id)),
    secrets: new Variant('as', [...p.secrets]),
    imports: new Variant('as', Object.keys(p.imports ?? {})),
    live_interface: new Variant('s', p.live?.iface ?? ''),
    settings: new Variant(
      'aa{sv}',
      p.settings.map((s) => ({
        key: new Variant('s', s.key),
        property: new Variant('s', s.property),
        type: new Variant('s', signatureOf(s.kind)),
        kind: new Variant('s', s.kind),
        values: new Variant('as', [...(s.values ?? [])]),
        doc: new Variant('s', s.doc),
      })),
    ),
  };
}

/** Only callers outside a sandbox may have the service read files they name (a CA, a profile's keys). */
export const mayReadFiles = (ctx: CallContext): boolean => (ctx.caller as Caller | undefined)?.kind === 'host';

/** Who asks, for the service: may it read files they name, and whose share of checks it is. */
const originOf = (ctx: CallContext): Origin => ({
  files: mayReadFiles(ctx),
  app: (ctx.caller as Caller | undefined)?.app ?? ctx.sender,
});

/** Whether SignIn can start for a provider: a client id is configured somewhere. */
function oauth2Configured(p: Provider): boolean {
  try {
    clientFor(p.id, p.name, p.oauth2!);
    return true;
  } catch {
    return false;
  }
}

export class ManagerInterface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly accounts: Accounts,
    private readonly secrets: Pick<SecretStore, 'available'>,
    private readonly access: Access,
    private readonly oauth: { signIns: SignIns; requests: SignInRequests },
  ) {}

  getProperty(name: string): unknown {
    if (name === 'SecretsAvailable') return this.secrets.available;
    if (name === 'HostApps') return this.access.grants.hostApps;
    throw new Error(`no getter for Manager.${name}`);
  }

  callMethod(name: string, args: unknown[], ctx: CallContext): unknown {
    const [a, b] = args as [string, string];
    switch (name) {
      case 'RequestAccess':
        return this.access.request(a, ctx.caller as Caller);
      case 'ListAccess':
        return this.access.list().map((e) => ({
          account: new Variant('s', e.account),
          app: new Variant('s', e.app),
          decision: new Variant('s', e.decision),
          last_used: new Variant('t', BigInt(e.lastUsed)),
        }));
      case 'GrantAccess':
        return this.access.decide(a, b, 'always');
      case 'DenyAccess':
        return this.access.decide(a, b, 'deny');
      case 'RevokeAccess':
        return this.access.revoke(a, b);
      case 'SetHostApps':
        return this.access.setHostApps(a);
    }
    switch (name) {
      case 'AddAccount': {
        const [provider, account, secrets, options] = args as [string, string, Record<string, string>, Variants];
        this.access.budget.take(ctx.caller as Caller | undefined, 1, 'new accounts');
        return this.accounts
          .add(provider, account, secrets, options, originOf(ctx))
          .then((state) => accountPath(state.config.id));
      }
      case 'ValidateCredentials': {
        const [provider, account, secrets, options] = args as [string, string, Record<string, string>, Variants];
        return this.accounts.validate(provider, account, secrets, options, originOf(ctx)).then(resultsToDBus);
      }
      case 'CheckAccounts': {
        const ids = args[0] as string[];
        this.access.budget.take(ctx.caller as Caller | undefined, Math.max(1, ids.length), 'account checks');
        return this.accounts.checkInBackground(ids);
      }
      case 'ListProviders':
        // denied: why the administrator's policy refuses new accounts of it ('' when it does not)
        return this.accounts.catalogue
          .list()
          .map((p) => ({ ...describeProvider(p), denied: new Variant('s', this.accounts.providerRefusal(p)) }));
      case 'Discover':
        return this.accounts.discover(a, args[1] as Variants, originOf(ctx)).then(discoveredToDBus);
      case 'ListProtocols':
        return allProtocols().map(describeProtocol);
      case 'GetPassphraseKey':
        return passphraseKey();
      case 'Export':
        return exportAccounts(
          this.accounts,
          args[0] as Uint8Array,
          args[1] as Variants,
          this.access,
          ctx.caller as Caller,
        );
      case 'Import':
        return importAccounts(
          this.accounts,
          args[0] as Uint8Array,
          args[1] as Uint8Array,
          args[2] as Variants,
          this.access,
          ctx.caller as Caller,
        ).then((r) => [
          r.imported.map(accountPath),
          r.skipped.map((x) => ({
            id: new Variant('s', x.id),
            reason: new Variant('s', x.reason),
            message: new Variant('s', x.message),
          })),
        ]);
      case 'SignIn':
        return this.oauth.requests.start(signInKey(ctx), ctx.sender, () =>
          this.oauth.signIns.signIn(a, args[1] as Variants),
        );
    }
    throw new Error(`no handler for Manager.${name}`);
  }
}
