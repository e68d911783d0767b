/**
 * Files that an imported profile names (OpenVPN's `ca ca.crt`, `tls-auth ta.key 1`), picked in
 * the window together with the profile. A page cannot give the service a folder, so the files go
 * into a private temporary folder for the duration of the check and the add, named to the import
 * as its `<import>_dir` companion option (`openvpn.profile_dir`), and are removed afterwards. The
 * service keeps the one profile parser; the window never interprets a profile. A name the profile
 * gives with a folder (`keys/ca.crt`) gets that layout too, so a provider's profile works as
 * downloaded.
 */
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { ProtocolInfo, SettingsInput } from '../client/index.js';
import { HttpError } from './http.js';
import { tempPrefix } from './temp-dirs.js';

/** Picked files per import option (`openvpn.profile`), by file name. */
export type PickedFiles = Map<string, Map<string, Buffer>>;

const MAX_FILES = 20;
/** Places with a folder a profile may name (`keys/ca.crt`): more is not a profile but an attempt to fill the disk. */
const MAX_PLACES = 64;
/** A plain file name: no folder, no `.`/`..`, nothing a file system would read otherwise. */
// eslint-disable-next-line no-control-regex -- a file name must hold no control character
const FILE_NAME = /^(?!\.{1,2}$)[^/\\\u0000-\u001f]{1,255}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The page's `files: { 'openvpn.profile': { 'ca.crt': base64 } }`, checked against the protocols' imports. */
export function pickedFiles(raw: unknown, protocols: ProtocolInfo[]): PickedFiles {
  const out: PickedFiles = new Map();
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new HttpError(400, 'files must be an object');
  for (const [option, files] of Object.entries(raw as Record<string, unknown>)) {
    const [protocol, name, ...rest] = option.split('.');
    if (rest.length || !protocols.find((p) => p.id === protocol)?.imports.includes(name ?? ''))
      throw new HttpError(400, `files: '${option.slice(0, 60)}' is not an import`);
    if (typeof files !== 'object' || files === null || Array.isArray(files))
      throw new HttpError(400, `files.${option} must be an object`);
    const entries = Object.entries(files as Record<string, unknown>);
    if (entries.length > MAX_FILES) throw new HttpError(400, `at most ${MAX_FILES} files go with a profile`);
    const byName = new Map<string, Buffer>();
    for (const [file, content] of entries) {
      if (!FILE_NAME.test(file)) throw new HttpError(400, `'${file.slice(0, 60)}' is not a file name`);
      if (typeof content !== 'string' || !BASE64.test(content))
        throw new HttpError(400, `files.${option}: ${file} must be base64`);
      byName.set(file, Buffer.from(content, 'base64'));
    }
    if (byName.size) out.set(option, byName);
  }
  return out;
}

/** Relative paths with a folder in `text` whose last part is one of `names` (`keys/ca.crt`). */
function pathsNamed(text: string, names: Set<string>): string[] {
  const found = new Set<string>();
  for (const word of text.split(/[\s"']+/)) {
    if (!word.includes('/') || word.startsWith('/') || word.includes('\\')) continue;
    const parts = word.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) continue;
    if (names.has(parts.at(-1)!)) found.add(posix.normalize(word));
    if (found.size > MAX_PLACES) throw new HttpError(400, `the profile names more than ${MAX_PLACES} files in folders`);
  }
  return [...found];
}

/**
 * Runs `fn` with a temporary folder for each import in `settings` (a profile that names no file
 * gets an empty one, so a missing file is reported as missing from the picked ones), holding
 * the picked files, and each import's `_dir` companion set in `settings`; the folders are removed
 * however `fn` ends. Messages that name a temporary folder name the picked files instead.
 */
export async function withPickedFiles<T>(
  picked: PickedFiles,
  settings: Partial<Record<string, SettingsInput>>,
  protocols: ProtocolInfo[],
  fn: () => Promise<T>,
): Promise<T> {
  for (const option of picked.keys()) {
    const [protocol, name] = option.split('.', 2) as [string, string];
    if (typeof settings[protocol]?.[name] !== 'string')
      throw new HttpError(400, `files go with ${option}, which is missing`);
  }
  const dirs: string[] = [];
  try {
    for (const info of protocols) {
      for (const name of info.imports) {
        const profile = settings[info.id]?.[name];
        if (typeof profile !== 'string') continue;
        const files = picked.get(`${info.id}.${name}`) ?? new Map<string, Buffer>();
        // mkdtemp makes the folder 0700: the keys in it are the user's alone, and only for a moment.
        const places = pathsNamed(profile, new Set(files.keys()));
        const dir = await mkdtemp(tempPrefix());
        dirs.push(dir);
        for (const [file, content] of files) await writeFile(join(dir, file), content, { mode: 0o600, flag: 'wx' });
        // The same file under a folder is a hard link: no second copy of anything.
        for (const place of places) {
          await mkdir(dirname(join(dir, place)), { recursive: true, mode: 0o700 });
          await link(join(dir, posix.basename(place)), join(dir, place));
        }
        settings[info.id] = { ...settings[info.id], [`${name}_dir`]: dir };
      }
    }
    return await fn();
  } catch (err) {
    throw renamed(err, dirs);
  } finally {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** "cannot read /run/user/1000/px-accounts-ui-x/ca.crt (ENOENT)" → what the user can act on. */
function renamed(err: unknown, dirs: string[]): unknown {
  if (!(err instanceof Error) || !dirs.some((d) => err.message.includes(d))) return err;
  for (const dir of dirs) {
    err.message = err.message
      .replace(
        new RegExp(`cannot read ${escape(dir)}/(\\S+) \\(ENOENT\\)`, 'g'),
        '$1 is not among the files picked with the profile',
      )
      .replaceAll(`${dir}/`, '');
  }
  return err;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
