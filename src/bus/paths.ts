export const BUS_NAME = 'org.pantherx.Accounts';
export const ROOT_PATH = '/org/pantherx/Accounts';
export const ACCOUNT_PATH_PREFIX = `${ROOT_PATH}/account/`;
export const MANAGER_IFACE = 'org.pantherx.Accounts.Manager';
export const ACCOUNT_IFACE = 'org.pantherx.Accounts.Account';

export const accountPath = (id: string) => ACCOUNT_PATH_PREFIX + id;
