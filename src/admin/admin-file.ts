/** Reads one administrator's file: links followed (Guix's /etc is links into the store), regular files only, size-capped. */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { MAX_ADMIN_FILE } from './paths.js';

export type AdminRead = { kind: 'ok'; text: string } | { kind: 'missing' } | { kind: 'invalid'; reason: string };

export function readAdminFile(path: string): AdminRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'invalid', reason: `cannot read it (${code ?? (err as Error).message})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'invalid', reason: 'it is not a regular file' };
    if (st.size > MAX_ADMIN_FILE) return { kind: 'invalid', reason: `it is larger than ${MAX_ADMIN_FILE} bytes` };
    const text = readFileSync(fd, 'utf8');
    if (text.includes('\u0000')) return { kind: 'invalid', reason: 'it is binary, not INI text' };
    return { kind: 'ok', text };
  } catch (err) {
    return {
      kind: 'invalid',
      reason: `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    };
  } finally {
    closeSync(fd);
  }
}
