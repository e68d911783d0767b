/**
 * Keeps the bus in step with the accounts: objects appear and disappear with them, and every
 * property that changes is announced with PropertiesChanged (and StatusChanged for status).
 */
import { isDeepStrictEqual } from 'node:util';
import type { AccountListener, AccountState } from '../accounts/accounts.js';
import type { AccountConfig } from '../model/account.js';
import type { AccountStatus } from '../status/status.js';
import { accountInterfaces, statusProperties, type AccountContext } from './account-object.js';
import type { ExportedInterface, ObjectServer } from './object-server.js';
import { ACCOUNT_IFACE, accountPath } from './paths.js';

type Snapshot = Map<string, Map<string, unknown>>;

function snapshot(ifaces: ExportedInterface[]): Snapshot {
  return new Map(
    ifaces.map((i) => [i.spec.name, new Map([...i.spec.properties.keys()].map((p) => [p, i.getProperty(p)]))]),
  );
}

export class BusExporter implements Omit<AccountListener, 'secretChanged'> {
  constructor(
    private readonly server: ObjectServer,
    private readonly ctx: AccountContext,
  ) {}

  added(state: AccountState): void {
    this.server.setObject(accountPath(state.config.id), accountInterfaces(this.ctx, state));
  }

  removed(id: string): void {
    this.server.removeObject(accountPath(id));
  }

  changed(state: AccountState, before: AccountConfig): void {
    this.announce(state, { ...state, config: before });
  }

  statusChanged(state: AccountState, before: AccountStatus): void {
    // Not exported yet (a live session reporting as it starts): the object appears with it.
    const path = accountPath(state.config.id);
    if (!this.server.hasObject(path)) return;
    this.server.emitPropertiesChanged(path, ACCOUNT_IFACE, statusProperties(before, state.status));
    if (state.status.status !== before.status || state.status.message !== before.message) {
      this.server.emitSignal(path, ACCOUNT_IFACE, 'StatusChanged', [state.status.status, state.status.message]);
    }
  }

  /** The administrator's policy changed what the account breaks. */
  policyChanged(state: AccountState): void {
    this.server.emitPropertiesChanged(accountPath(state.config.id), ACCOUNT_IFACE, ['PolicyViolation']);
  }

  private announce(state: AccountState, previous: AccountState): void {
    const path = accountPath(state.config.id);
    const old = snapshot(accountInterfaces(this.ctx, previous));
    const ifaces = accountInterfaces(this.ctx, state);
    const now = snapshot(ifaces);
    if (state.config.protocols.join() !== previous.config.protocols.join()) this.server.setObject(path, ifaces);
    for (const [iface, values] of now) {
      const was = old.get(iface);
      if (!was) continue; // new interfaces were announced whole by InterfacesAdded
      const changed = [...values].filter(([k, v]) => !isDeepStrictEqual(v, was.get(k))).map(([k]) => k);
      this.server.emitPropertiesChanged(path, iface, changed);
    }
  }
}
