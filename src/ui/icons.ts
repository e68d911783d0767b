/**
 * Provider icons for the page: GET /icons/provider/<provider id> serves the provider's icon when
 * the service names a file (ListProviders' icon: an absolute path to an .svg or .png, checked by
 * the service when it read the provider file), read once and kept. An icon name of the theme is
 * not resolved here (a browser has no icon theme): the page shows its own generic icon instead.
 * Served like every answer (the CSP, nosniff): an SVG in an <img> runs no script.
 */
import { readFile, stat } from 'node:fs/promises';
import type { AccountsClient } from '../client/index.js';

const PROVIDER_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_ICON_BYTES = 512 * 1024;
const TYPES: Record<string, string> = { svg: 'image/svg+xml', png: 'image/png' };

export interface Icon {
  body: Buffer;
  type: string;
}

export class ProviderIcons {
  private readonly cache = new Map<string, Promise<Icon | undefined>>();

  constructor(private readonly client: () => AccountsClient) {}

  /** The icon file of provider `id`, or undefined (no such provider, an icon name, an unreadable file). */
  get(id: string): Promise<Icon | undefined> {
    if (!PROVIDER_ID.test(id)) return Promise.resolve(undefined);
    let icon = this.cache.get(id);
    if (!icon) {
      icon = this.load(id).catch(() => undefined);
      this.cache.set(id, icon);
      // A failure (the service away) is not kept.
      void icon.then((i) => i || this.cache.delete(id));
    }
    return icon;
  }

  private async load(id: string): Promise<Icon | undefined> {
    const provider = (await this.client().listProviders()).find((p) => p.id === id);
    const path = provider?.icon ?? '';
    const ext = /\.(svg|png)$/i.exec(path)?.[1]?.toLowerCase();
    if (!path.startsWith('/') || !ext) return undefined;
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_ICON_BYTES) return undefined;
    return { body: await readFile(path), type: TYPES[ext]! };
  }
}
