/** Reads one administrator's file: links followed (Guix's /etc is links into the store), regular files only, size-capped. */
import { NotRegularFile, readRegularFile } from '../util/regular-file.js';
import { MAX_ADMIN_FILE } from './paths.js';

export type AdminRead = { kind: 'ok'; text: string } | { kind: 'missing' } | { kind: 'invalid'; reason: string };

export function readAdminFile(path: string): AdminRead {
  let text: string;
  try {
    text = readRegularFile(path, { maxSize: MAX_ADMIN_FILE, followLinks: true });
  } catch (err) {
    if (err instanceof NotRegularFile) return { kind: 'invalid', reason: err.message };
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'invalid', reason: `cannot read it (${code ?? (err as Error).message})` };
  }
  if (text.includes('\u0000')) return { kind: 'invalid', reason: 'it is binary, not INI text' };
  return { kind: 'ok', text };
}
