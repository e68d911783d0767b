/**
 * The window's export and import (docs/export.md): the page sends the passphrase to this
 * server (127.0.0.1, the session's cookie and key), which hands it to the client library,
 * which seals it to the service's key. The file goes both ways as base64 in JSON (the server
 * takes JSON only): an export comes back for the page to save as a download, an import is read
 * by the page from the file the person picked.
 */
import { HttpError, MAX_BODY_BYTES, text } from './http.js';
import type { ServiceLink } from './service-link.js';

const MAX_PASSPHRASE = 1024;

function passphrase(body: Record<string, unknown>): string {
  return text(body, 'passphrase', { required: true, max: MAX_PASSPHRASE })!;
}

/** POST /api/export {passphrase, secrets}: the file, base64, with a name to save it under. */
export async function exportFile(
  link: ServiceLink,
  body: Record<string, unknown>,
): Promise<{ file: string; accounts: number; name: string }> {
  const { file, accounts } = await link.get().exportAccounts(passphrase(body), { secrets: body.secrets === true });
  return {
    file: Buffer.from(file).toString('base64'),
    accounts,
    name: `accounts-${new Date().toISOString().slice(0, 10)}.age`,
  };
}

/** POST /api/import {file (base64), passphrase}: what was added and what was skipped. */
export async function importFile(link: ServiceLink, body: Record<string, unknown>) {
  const encoded = text(body, 'file', { required: true, max: MAX_BODY_BYTES })!;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new HttpError(400, 'file must be base64');
  return link.get().importAccounts(Buffer.from(encoded, 'base64'), passphrase(body));
}
