/**
 * Superseded by harness/fixture.ts (useFixture). Kept only while suites written during this
 * session against `useService` land; delete once nothing imports it.
 */
import type { KeyringMode } from '../harness/session.js';
import { useFixture, type Fixture } from '../harness/fixture.js';

export { testSecret, uniqueUser } from '../harness/fixture.js';

/** @deprecated use `useFixture({ keyring, service: { args } })` */
export const useService = (keyring: KeyringMode = 'unlocked', args: string[] = []): Fixture =>
  useFixture({ keyring, service: { args } });
