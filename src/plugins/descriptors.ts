/**
 * Third-party protocols without code in the service (docs/plugins.md): one INI descriptor
 * per protocol in $XDG_DATA_HOME/px-accounts/plugins, then each $XDG_DATA_DIRS/px-accounts/plugins,
 * plus a helper executable in any language. Descriptors are checked before they are trusted, as
 * NetworkManager checks its VPN .name files: regular `<id>.ini` files, no dotfiles, owned by the
 * user or root and not writable by group or others (the helper too), in directories only they
 * can change (trust.ts); directories searched in a fixed order and files in sorted order so
 * the same one always wins; a taken id or interface, or a built-in's, is refused. A broken
 * descriptor is skipped with a log line naming why.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { log } from '../log.js';
import { propertyName, type ProtocolPlugin, type SettingSpec } from '../protocols/plugin.js';
import { PROTOCOL_ID, registerProtocol } from '../protocols/registry.js';
import { checkAll, mergeLayers, nonEmpty } from '../protocols/settings.js';
import { helperVerifier } from './helper.js';
import { checkDirChain, checkFile, type FileIdentity } from './trust.js';
import { iniList, iniText, isSection, parseIni } from '../util/ini.js';

const DEFAULT_TIMEOUT_S = 60;
const MAX_TIMEOUT_S = 600;
const MAX_DESCRIPTOR = 64 * 1024;
/** Keys every account already has elsewhere; a plugin's settings may not shadow option names. */
const RESERVED_KEYS = new Set(['name', 'protocols', 'verify', 'provider', 'credentials']);

/** Plugin directories in the order they are searched (the user's first). */
export function pluginDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter((d) => isAbsolute(d));
  return [...new Set([home, ...dataDirs].map((d) => join(d, 'px-accounts', 'plugins')))];
}

/** The helper's real path (relative to the descriptor's directory and inside it, or absolute), checked. */
function helperPath(dir: string, value: string): { path: string; identity: FileIdentity } {
  if (!value) throw new Error('[plugin] helper is missing');
  const candidate = isAbsolute(value) ? value : resolve(dir, value);
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    throw new Error(`helper ${candidate} does not exist`);
  }
  if (!isAbsolute(value)) {
    const base = realpathSync(dir);
    if (!real.startsWith(base + sep)) throw new Error(`helper '${value}' points outside ${dir}`);
  }
  const identity = checkFile(real, `helper ${real}`);
  if (!(identity.mode & 0o111)) throw new Error(`helper ${real} is not executable`);
  return { path: real, identity };
}

/** Parses and checks one descriptor; throws with a reason a person can act on. */
export function parseDescriptor(file: string, text: string): ProtocolPlugin {
  const id = file.slice(file.lastIndexOf('/') + 1, -'.ini'.length);
  if (!PROTOCOL_ID.test(id)) throw new Error(`'${id}' is not a valid protocol id (a-z then a-z, 0-9)`);
  if (text.includes('\u0000')) throw new Error('the file is binary, not INI text');
  const head = parseIni(text).plugin;
  if (!isSection(head)) throw new Error('there is no [plugin] section');
  const value = (key: string) => iniText(head[key], `[plugin] ${key}`).trim();
  const list = (key: string) => iniList(head[key], `[plugin] ${key}`);
  const title = value('name');
  if (!title || title.length > 64) throw new Error('[plugin] name is missing or longer than 64 characters');
  const iface = value('interface');
  if (!iface) throw new Error('[plugin] interface is missing');
  if (iface.startsWith('org.pantherx.Accounts.') || iface.startsWith('org.freedesktop.')) {
    throw new Error(`[plugin] interface ${iface} is in a namespace reserved for the service`);
  }
  const settings: SettingSpec[] = list('settings').map((key) => {
    if (RESERVED_KEYS.has(key)) throw new Error(`[plugin] settings: '${key}' is reserved`);
    return {
      key,
      property: propertyName(key),
      kind: key === 'username' ? 'username' : 'text',
      doc: `${title} setting ${key}.`,
    };
  });
  const secrets = list('secrets');
  for (const s of secrets)
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(s)) throw new Error(`[plugin] secrets: '${s}' is not a valid secret name`);
  const timeout = head.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(value('timeout'));
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_TIMEOUT_S)
    throw new Error(`[plugin] timeout must be 1 to ${MAX_TIMEOUT_S} seconds`);
  const { path, identity } = helperPath(dirname(file), value('helper'));
  // The login secret is `password` (or one named after the protocol); others are passed as named secrets.
  const named = secrets.filter((s) => s !== 'password' && s !== id);
  return {
    id,
    title,
    iface,
    doc: `${title} settings of an account, present while ${id} is enabled (a third-party protocol).`,
    settings,
    secrets: named,
    needsLoginSecret: secrets.length !== named.length,
    resolve: (layers, label) => checkAll(settings, mergeLayers(settings, layers), label),
    stored: nonEmpty,
    verifier: {
      thread: false,
      verify: helperVerifier({ protocol: id, title, path, identity, timeoutMs: timeout * 1000 }),
    },
  };
}

/** Loads and registers every trusted descriptor; returns the ids registered. */
export function loadPlugins(dirs: string[] = pluginDirs()): string[] {
  const loaded: string[] = [];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir)
        .filter((f) => f.endsWith('.ini') && !f.startsWith('.'))
        .sort();
    } catch {
      continue; // an absent directory is normal
    }
    try {
      checkDirChain(dir);
    } catch (err) {
      log.warning(`protocol plugin directory ${dir} skipped: ${(err as Error).message}`);
      continue;
    }
    for (const name of files) {
      const file = join(dir, name);
      try {
        const real = realpathSync(file);
        checkFile(real, 'the descriptor');
        if (statSync(real).size > MAX_DESCRIPTOR) throw new Error(`larger than ${MAX_DESCRIPTOR} bytes`);
        const plugin = parseDescriptor(file, readFileSync(real, 'utf8'));
        registerProtocol(plugin);
        loaded.push(plugin.id);
        log.info(`protocol plugin ${plugin.id} (${plugin.title}, ${plugin.iface}) loaded from ${file}`);
      } catch (err) {
        log.warning(`protocol plugin ${file} skipped: ${(err as Error).message}`);
      }
    }
  }
  return loaded;
}
