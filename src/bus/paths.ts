export { ACCOUNT_IFACE, ACCOUNT_PATH_PREFIX, BUS_NAME, MANAGER_IFACE, ROOT_PATH } from '../contract/names.js';
import { ACCOUNT_PATH_PREFIX } from '../contract/names.js';

export const accountPath = (id: string) => ACCOUNT_PATH_PREFIX + id;
