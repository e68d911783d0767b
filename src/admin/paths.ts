/**
 * Where administrators shape the service (docs/policy.md). Fixed paths, as GOA's and
 * NetworkManager's are: a person cannot point the service elsewhere, and tests give
 * /etc/px-accounts content of their own in a mount namespace.
 */
export const ADMIN_DIR = '/etc/px-accounts';
export const POLICY_FILE = `${ADMIN_DIR}/policy.ini`;
export const PROVISIONED_DIR = `${ADMIN_DIR}/accounts`;
/** Larger admin files are refused (a stray dump must not eat memory). */
export const MAX_ADMIN_FILE = 256 * 1024;
