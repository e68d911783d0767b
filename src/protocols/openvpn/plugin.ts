/**
 * OpenVPN: an account is an imported client profile (AddAccount option `openvpn.profile`, the
 * .ovpn text, and `openvpn.profile_dir` to resolve files it names). Key material becomes
 * secrets (key, pkcs12, tls-auth, tls-crypt, tls-crypt-v2, secret; the key's passphrase is
 * `key-passphrase`, the auth-user-pass password `password`); servers, certificates and options
 * stay settings. `Profile` gives the profile back without any key material.
 */
import { invalidArgument } from '../../errors.js';
import type { ProtocolPlugin, SettingSpec, Settings } from '../plugin.js';
import { checkAll, mergeLayers, nonEmpty } from '../settings.js';
import {
  checkKeyBlock,
  checkManagementSecret,
  importProfile,
  KEY_BLOCKS,
  MANAGEMENT_SECRETS,
  parseOptionList,
  parseRemotes,
  settingToPem,
  wrapBase64,
} from './profile.js';

const settings: readonly SettingSpec[] = [
  {
    key: 'remotes',
    property: 'Remotes',
    kind: 'list',
    doc: "Servers in the profile's order, each 'host port proto' (proto udp or tcp).",
  },
  {
    key: 'auth',
    property: 'Auth',
    kind: 'enum',
    values: ['password', 'tls', 'password-tls'],
    doc: 'password: user name and password (auth-user-pass); tls: client certificate only; password-tls: both.',
  },
  {
    key: 'username',
    property: 'Username',
    kind: 'username',
    doc: "User name for auth-user-pass (the account's Username unless overridden).",
  },
  {
    key: 'options',
    property: 'Options',
    kind: 'list',
    separator: ';',
    doc: 'The other client directives of the profile, one per entry (allow-listed: no scripts, plugins, management or files; remote, auth-user-pass and the certificate and key blocks are not among them).',
  },
  {
    key: 'ca',
    property: 'Ca',
    kind: 'certs',
    doc: 'CA certificates the server must chain to, as base64 DER separated by spaces.',
  },
  {
    key: 'cert',
    property: 'Cert',
    kind: 'certs',
    doc: "The client certificate as base64 DER (its private key is the secret 'key'); empty without certificate authentication.",
  },
  {
    key: 'extra_certs',
    property: 'ExtraCerts',
    kind: 'certs',
    doc: 'Intermediate certificates sent with the client certificate, as base64 DER separated by spaces.',
  },
];

const block = (name: string, body: string) => `<${name}>\n${body.endsWith('\n') ? body : body + '\n'}</${name}>\n`;

/** The profile without key material; `secrets` adds the key blocks for a check. */
export function renderProfile(s: Settings, secrets: Readonly<Record<string, string>> = {}): string {
  let out = 'client\n';
  const options = parseOptionList(String(s.options ?? ''), 'options');
  for (const line of options) out += line + '\n';
  for (const r of parseRemotes(String(s.remotes), 'remotes')) out += `remote ${r.host} ${r.port} ${r.proto}\n`;
  if (String(s.auth).startsWith('password')) out += 'auth-user-pass\n';
  if (s.ca) out += block('ca', settingToPem(String(s.ca)));
  if (s.cert) out += block('cert', settingToPem(String(s.cert)));
  if (s.extra_certs) out += block('extra-certs', settingToPem(String(s.extra_certs)));
  // A pkcs12 may be one long line (a binary file imported, SetSecret): OpenVPN wants lines of 64.
  for (const name of KEY_BLOCKS)
    if (secrets[name]) out += block(name, name === 'pkcs12' ? wrapBase64(secrets[name]) : secrets[name]);
  return out;
}

const plugin: ProtocolPlugin = {
  id: 'openvpn',
  title: 'OpenVPN',
  iface: 'org.pantherx.Accounts.OpenVpn',
  settings,
  doc: "An OpenVPN client profile, present on the account object while OpenVPN is enabled. Created by importing a .ovpn profile: AddAccount('openvpn', user, secrets, {'openvpn.profile': <the profile text>, 'openvpn.profile_dir': <its directory, to resolve files it names>}). Directives that run programs, load plugins, open a management port or touch files are refused by name. Key material is never a property: GetSecret key, pkcs12, tls-auth, tls-crypt, tls-crypt-v2, secret (whichever the profile had), key-passphrase, and the auth-user-pass password as 'openvpn' or 'password'. Change settings with Account.Update.",
  secrets: [...KEY_BLOCKS, 'key-passphrase'],
  // A certificate-only profile has no password.
  needsLoginSecret: false,
  checkSecret(name, value) {
    if ((KEY_BLOCKS as readonly string[]).includes(name)) return checkKeyBlock(name, value);
    if ((MANAGEMENT_SECRETS as readonly string[]).includes(name)) return checkManagementSecret(name, value);
    return value;
  },
  resolve(layers, label) {
    const out = checkAll(settings, mergeLayers(settings, layers), label);
    if (!out.remotes) throw invalidArgument(`${label('remotes')} is required: import a profile with openvpn.profile`);
    out.remotes = parseRemotes(String(out.remotes), label('remotes'))
      .map((r) => `${r.host} ${r.port} ${r.proto}`)
      .join(', ');
    out.options = parseOptionList(String(out.options), label('options')).join('; ');
    out.auth ||= out.cert ? 'tls' : 'password';
    return out;
  },
  stored: nonEmpty,
  computed: [
    {
      property: 'Profile',
      doc: 'The profile as .ovpn text without any key material: hand it to a VPN client together with the secrets (as inline blocks, or when the client asks for them).',
      get: (s) => renderProfile(s),
    },
  ],
  imports: { profile: (text, companions, files) => importProfile(text, files ? companions.profile_dir : null) },
  endpoint: (s) => String(s.remotes).split(/\s+/)[0] ?? '',
  verifier: { thread: true },
  loadVerifier: () => import('./verifier.js').then((m) => m.verifyOpenVpn),
};
export default plugin;
