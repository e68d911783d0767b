/** org.pantherx.Accounts.Identity: a mail account's sender identity (docs/identity.md). */
import type { AccountState } from '../accounts/accounts.js';
import { effectiveIdentity } from '../model/identity.js';
import type { InterfaceSpec } from './contract.js';
import type { ExportedInterface } from './object-server.js';

export class IdentityInterface implements ExportedInterface {
  constructor(
    readonly spec: InterfaceSpec,
    private readonly state: AccountState,
  ) {}

  getProperty(name: string): unknown {
    const identity = effectiveIdentity(this.state.config.identity, this.state.config.username);
    switch (name) {
      case 'FullName':
        return identity.name;
      case 'EmailAddress':
        return identity.address;
      case 'Aliases':
        return identity.aliases;
    }
    throw new Error(`no getter for Identity.${name}`);
  }

  callMethod(name: string): unknown {
    throw new Error(`no handler for Identity.${name}`);
  }
}
