/**
 * The provider catalogue is data: one INI file per provider, shipped in the package's
 * providers/ directory and extendable (or overridable, by id) from
 * $XDG_DATA_HOME/px-accounts/providers without touching the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ProtocolPlugin, RawSettings } from '../protocols/plugin.js';
import { allProtocols, findProtocol, protocolsVersion } from '../protocols/registry.js';
import { checkSetting } from '../protocols/settings.js';
import { INSTALL_DIR } from '../install-dir.js';
import { log } from '../log.js';
import { iniList, iniText, isSection, parseIni } from '../util/ini.js';
import { manualIcon, providerIcon } from './icons.js';
import { AUTH_MODES, parseOAuth2Section, type AuthMode, type OAuth2Provider } from '../oauth2/config.js';

export interface Provider {
  readonly id: string;
  readonly name: string;
  /** Appended to a bare login: johndoe on google becomes johndoe@gmail.com. '' for none. */
  readonly domain: string;
  /** Enabled when an account does not choose. */
  readonly protocols: readonly string[];
  /** Every protocol with known servers. */
  readonly supported: readonly string[];
  /** Server settings per protocol; `{username}` in a URL stands for the account's user name. */
  readonly servers: Readonly<Record<string, RawSettings>>;
  /** True for the bare protocols used for manual set-up. */
  readonly manual: boolean;
  /** What a person should know before adding (a service that ended); '' for none. */
  readonly notice: string;
  /** How accounts sign in: password (secrets), oauth2 (Manager.SignIn) or both. */
  readonly auth: AuthMode;
  /** The `[oauth2]` section, for oauth2 and both. */
  readonly oauth2: OAuth2Provider | undefined;
  /** An icon name of the freedesktop theme or an absolute path to an .svg/.png; '' for none (src/providers/icons.ts). */
  readonly icon: string;
}

export const BUILTIN_PROVIDER_DIR = join(INSTALL_DIR, 'providers');

export function userProviderDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'px-accounts', 'providers');
}

const PROVIDER_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Parses one provider file; throws with a reason a person can act on. */
export function parseProvider(id: string, text: string, dir?: string): Provider {
  if (!PROVIDER_ID.test(id)) throw new Error(`'${id}' is not a valid provider id (a-z, 0-9, '_', '-')`);
  if (findProtocol(id)) throw new Error(`'${id}' is reserved for manual ${id} accounts`);
  if (id === 'oauth2') throw new Error("'oauth2' is reserved (the [oauth2] section of provider files)");
  const doc = parseIni(text);
  const head = doc.provider;
  if (!isSection(head)) throw new Error('no [provider] section');
  const value = (key: string) => iniText(head[key], `[provider] ${key}`).trim();
  const name = value('name');
  if (!name) throw new Error('[provider] name is missing');
  const servers: Record<string, RawSettings> = {};
  for (const p of allProtocols()) {
    const section = doc[p.id];
    if (isSection(section)) {
      const raw: RawSettings = { ...section };
      // Check each default now, so a broken catalogue entry is reported at load, not at add. A
      // default may leave a value to the account (a VPN server the user chooses).
      for (const [key, value] of Object.entries(substitute(raw, 'user@example.org'))) {
        const spec = p.settings.find((x) => x.key === key);
        if (!spec)
          throw new Error(
            `[${p.id}] ${key} is not a setting of ${p.title} (${p.settings.map((x) => x.key).join(', ')})`,
          );
        checkSetting(spec, value, `[${p.id}] ${key}`);
      }
      servers[p.id] = raw;
    }
  }
  const supported = Object.keys(servers);
  const protocols =
    head.protocols === undefined
      ? supported
      : iniList(head.protocols, '[provider] protocols').map((s) => s.toLowerCase());
  for (const p of protocols) {
    if (!findProtocol(p)) throw new Error(`[provider] protocols: unknown protocol '${p}'`);
    if (!servers[p]) throw new Error(`[provider] protocols lists ${p} but there is no [${p}] section`);
  }
  const notice = value('notice');
  // A provider that no longer offers anything we support stays listed, saying so.
  if (protocols.length === 0 && !notice)
    throw new Error('the provider supports no protocol (and has no notice saying why)');
  const domain = value('domain').toLowerCase();
  const given = head.auth === undefined ? 'password' : value('auth');
  const auth = AUTH_MODES.find((m) => m === given);
  if (!auth) throw new Error(`[provider] auth must be ${AUTH_MODES.join(', ')}, got '${given}'`);
  const section = doc.oauth2;
  const usesOAuth2 = auth === 'oauth2' || auth === 'both';
  if (usesOAuth2 && !isSection(section)) throw new Error(`[provider] auth = ${auth} needs an [oauth2] section`);
  const oauth2 = usesOAuth2 && isSection(section) ? parseOAuth2Section(section) : undefined;
  if (oauth2) {
    for (const p of supported) {
      if (!findProtocol(p)?.tokens && auth === 'oauth2') throw new Error(`[${p}] ${p} cannot sign in with OAuth2`);
    }
  }
  const icon = providerIcon(head.icon, id, dir);
  return { id, name, domain, protocols, supported, servers, manual: false, notice, auth, oauth2, icon };
}

/** `{username}` in a provider URL is replaced by the account's (URL-encoded) user name. */
export function substitute(raw: RawSettings, username: string): RawSettings {
  if (typeof raw.url !== 'string' || !raw.url.includes('{username}')) return raw;
  return { ...raw, url: raw.url.replaceAll('{username}', encodeURIComponent(username)) };
}

const manualProvider = (id: string, title: string): Provider => ({
  id,
  name: title,
  domain: '',
  protocols: [id],
  supported: allProtocols().map((p) => p.id),
  servers: {},
  manual: true,
  notice: '',
  auth: 'password',
  oauth2: undefined,
  icon: manualIcon(id),
});

export class Catalogue {
  private readonly providers = new Map<string, Provider>();
  /**
   * The manual pseudo-providers made so far, for the protocols as they were: asked several times
   * per account (reading its file, its duplicate key, its properties), each would otherwise be
   * built again with the sorted list of every protocol.
   */
  private readonly manual = new Map<string, { version: number; plugin: ProtocolPlugin; provider: Provider }>();

  /** Loads the given directories in order; a later file with the same id overrides. */
  static load(dirs: string[]): Catalogue {
    const catalogue = new Catalogue();
    for (const dir of dirs) {
      let files: string[];
      try {
        files = readdirSync(dir)
          .filter((f) => f.endsWith('.ini'))
          .sort();
      } catch {
        continue; // an absent user directory is normal
      }
      for (const file of files) {
        const id = file.slice(0, -4);
        try {
          catalogue.providers.set(id, parseProvider(id, readFileSync(join(dir, file), 'utf8'), dir));
        } catch (err) {
          log.warning(`provider file ${join(dir, file)} skipped: ${(err as Error).message}`);
        }
      }
    }
    return catalogue;
  }

  /** A catalogue provider, or the manual pseudo-provider of a bare protocol. */
  get(id: string): Provider | undefined {
    const own = this.providers.get(id);
    if (own) return own;
    const protocol = findProtocol(id);
    if (!protocol) return undefined;
    const version = protocolsVersion();
    const made = this.manual.get(id);
    if (made?.version === version && made.plugin === protocol) return made.provider;
    const provider = manualProvider(id, protocol.title);
    this.manual.set(id, { version, plugin: protocol, provider });
    return provider;
  }

  list(): Provider[] {
    return [...this.providers.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}
