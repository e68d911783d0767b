/** Names of the GNOME Online Accounts view (docs/goa.md): libgoa's bus name, paths and interfaces. */
export const GOA_BUS_NAME = 'org.gnome.OnlineAccounts';
export const GOA_ROOT = '/org/gnome/OnlineAccounts';
export const GOA_ACCOUNT_PREFIX = `${GOA_ROOT}/Accounts/`;
export const GOA_IFACE = 'org.gnome.OnlineAccounts.';
export const GOA_ACCOUNT = `${GOA_IFACE}Account`;
export const GOA_MAIL = `${GOA_IFACE}Mail`;
export const GOA_CALENDAR = `${GOA_IFACE}Calendar`;
export const GOA_CONTACTS = `${GOA_IFACE}Contacts`;
export const GOA_FILES = `${GOA_IFACE}Files`;
export const GOA_PASSWORD = `${GOA_IFACE}PasswordBased`;
export const GOA_OAUTH2 = `${GOA_IFACE}OAuth2Based`;
/** libgoa's error domain: org.gnome.OnlineAccounts.Error.<Kind>. */
export const GOA_ERROR_PREFIX = `${GOA_IFACE}Error.`;
/** The protocol whose accounts get Files (a protocol of that id is enough; none is required). */
export const WEBDAV_PROTOCOL = 'webdav';

export const goaPath = (id: string) => GOA_ACCOUNT_PREFIX + id;
