/**
 * px-accounts client library: the typed way for apps to use org.pantherx.Accounts.
 *
 *   import { AccountsClient } from 'px-accounts';
 *   const client = await AccountsClient.connect();
 *   for (const a of await client.listAccounts()) console.log(a.id, a.status);
 */
export {
  AccountsClient,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_VERIFY_TIMEOUT_MS,
  type AccountsClientEvents,
  type ConnectOptions,
} from './client.js';
export {
  AccountsClientError,
  certificatesOfError,
  isAccountsClientError,
  kindOfDbusError,
  SERVICE_ERROR_KINDS,
  SERVICE_ERROR_PREFIX,
  type ErrorKind,
  type ServiceErrorKind,
} from './errors.js';
export { ACCOUNT_IFACE, ACCOUNT_PATH_PREFIX, BUS_NAME, MANAGER_IFACE, ROOT_PATH, accountPathOf } from './convert.js';
export { sessionBusAddress } from './connection.js';
/** Accepted certificates: `host:port` and `sha256:<hex>` (docs/discovery.md, "Self-hosted servers"). */
export { MAX_PINS, normalizeFingerprint, parseServerKey } from '../contract/certificates.js';
export type { ImportResult, ImportSkipped } from './transfer.js';
/** Setting names: key (`gap_limit`, ListProtocols) ↔ property (`GapLimit`) ↔ field (`gapLimit`). */
export {
  SETTING_KEY,
  isSettingKey,
  settingField,
  settingFieldOfProperty,
  settingKeyOfField,
  settingKeyOfProperty,
  settingProperty,
} from '../contract/setting-names.js';
export * from './types.js';
export { accountJson, type AccountJson } from './json.js';
