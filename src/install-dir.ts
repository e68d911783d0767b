/**
 * Where the package's data files (interfaces/, providers/, package.json) are. The code runs
 * both as tsc output (dist/src/**) and as the start-up bundle (dist/bin/*), at different
 * depths, so the directory is found by walking up to the package.json that ships them.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findInstallDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'interfaces'))) return dir;
    if (dirname(dir) === dir) throw new Error(`px-accounts: no package.json with interfaces/ above ${from}`);
  }
}

export const INSTALL_DIR = findInstallDir(dirname(fileURLToPath(import.meta.url)));
