/**
 * Secrets without an account (left by a crash between the keyring write and the file write,
 * or a file deleted by hand) are found through the Secret Service API by their attributes,
 * without reading any secret value, and deleted.
 */
import type dbus from 'dbus-next';
import { callWithTimeout } from '../dbus-next-adapter.js';
import { SECRET_SERVICE_NAME } from './secret-service.js';

const SECRETS = 'org.freedesktop.secrets';
/** A keyring that has not answered in this long will not. */
const TIMEOUT_MS = 10_000;

export interface StoredSecret {
  id: string;
  name: string;
  item: string;
}

async function call(
  bus: dbus.MessageBus,
  path: string,
  iface: string,
  member: string,
  signature = '',
  body: unknown[] = [],
): Promise<unknown[]> {
  const reply = await callWithTimeout(
    bus,
    { destination: SECRETS, path, interface: iface, member, signature, body },
    TIMEOUT_MS,
  );
  return reply.body;
}

/** Every item of ours in unlocked collections: account id, secret name and item path. */
export async function listStoredSecrets(bus: dbus.MessageBus): Promise<StoredSecret[]> {
  const [unlocked] = await call(
    bus,
    '/org/freedesktop/secrets',
    'org.freedesktop.Secret.Service',
    'SearchItems',
    'a{ss}',
    [{ service: SECRET_SERVICE_NAME }],
  );
  const out: StoredSecret[] = [];
  for (const item of unlocked as string[]) {
    const [attrs] = await call(bus, item, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
      'org.freedesktop.Secret.Item',
      'Attributes',
    ]);
    const username = ((attrs as { value: Record<string, string> }).value ?? {}).username ?? '';
    const slash = username.indexOf('/');
    if (slash > 0) out.push({ id: username.slice(0, slash), name: username.slice(slash + 1), item });
  }
  return out;
}

/** Deletes one item; an item that needs a prompt to delete is left alone (false). */
export async function deleteItem(bus: dbus.MessageBus, item: string): Promise<boolean> {
  const [prompt] = await call(bus, item, 'org.freedesktop.Secret.Item', 'Delete');
  return prompt === '/';
}
