/** The px-accounts subcommands, as yargs command modules over the client library. */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import {
  AccountsClientError,
  SECURITIES,
  SETTING_KEY,
  STATUSES,
  settingKeyOfField,
  type Account,
  type AccountChanges,
  type AccountsClient,
  type AccountStatus,
  type AddAccountInput,
  type HostAppsMode,
  type Protocol,
  type SettingsInput,
} from '../client/index.js';
import { _, interpolate, ngettext } from '../i18n/index.js';
import { formatNumber } from '../i18n/intl.js';
import { CommandFailed, UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import {
  accessTable,
  accountJson,
  accountText,
  accountsTable,
  discoveredText,
  jsonLine,
  protocolsTable,
  providerJson,
  providersTable,
  humanTime,
  statusJson,
  statusText,
  timeText,
  transactionsTable,
  verifyJson,
  verifyTable,
} from './format.js';
import { confirm, readSecret } from './input.js';
import { exact, note, out } from './output.js';
import { acceptCertificates, acceptedFingerprints, presentedIn, withAcceptedCertificates } from './certificates.js';
import { signInInteractively } from './sign-in.js';
import { transferCommands } from './transfer.js';

type Args = Record<string, unknown> & { json?: boolean; timeout?: string };

export interface Context {
  client: AccountsClient | undefined;
  connect(argv: Args): Promise<AccountsClient>;
  /** The subcommand being run, for messages. */
  command: string;
  exitCode?: number;
}

/** An option's or argument's value as text (yargs gives strings, numbers or booleans). */
const scalar = (x: unknown): string =>
  typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : '';

/** A repeated single-value option keeps its last value (GNU style). */
const last = (v: unknown): string | undefined => {
  const x: unknown = Array.isArray(v) ? (v as unknown[])[v.length - 1] : v;
  return x === undefined ? undefined : scalar(x);
};

/** Protocol lists: `--protocol imap smtp`, `--protocol imap --protocol smtp` or `--protocol imap,smtp`. */
const protocolList = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v])
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean);

function parsePort(value: string): number {
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 65535))
    throw new UsageError(_("--port must be a number from 1 to 65535, got '{value}'", { value: value.slice(0, 40) }));
  return n;
}

/** The server options add and edit share; they apply to every protocol they target. */
function serverOptions(y: Argv): Argv {
  return (
    y
      .option('server', {
        type: 'string',
        requiresArg: true,
        coerce: last,
        describe: _('server host name or address'),
        alias: 'host',
      })
      .option('port', { type: 'string', requiresArg: true, coerce: last, describe: _('server port (1-65535)') })
      .option('path', {
        type: 'string',
        requiresArg: true,
        coerce: last,
        describe: _('IMAP folder, SFTP directory or DAV path'),
      })
      .option('security', {
        type: 'string',
        requiresArg: true,
        coerce: last,
        choices: SECURITIES,
        describe: _('transport security'),
      })
      .option('username', {
        type: 'string',
        requiresArg: true,
        coerce: last,
        describe: _('login, when it differs from the account identifier'),
      })
      .option('url', {
        type: 'string',
        requiresArg: true,
        coerce: last,
        describe: _("CalDAV/CardDAV service URL; a wallet's backend (eth: JSON-RPC)"),
      })
      .option('network', {
        type: 'string',
        requiresArg: true,
        coerce: last,
        describe: _("a wallet's network (eth: mainnet, sepolia, holesky, local)"),
      })
      // One value per --set (nargs 1), repeated for more: a greedy list would swallow add's PASSWORD argument.
      .option('set', {
        type: 'array',
        string: true,
        nargs: 1,
        requiresArg: true,
        describe: _(
          "any setting as PROTOCOL.KEY=VALUE, KEY as 'px-accounts protocols' lists it (imap.port=993, btc.gap_limit=30); repeat for more; wins over --server, --port, ...",
        ),
      })
  );
}

/** The server settings given on the command line, or undefined when none. */
function serverSettings(argv: Args): SettingsInput | undefined {
  const s: SettingsInput = {};
  if (argv.server !== undefined) s.host = argv.server as string;
  if (argv.port !== undefined) s.port = parsePort(argv.port as string);
  if (argv.path !== undefined) s.path = argv.path as string;
  if (argv.security !== undefined) s.security = argv.security as SettingsInput['security'];
  if (argv.username !== undefined) s.username = argv.username as string;
  if (argv.url !== undefined) s.url = argv.url as string;
  if (argv.network !== undefined) (s as Record<string, string>).network = argv.network as string;
  return Object.keys(s).length ? s : undefined;
}

/**
 * `--set imap.port=1993 --set btc.gap_limit=30` pairs, by setting key (the client takes keys as
 * they are). The service says whether the protocol has the setting and the value is good.
 */
function setPairs(values: unknown): Partial<Record<Protocol, SettingsInput>> {
  const out: Partial<Record<Protocol, SettingsInput>> = {};
  for (const raw of (Array.isArray(values) ? values : values === undefined ? [] : [values]).map(String)) {
    const m = /^([a-z][a-z0-9]*)\.([^=]*)=(.*)$/s.exec(raw);
    if (!m)
      throw new UsageError(
        _("--set takes PROTOCOL.KEY=VALUE (for example imap.port=993 or btc.gap_limit=30), got '{value}'", {
          value: raw.slice(0, 60),
        }),
      );
    const [, protocol, key, value] = m as unknown as [string, string, string, string];
    if (!SETTING_KEY.test(key)) {
      // A client field (gapLimit) is the one likely mistake: name its key.
      const given = `${protocol}.${key.slice(0, 40)}`;
      throw new UsageError(
        /^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$/.test(key)
          ? _(
              "--set {given}: not a setting key (did you mean {meant}?); keys are as 'px-accounts protocols' lists them",
              { given, meant: `${protocol}.${settingKeyOfField(key)}` },
            )
          : _("--set {given}: not a setting key; keys are as 'px-accounts protocols' lists them", { given }),
      );
    }
    const settings = (out[protocol] ??= {}) as Record<string, string | number>;
    settings[key] = key === 'port' ? parsePort(value) : value;
  }
  return out;
}

/**
 * --full-name, --email and --alias: the sender identity (docs/identity.md), passed as the
 * identity.* options (as --set identity.name=... would); --set wins.
 */
function identityOptions(argv: Args, into: Partial<Record<Protocol, SettingsInput>>): void {
  const given: Record<string, string> = {};
  if (argv.fullName !== undefined) given.name = last(argv.fullName)!;
  if (argv.email !== undefined) given.address = last(argv.email)!;
  if (argv.alias !== undefined) given.aliases = (argv.alias as unknown[]).map(String).filter(Boolean).join(', ');
  if (!Object.keys(given).length) return;
  const target = (into.identity ??= {}) as Record<string, string | number>;
  for (const [k, v] of Object.entries(given)) if (!(k in target)) target[k] = v;
}

/** The settings each protocol has, as the service lists them: protocol id → setting keys. */
async function settingKeys(c: AccountsClient): Promise<Map<string, string[]>> {
  return new Map((await c.listProtocols()).map((p) => [p.id, p.settings.map((x) => x.key)]));
}

/**
 * Applies --server, --port, ... to the target protocols: each setting goes to the protocols
 * that have it (-path INBOX with imap and smtp is IMAP's folder). A setting none of them has
 * is passed on anyway, so the service says what is wrong with it.
 */
function mergeSettings(
  target: Partial<Record<Protocol, SettingsInput>>,
  protocols: string[],
  s: SettingsInput | undefined,
  keys: Map<string, string[]>,
): void {
  if (!s) return;
  for (const [key, value] of Object.entries(s) as Array<[string, string | number]>) {
    const has = (p: string) => keys.get(p)?.includes(key) ?? true;
    const receivers = protocols.some(has) ? protocols.filter(has) : protocols;
    for (const p of receivers) {
      const settings = (target[p] ??= {}) as Record<string, string | number>;
      if (!(key in settings)) settings[key] = value; // --set wins
    }
  }
}

async function passwordOf(argv: Args): Promise<string | undefined> {
  // A password that starts with '-' comes after '--', where yargs leaves it in argv._.
  const rest = ((argv._ as unknown[] | undefined) ?? []).slice(1).map(String);
  let positional = argv.password as string | undefined;
  if (rest.length > (positional === undefined ? 1 : 0)) {
    throw new UsageError(
      _("unexpected argument '{argument}': give one password at most", {
        argument: rest[rest.length - 1]!.slice(0, 40),
      }),
    );
  }
  positional ??= rest[0];
  if (argv.passwordStdin) {
    if (positional !== undefined)
      throw new UsageError(_('give the password either on stdin (--password-stdin) or as an argument, not both'));
    return readSecret(_('Password: '), 'password');
  }
  if (positional === '') throw new UsageError(_('the password must not be empty'));
  return positional;
}

/**
 * --profile FILE: the file's text and directory go to every target protocol that imports a
 * profile (`<protocol>.profile`, `<protocol>.profile_dir`), as ListProtocols says.
 */
async function importProfile(
  c: AccountsClient,
  input: AddAccountInput,
  provider: string,
  protocols: string[] | undefined,
  file: string,
): Promise<void> {
  const importers = (await c.listProtocols()).filter((p) => p.imports.includes('profile')).map((p) => p.id);
  const targets = (
    protocols ??
    (await c.listProviders()).find((p) => p.id === provider)?.protocols ?? [provider]
  ).filter((p) => importers.includes(p));
  if (targets.length === 0)
    throw new UsageError(
      _('--profile: none of the protocols to enable imports a profile (those that do: {importers})', {
        importers: importers.join(', ') || _('none'),
      }),
    );
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      _('--profile: cannot read {path} ({reason})', {
        path,
        reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
      }),
    );
  }
  for (const p of targets) Object.assign((input.settings![p] ??= {}), { profile: text, profile_dir: dirname(path) });
}

/** The placeholders of the "Added ..." and "Updated ..." lines. */
const addedValues = (a: Account) => ({
  id: a.id,
  name: a.name,
  provider: a.providerName,
  protocols: a.protocols.join(', '),
});

function idOf(argv: Args): string {
  return String(argv.id);
}

/** --accept-certificate: add, verify and edit. */
const ACCEPT_CERTIFICATE = {
  type: 'array',
  string: true,
  requiresArg: true,
  describe: _(
    'accept exactly this server certificate (its SHA-256 fingerprint, as a failed check shows it) for the account; implies --verify',
  ),
} as const;

/** Whether the person can be asked: a terminal, whose stdin is not the password. */
const canAsk = (argv: Args) => !!process.stdin.isTTY && !argv.passwordStdin;

/** Adds `accepted` to the account's accepted certificates. */
async function pin(c: AccountsClient, id: string, accepted: Record<string, string>): Promise<void> {
  const current = await c.getAccount(id);
  await c.updateAccount(id, { certificates: { ...current.pinnedCertificates, ...accepted } });
}

/** --parent of add and edit: the account this one is reached through (Account.Parent). */
const parentOption = () =>
  ({
    type: 'string',
    requiresArg: true,
    coerce: last,
    describe: _(
      'the id of the proxy account its checks go through, or of the OpenVPN account they wait for ("" for none)',
    ),
  }) as const;

export function commands(ctx: Context): CommandModule[] {
  const client = (argv: Args) => ctx.connect(argv);
  const begin = (name: string) => {
    ctx.command = name;
  };

  const add: CommandModule = {
    command: 'add [password]',
    describe: _('add an account'),
    builder: (y) =>
      serverOptions(
        y
          .usage(
            _(`Usage: px-accounts add [--provider ID | --protocol P...] --account IDENTIFIER [--password-stdin | PASSWORD] [options]

Adds an account. With neither --provider nor --protocol the account's servers are found from the
e-mail address (as 'px-accounts discover' shows), checked, and only then saved; settings that
cannot be trusted are used only after a yes on the terminal, or with --yes. Without --protocol every protocol of the provider is enabled; --protocol
without --provider sets up that protocol by hand (the first one is the provider). --server,
--port, --path, ... apply to every listed protocol that has that setting; --set PROTOCOL.KEY=VALUE
sets any setting of one protocol ('px-accounts protocols' lists the keys). Without --name the
identifier is the name.

Prefer --password-stdin to a PASSWORD argument: arguments are visible to other users in ps.

Providers that sign in with OAuth2 (Google, Microsoft; 'px-accounts providers' shows which)
take no password: the command prints a URL to sign in at (and opens the browser on a desktop),
or with --device a code to enter on any device, and waits. Ctrl-C cancels.`),
          )
          .positional('password', { type: 'string', describe: _('the password (prefer --password-stdin)') })
          .option('provider', {
            type: 'string',
            requiresArg: true,
            coerce: last,
            describe: _("catalogue id ('px-accounts providers')"),
          })
          .option('protocol', {
            type: 'array',
            string: true,
            requiresArg: true,
            describe: _("protocols to enable ('px-accounts protocols' lists them)"),
          })
          .option('profile', {
            type: 'string',
            requiresArg: true,
            coerce: last,
            describe: _('a profile to import (OpenVPN: the .ovpn file; files it names are read next to it)'),
          })
          .option('account', {
            type: 'string',
            requiresArg: true,
            coerce: last,
            describe: _('identifier: e-mail address or login (not for Nextcloud: --server instead)'),
          })
          .option('name', {
            type: 'string',
            requiresArg: true,
            coerce: last,
            describe: _('display name (default: the identifier)'),
          })
          .option('parent', parentOption())
          .option('password-stdin', {
            type: 'boolean',
            default: false,
            describe: _('read the password from stdin (asks without echo on a terminal)'),
          })
          .option('verify', {
            type: 'boolean',
            default: false,
            describe: _('check the credentials with the servers first; save nothing if that fails'),
          })
          .option('device', {
            type: 'boolean',
            default: false,
            describe: _('OAuth2: sign in on another device with a code (no browser here)'),
          })
          .option('browser', {
            type: 'boolean',
            default: true,
            describe: _('OAuth2: open the browser (--no-browser only prints the URL)'),
          })
          .option('tenant', {
            type: 'string',
            requiresArg: true,
            coerce: last,
            describe: _('OAuth2, Microsoft 365: tenant id or domain (default common)'),
          })
          .option('full-name', {
            type: 'string',
            requiresArg: true,
            coerce: last,
            describe: _("mail: the sender's name (identity.name)"),
          })
          .option('email', {
            type: 'string',
            requiresArg: true,
            coerce: last,
            describe: _('mail: the sender address (identity.address; default: the identifier when it is an address)'),
          })
          .option('alias', {
            type: 'array',
            string: true,
            requiresArg: true,
            describe: _('mail: other sender addresses (identity.aliases)'),
          })
          .option('yes', {
            type: 'boolean',
            default: false,
            describe: _(
              'with an address only: use settings that cannot be trusted (found through MX or another domain) without asking',
            ),
          })
          .option('accept-certificate', ACCEPT_CERTIFICATE)
          .example(
            'px-accounts add -account me@example.org --password-stdin',
            _('find the servers from the address, check them, add'),
          )
          .example('px-accounts add -provider google -account me@gmail.com', _('sign in with OAuth2 in the browser'))
          .example(
            'px-accounts add -provider nextcloud -server https://cloud.example.org',
            _('sign in to a Nextcloud in the browser: calendars, contacts and files'),
          )
          .example('px-accounts add -provider fastmail -account info@example.org --password-stdin', '')
          .example('px-accounts add -protocol sftp -account abc -server 127.0.0.1 -port 22 --password-stdin', '')
          .example('px-accounts add -protocol openvpn -account USER -profile FILE.ovpn --password-stdin', '')
          .example(
            'px-accounts add -protocol eth -account 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
            _('watch an Ethereum address (no key needed)'),
          )
          .example(
            'px-accounts add -protocol btc -account XPUB --set btc.gap_limit=50',
            _('watch an extended key further than 20 unused addresses'),
          ),
      ),
    handler: async (argv: Args) => {
      begin('add');
      const protocols = argv.protocol === undefined ? undefined : protocolList(argv.protocol);
      if (protocols !== undefined && protocols.length === 0)
        throw new UsageError(_('--protocol needs at least one protocol'));
      const provider = (argv.provider as string | undefined) ?? protocols?.[0];
      const account = (argv.account as string | undefined) ?? '';
      // Nextcloud takes the server's address instead (its sign-in says who signed in).
      if (!account && !(argv.provider !== undefined && argv.server !== undefined)) {
        throw new UsageError(
          argv.account === undefined
            ? _('give the identifier with --account (an e-mail address or login)')
            : _('--account must not be empty'),
        );
      }
      // Neither a provider nor a protocol: the settings are found from the address.
      if (!provider) return addDiscovered(argv, account);
      const server = serverSettings(argv);
      const sets = setPairs(argv.set);
      identityOptions(argv, sets);
      const password = await passwordOf(argv);
      const c = await client(argv);
      // No password for a catalogue provider: it may sign in with OAuth2 (a password given for
      // one that does not take passwords is refused by the service, saying so).
      const known =
        password === undefined && argv.provider !== undefined
          ? (await c.listProviders()).find((p) => p.id === provider)
          : undefined;
      if (known?.auth === 'nextcloud') {
        // Login Flow v2 (docs/nextcloud.md): the URL to sign in at is printed, as for OAuth2.
        if (
          argv.server === undefined ||
          (server && Object.keys(server).some((k) => k !== 'host')) ||
          Object.keys(sets).length ||
          argv.profile !== undefined ||
          argv.device ||
          argv.tenant !== undefined ||
          argv.account !== undefined
        ) {
          throw new UsageError(
            _(
              "{provider} takes the server's address and nothing else: px-accounts add -provider {id} -server https://cloud.example.org",
              { provider: known.name, id: provider },
            ),
          );
        }
        const created = await signInInteractively(known.name, argv.browser !== false, (handlers) =>
          c.signIn(
            provider,
            {
              server: String(argv.server),
              ...(protocols ? { protocols } : {}),
              ...(argv.name !== undefined ? { name: last(argv.name)! } : {}),
              ...(argv.verify ? { verify: true } : {}),
            },
            handlers,
          ),
        );
        out(
          argv.json
            ? jsonLine(accountJson(created))
            : _('Added {id}: {name} ({provider}: {protocols}), signed in with an app password', addedValues(created)),
        );
        return;
      }
      if (!account) throw new UsageError(_('give the identifier with --account (an e-mail address or login)'));
      if (known && known.auth !== 'password') {
        if (server || Object.keys(sets).length || argv.profile !== undefined)
          throw new UsageError(
            _('server settings cannot be given with an OAuth2 sign-in: change them with px-accounts edit afterwards'),
          );
        const created = await signInInteractively(known.name, argv.browser !== false, (handlers) =>
          c.signIn(
            provider,
            {
              account,
              flow: argv.device ? 'device' : 'browser',
              ...(protocols ? { protocols } : {}),
              ...(argv.name !== undefined ? { name: last(argv.name)! } : {}),
              ...(argv.tenant !== undefined ? { tenant: last(argv.tenant)! } : {}),
              ...(argv.verify ? { verify: true } : {}),
            },
            handlers,
          ),
        );
        out(
          argv.json
            ? jsonLine(accountJson(created))
            : _('Added {id}: {name} ({provider}: {protocols}), signed in with OAuth2', addedValues(created)),
        );
        return;
      }
      if (argv.device || argv.tenant !== undefined)
        throw new UsageError(
          _('--device and --tenant are for providers that sign in with OAuth2, and {provider} does not', { provider }),
        );
      const input: AddAccountInput = { provider, account, settings: sets };
      if (argv.name !== undefined) input.name = argv.name as string;
      if (argv.parent !== undefined) input.parent = last(argv.parent)!;
      if (protocols) input.protocols = protocols;
      if (password !== undefined) input.password = password;
      if (argv.verify || argv.acceptCertificate !== undefined) input.verify = true;
      if (server) {
        let targets = protocols;
        if (!targets) {
          const known = (await c.listProviders()).find((p) => p.id === provider);
          targets = known ? known.protocols : [provider];
        }
        mergeSettings(input.settings!, targets, server, await settingKeys(c));
      }
      if (argv.profile !== undefined) await importProfile(c, input, provider, protocols, last(argv.profile)!);
      let created: Account;
      try {
        created = await withAcceptedCertificates(argv, canAsk(argv), (certificates) =>
          c.addAccount(certificates ? { ...input, certificates } : input),
        );
      } catch (err) {
        if (
          argv.verify &&
          err instanceof AccountsClientError &&
          err.kind === 'UnsupportedProtocol' &&
          /verif/i.test(err.message)
        ) {
          throw new CommandFailed(
            _('{message}; nothing was saved — add the account without --verify', { message: err.message }),
            EXIT.UNSUPPORTED,
          );
        }
        throw err;
      }
      if (argv.json) out(jsonLine(accountJson(created)));
      else out(_('Added {id}: {name} ({provider}: {protocols})', addedValues(created)));
      if (created.credentials.length === 0 && !created.wallet) {
        note(
          `px-accounts: ${_('note: no password stored; add one with: px-accounts secret set {id} password', { id: created.id })}`,
        );
      }
    },
  };

  /** add with an address only: discover, say what was found and from where, ask where it is not trusted, add (checked). */
  async function addDiscovered(argv: Args, account: string): Promise<void> {
    if (
      serverSettings(argv) ||
      Object.keys(setPairs(argv.set)).length ||
      argv.profile !== undefined ||
      argv.device ||
      argv.tenant !== undefined
    ) {
      throw new UsageError(
        _(
          'server settings need --provider or --protocol: without them they are found from the address (see px-accounts discover ADDRESS)',
        ),
      );
    }
    const c = await client(argv);
    const found = await c.discover(account);
    note(discoveredText(account, found));
    if (found.auth === 'oauth2' && found.provider) {
      const known = (await c.listProviders()).find((p) => p.id === found.provider);
      const created = await signInInteractively(known?.name ?? found.provider, argv.browser !== false, (handlers) =>
        c.signIn(
          found.provider,
          {
            account,
            flow: 'browser',
            ...(argv.name !== undefined ? { name: last(argv.name)! } : {}),
          },
          handlers,
        ),
      );
      out(
        argv.json
          ? jsonLine(accountJson(created))
          : _('Added {id}: {name} ({provider}: {protocols}), signed in with OAuth2', addedValues(created)),
      );
      return;
    }
    if (!found.trusted && !argv.yes) {
      if (!process.stdin.isTTY || argv.passwordStdin) {
        throw new CommandFailed(
          _(
            "these settings are published by {domain}, not by the address's own domain over a secure connection; nothing was saved. Check that {domain} is your provider, then run again with --yes",
            { domain: found.domain },
          ),
          EXIT.FAILURE,
        );
      }
      if (
        !(await confirm(_('Use the settings of {domain} for {address}?', { domain: found.domain, address: account })))
      )
        throw new CommandFailed(_('nothing was saved'), EXIT.FAILURE);
    }
    const password =
      (await passwordOf(argv)) ?? (process.stdin.isTTY ? await readSecret(_('Password: '), 'password') : undefined);
    if (password === undefined)
      throw new UsageError(_('give the password: --password-stdin, or run in a terminal to be asked'));
    const created = await withAcceptedCertificates(argv, canAsk(argv), (certificates) =>
      c.addAccount({
        provider: '',
        account,
        password,
        ...(found.trusted ? {} : { trust: true }),
        ...(argv.name !== undefined ? { name: last(argv.name)! } : {}),
        ...(certificates ? { certificates } : {}),
      }),
    );
    if (argv.json) out(jsonLine(accountJson(created)));
    else out(_('Added {id}: {name} ({protocols}; checked with the servers)', addedValues(created)));
  }

  const discover: CommandModule = {
    command: 'discover <address>',
    describe: _('find the server settings of an e-mail address (saves nothing)'),
    builder: (y) =>
      y
        .usage(
          _(`Usage: px-accounts discover ADDRESS [--json]

Shows what 'px-accounts add -account ADDRESS' would use: the servers, where they were found
(the catalogue, the provider database, the domain's autoconfig or DNS, the MX host's provider,
or probing) and whether they can be trusted. Logs in nowhere and saves nothing.`),
        )
        .positional('address', { type: 'string', describe: _('an e-mail address') })
        .option('protocol', {
          type: 'array',
          string: true,
          requiresArg: true,
          describe: _('only these protocols (imap, smtp, pop3, caldav, carddav)'),
        })
        .option('probe', {
          type: 'boolean',
          default: true,
          describe: _('connect to servers to probe host names (--no-probe asks only files and DNS)'),
        }),
    handler: async (argv: Args) => {
      begin('discover');
      const address = String(argv.address);
      const protocols = argv.protocol === undefined ? undefined : protocolList(argv.protocol);
      const found = await (
        await client(argv)
      ).discover(address, { ...(protocols ? { protocols } : {}), probe: argv.probe !== false });
      out(argv.json ? jsonLine(found) : discoveredText(address, found));
    },
  };

  const list: CommandModule = {
    command: 'list',
    aliases: ['ls'],
    describe: _('list the accounts (id, name, provider, protocols, status)'),
    builder: (y) =>
      y.option('protocol', {
        type: 'array',
        string: true,
        requiresArg: true,
        describe: _('only accounts with these protocols enabled'),
      }),
    handler: async (argv: Args) => {
      begin('list');
      const wanted = argv.protocol === undefined ? [] : protocolList(argv.protocol);
      const accounts = (await (await client(argv)).listAccounts()).filter((a) =>
        wanted.every((p) => a.protocols.includes(p)),
      );
      if (argv.json) out(jsonLine(accounts.map(accountJson)));
      else out(accounts.length ? accountsTable(accounts) : _('No accounts. Add one with: px-accounts add --help'));
    },
  };

  const show: CommandModule = {
    command: 'show <id>',
    describe: _('show one account with its settings'),
    builder: (y) => y.positional('id', { type: 'string', describe: _('account id (px-accounts list)') }),
    handler: async (argv: Args) => {
      begin('show');
      const a = await (await client(argv)).getAccount(idOf(argv));
      out(argv.json ? jsonLine(accountJson(a)) : accountText(a));
    },
  };

  const edit: CommandModule = {
    command: 'edit <id>',
    describe: _('change settings, enable or disable protocols, rename'),
    builder: (y) =>
      serverOptions(
        y
          .usage(
            _(`Usage: px-accounts edit ID [options]

Changes an account atomically: every change is saved or none. --server, --port, ... apply to the
protocols named with --protocol or --enable, or else to every enabled protocol; --set
PROTOCOL.KEY=VALUE sets any setting of one protocol ('px-accounts protocols' lists the keys).`),
          )
          .positional('id', { type: 'string', describe: _('account id (px-accounts list)') })
          .option('name', { type: 'string', requiresArg: true, coerce: last, describe: _('new display name') })
          .option('parent', parentOption())
          .option('protocol', {
            type: 'array',
            string: true,
            requiresArg: true,
            describe: _('the complete list of protocols to enable'),
          })
          .option('enable', { type: 'array', string: true, requiresArg: true, describe: _('protocols to enable') })
          .option('disable', { type: 'array', string: true, requiresArg: true, describe: _('protocols to disable') })
          .option('full-name', {
            type: 'string',
            requiresArg: true,
            coerce: last,
            describe: _('mail: the sender\'s name (identity.name; "" clears it)'),
          })
          .option('email', {
            type: 'string',
            requiresArg: true,
            coerce: last,
            describe: _('mail: the sender address (identity.address; "" for the identifier)'),
          })
          .option('alias', {
            type: 'array',
            string: true,
            requiresArg: true,
            describe: _('mail: other sender addresses (identity.aliases; --alias "" clears them)'),
          })
          .option('accept-certificate', {
            ...ACCEPT_CERTIFICATE,
            describe: _(
              'accept exactly this certificate (SHA-256 fingerprint) where a server of the account presents it and it is not trusted otherwise (checks the account first)',
            ),
          })
          .option('forget-certificates', {
            type: 'boolean',
            default: false,
            describe: _('forget every certificate accepted for the account'),
          })
          .example('px-accounts edit fastmail_info_at_example_org --name Work --disable caldav carddav', '')
          .example('px-accounts edit imap_me_at_example_org --set imap.port=143 --set imap.security=starttls', ''),
      ),
    handler: async (argv: Args) => {
      begin('edit');
      const id = idOf(argv);
      const changes: AccountChanges = {};
      if (argv.name !== undefined) changes.name = argv.name as string;
      const listed = argv.protocol === undefined ? undefined : protocolList(argv.protocol);
      const enable = argv.enable === undefined ? [] : protocolList(argv.enable);
      const disable = argv.disable === undefined ? [] : protocolList(argv.disable);
      const server = serverSettings(argv);
      const settings = setPairs(argv.set);
      identityOptions(argv, settings);
      if (listed?.length === 0) throw new UsageError(_('--protocol needs at least one protocol'));
      const accept = acceptedFingerprints(argv);
      if (argv.forgetCertificates) changes.certificates = {};
      if (argv.parent !== undefined) changes.parent = last(argv.parent)!;
      if (
        changes.name === undefined &&
        changes.parent === undefined &&
        !listed &&
        !enable.length &&
        !disable.length &&
        !server &&
        !Object.keys(settings).length &&
        !accept.length &&
        !argv.forgetCertificates
      ) {
        throw new UsageError(
          _(
            'nothing to change: give --name, --protocol, --enable, --disable, --server, --port, --path, --security, --username, --url, --full-name, --email, --alias, --set, --parent, --accept-certificate or --forget-certificates',
          ),
        );
      }
      const c = await client(argv);
      let current: Account | undefined;
      if (!listed && (enable.length || disable.length || (server && !enable.length))) current = await c.getAccount(id);
      if (listed || enable.length || disable.length) {
        const base = listed ?? current!.protocols;
        const next = [...base, ...enable.filter((p) => !base.includes(p))].filter((p) => !disable.includes(p));
        if (next.length === 0)
          throw new UsageError(
            _('an account needs at least one protocol: it cannot disable them all (use px-accounts remove)'),
          );
        if (listed || next.join() !== current!.protocols.join()) changes.protocols = next;
      }
      const targets = listed ?? (enable.length ? enable : (changes.protocols ?? current?.protocols ?? []));
      if (server) mergeSettings(settings, targets, server, await settingKeys(c));
      if (Object.keys(settings).length) changes.settings = settings;
      let a = Object.keys(changes).length ? await c.updateAccount(id, changes) : await c.getAccount(id);
      if (accept.length) {
        // the certificate is accepted where a server of the account (as it is now) presents it
        const presented = presentedIn(await c.verify(id));
        await pin(c, id, await acceptCertificates(argv, presented, false));
        a = await c.getAccount(id);
      }
      if (argv.json) out(jsonLine(accountJson(a)));
      else out(_('Updated {id}: {name} ({provider}: {protocols})', addedValues(a)));
    },
  };

  /** mute / unmute ID CODE: Account.MuteError / UnmuteError. */
  const muting = (verb: 'mute' | 'unmute'): CommandModule => ({
    command: `${verb} <id> <code>`,
    describe:
      verb === 'mute'
        ? _(
            'stop telling about one kind of failure of an account until another kind comes (no AttentionNeeded, no notification)',
          )
        : _('tell about that kind of failure of an account again'),
    builder: (y) =>
      y.positional('id', { type: 'string', describe: _('account id (px-accounts list)') }).positional('code', {
        type: 'string',
        describe: _(
          'a check code: Unauthorized, Timeout, HostNotFound, ConnectionRefused, ConnectionFailed, TlsUntrusted, TlsExpired, TlsHostnameMismatch, HostKeyChanged, ServerError, Unavailable or Unknown',
        ),
      }),
    handler: async (argv: Args) => {
      begin(verb);
      const id = idOf(argv);
      const code = String(argv.code);
      const c = await client(argv);
      await (verb === 'mute' ? c.muteError(id, code) : c.unmuteError(id, code));
      const a = await c.getAccount(id);
      if (argv.json) out(jsonLine(accountJson(a)));
      else
        out(
          verb === 'mute'
            ? _('Muted {code} for {id}', { code, id: a.id })
            : _('Unmuted {code} for {id}', { code, id: a.id }),
        );
    },
  });

  const remove: CommandModule = {
    command: 'remove <id>',
    aliases: ['rm'],
    describe: _('remove an account and every secret of it'),
    builder: (y) => y.positional('id', { type: 'string', describe: _('account id (px-accounts list)') }),
    handler: async (argv: Args) => {
      begin('remove');
      const id = idOf(argv);
      await (await client(argv)).removeAccount(id);
      out(argv.json ? jsonLine({ id, removed: true }) : _('Removed {id}', { id }));
    },
  };

  const secretArgs = (y: Argv) =>
    y.positional('id', { type: 'string', describe: _('account id') }).positional('name', {
      type: 'string',
      describe: _('secret name: password, or a protocol (imap, smtp, ...) to override it'),
    });
  const secret: CommandModule = {
    command: 'secret',
    describe: _('set, get or delete a secret of an account'),
    builder: (y) =>
      y
        .usage(
          _(
            'Usage: px-accounts secret set|get|delete ID NAME\n\nset reads the value from stdin, or asks for it without echo on a terminal.',
          ),
        )
        .command({
          command: 'set <id> <name>',
          describe: _('store a secret, read from stdin (or asked for on a terminal)'),
          builder: (z) => secretArgs(z).example('printf %s "$PASSWORD" | px-accounts secret set ID password', ''),
          handler: async (argv: Args) => {
            begin('secret set');
            const value = await readSecret(
              _("Secret '{name}' for {id}: ", { name: String(argv.name), id: idOf(argv) }),
              'secret',
            );
            await (await client(argv)).setSecret(idOf(argv), String(argv.name), value);
            out(
              argv.json
                ? jsonLine({ id: idOf(argv), name: String(argv.name), stored: true })
                : _("Stored secret '{name}' of {id}", { name: String(argv.name), id: idOf(argv) }),
            );
          },
        })
        .command({
          command: 'get <id> <name>',
          describe: _('print a secret'),
          builder: secretArgs,
          handler: async (argv: Args) => {
            begin('secret get');
            const value = await (await client(argv)).getSecret(idOf(argv), String(argv.name));
            // the person's secret, byte for byte (not a server's words; JSON escapes what it must)
            if (argv.json) out(jsonLine({ id: idOf(argv), name: String(argv.name), value }));
            else exact(value);
          },
        })
        .command({
          command: 'delete <id> <name>',
          aliases: ['rm'],
          describe: _('delete a secret'),
          builder: secretArgs,
          handler: async (argv: Args) => {
            begin('secret delete');
            await (await client(argv)).deleteSecret(idOf(argv), String(argv.name));
            out(
              argv.json
                ? jsonLine({ id: idOf(argv), name: String(argv.name), deleted: true })
                : _("Deleted secret '{name}' of {id}", { name: String(argv.name), id: idOf(argv) }),
            );
          },
        })
        .demandCommand(1, _('say what to do: secret set, secret get or secret delete')),
    handler: () => undefined,
  };

  const status: CommandModule = {
    command: 'status <id> [state] [message..]',
    describe: _('show the status of an account, or report one (online, offline, error, none)'),
    builder: (y) =>
      y
        .usage(
          _(
            'Usage: px-accounts status ID [online|offline|error|none [MESSAGE]]\n\nWithout a state, shows the status; with one, reports it (as a mail app would after a sync).',
          ),
        )
        .positional('id', { type: 'string', describe: _('account id') })
        .positional('state', { type: 'string', choices: STATUSES, describe: _('status to report') })
        .positional('message', { type: 'string', array: true, describe: _('detail (words are joined)') }),
    handler: async (argv: Args) => {
      begin('status');
      const c = await client(argv);
      const id = idOf(argv);
      if (argv.state !== undefined) {
        const message = ((argv.message as string[] | undefined) ?? []).join(' ');
        await c.reportStatus(id, argv.state as AccountStatus, message);
      } else if ((argv.message as string[] | undefined)?.length) {
        throw new UsageError(_('a message needs a state before it'));
      }
      const a = await c.getAccount(id);
      if (argv.json) out(jsonLine(statusJson(a)));
      else
        out(
          `${a.id}: ${a.statusTime ? _('{status} since {time}', { status: statusText(a), time: humanTime(a.statusTime) }) : statusText(a)}`,
        );
    },
  };

  const verify: CommandModule = {
    command: 'verify <id>',
    describe: _('check the credentials of every enabled protocol with its server'),
    builder: (y) =>
      y
        .positional('id', { type: 'string', describe: _('account id') })
        .usage(
          _(`Usage: px-accounts verify ID [--accept-certificate SHA256]

Checks every enabled protocol with its server. Where a server's certificate is not trusted (a
self-hosted server), it shows the certificate's SHA-256 fingerprint and, on a terminal, asks
whether to accept exactly that certificate for this account; --accept-certificate accepts it
without asking when it is the one given.`),
        )
        .option('accept-certificate', ACCEPT_CERTIFICATE),
    handler: async (argv: Args) => {
      begin('verify');
      const id = idOf(argv);
      let results;
      try {
        results = await (await client(argv)).verify(id);
      } catch (err) {
        if (err instanceof AccountsClientError && err.kind === 'UnsupportedProtocol') {
          throw new CommandFailed(_('cannot verify {id}: {message}', { id, message: err.message }), EXIT.UNSUPPORTED);
        }
        throw err;
      }
      const presented = presentedIn(results);
      if (Object.keys(presented).length && (acceptedFingerprints(argv).length || process.stdin.isTTY)) {
        note(verifyTable(results));
        await pin(await client(argv), id, await acceptCertificates(argv, presented, !!process.stdin.isTTY));
        results = await (await client(argv)).verify(id);
      }
      const summary = verifyJson(id, results);
      if (argv.json) out(jsonLine(summary));
      else out(Object.keys(results).length ? verifyTable(results) : _('{id}: nothing to verify', { id }));
      if (!summary.ok && Object.keys(results).length) ctx.exitCode = EXIT.VERIFICATION_FAILED;
    },
  };

  const providers: CommandModule = {
    command: 'providers',
    describe: _('list the provider catalogue'),
    handler: async (argv: Args) => {
      begin('providers');
      const list = await (await client(argv)).listProviders();
      out(argv.json ? jsonLine(list.map(providerJson)) : providersTable(list));
    },
  };

  const grantArgs = (z: Argv) =>
    z.positional('id', { type: 'string', describe: _('account id (px-accounts list)') }).positional('app', {
      type: 'string',
      describe: _(
        'app as px-accounts access list shows it: a Flatpak id, snap.<name>, a desktop id or an executable path',
      ),
    });
  const decide = (verb: string, decision: 'always' | 'deny' | null, describe: string, done: string): CommandModule => ({
    command: `${verb} <id> <app>`,
    describe,
    builder: grantArgs,
    handler: async (argv: Args) => {
      begin(`access ${verb}`);
      await (await client(argv)).setAccess(idOf(argv), String(argv.app), decision);
      out(
        argv.json
          ? jsonLine({ id: idOf(argv), app: String(argv.app), decision: decision ?? '' })
          : interpolate(done, { app: String(argv.app), id: idOf(argv) }),
      );
    },
  });
  const access: CommandModule = {
    command: 'access',
    describe: _('which apps may use which accounts: list, grant, deny, revoke, host'),
    builder: (y) =>
      y
        .usage(_('Usage: px-accounts access list | grant ID APP | deny ID APP | revoke ID APP | host [allow|ask]'))
        .command({
          command: 'list',
          describe: _('grants, refusals and pending requests, with when each was last used'),
          handler: async (argv: Args) => {
            begin('access list');
            const list = await (await client(argv)).listAccess();
            if (argv.json)
              out(jsonLine(list.map((e) => ({ ...e, lastUsed: e.lastUsed ? timeText(e.lastUsed) : null }))));
            else
              out(
                list.length
                  ? accessTable(list)
                  : _(
                      'No grants or requests. Sandboxed apps ask with RequestAccess; grant with: px-accounts access grant ID APP',
                    ),
              );
          },
        })
        .command(decide('grant', 'always', _("grant an app's access to an account"), _('Granted: {app} for {id}')))
        .command(decide('deny', 'deny', _("deny an app's access to an account"), _('Denied: {app} for {id}')))
        .command(decide('revoke', null, _("revoke an app's access to an account"), _('Revoked: {app} for {id}')))
        .command({
          command: 'host [mode]',
          describe: _(
            'allow: apps that are not sandboxed use every account (default); ask: they need grants too; no mode: show it',
          ),
          builder: (z) => z.positional('mode', { type: 'string', choices: ['allow', 'ask'] }),
          handler: async (argv: Args) => {
            begin('access host');
            const c = await client(argv);
            const mode = argv.mode === undefined ? await c.hostApps() : (argv.mode as HostAppsMode);
            if (argv.mode !== undefined) await c.setHostApps(mode);
            out(argv.json ? jsonLine({ hostApps: mode }) : _('Host apps: {mode}', { mode }));
          },
        })
        .demandCommand(1, _('say what to do: access list, grant, deny, revoke or host')),
    handler: () => undefined,
  };

  const protocols: CommandModule = {
    command: 'protocols',
    describe: _('list the protocols the service knows (built-in and plugins) and their settings'),
    handler: async (argv: Args) => {
      begin('protocols');
      const list = await (await client(argv)).listProtocols();
      out(argv.json ? jsonLine(list) : protocolsTable(list));
    },
  };

  const watch: CommandModule = {
    command: 'watch [id]',
    describe: _('print one line per event (added, removed, changed, status, transfer) as it happens'),
    builder: (y) =>
      y
        .usage(
          _(`Usage: px-accounts watch [ID] [--initial] [--json]

Prints one line per event until interrupted: added, removed, changed, status, transfer (money
arrived in a watched wallet), and service (stopped/started). With --json, one JSON object per line. A notice goes to stderr once watching.`),
        )
        .positional('id', { type: 'string', describe: _('only this account') })
        .option('initial', {
          type: 'boolean',
          default: false,
          describe: _('first print an added event for every existing account'),
        }),
    handler: async (argv: Args) => {
      begin('watch');
      const only = argv.id === undefined ? undefined : last(argv.id)!;
      const c = await client(argv);
      const wanted = (a: Account) => only === undefined || a.id === only;
      const json = Boolean(argv.json);
      const q = (s: string) => JSON.stringify(s);
      const emit = (obj: Record<string, unknown>, text: string) => out(json ? jsonLine(obj) : text);
      const added = (a: Account, initial: boolean) =>
        wanted(a) &&
        emit(
          { event: 'added', id: a.id, ...(initial ? { initial: true } : {}), account: accountJson(a) },
          `added ${a.id} provider=${a.provider} name=${q(a.name)} status=${a.status}`,
        );
      c.on('added', (a) => added(a, false));
      c.on(
        'removed',
        (a) => wanted(a) && emit({ event: 'removed', id: a.id, account: accountJson(a) }, `removed ${a.id}`),
      );
      c.on(
        'changed',
        (a, fields) =>
          wanted(a) &&
          emit({ event: 'changed', id: a.id, fields, account: accountJson(a) }, `changed ${a.id} ${fields.join(',')}`),
      );
      c.on(
        'status',
        (a, s, message) =>
          wanted(a) &&
          emit(
            {
              event: 'status',
              id: a.id,
              status: s,
              message,
              time: Number(a.statusTime),
              attentionNeeded: a.attentionNeeded,
            },
            `status ${a.id} ${s}${message ? ' ' + q(message) : ''}`,
          ),
      );
      c.on(
        'transfer',
        (a, t) =>
          wanted(a) &&
          emit(
            {
              event: 'transfer',
              id: a.id,
              txid: t.txid,
              amount: t.amount,
              currency: a.wallet?.currency ?? '',
              counterparty: t.counterparty,
            },
            `transfer ${a.id} received ${t.amount}${a.wallet?.currency ? ' ' + a.wallet.currency : ''} from ${t.counterparty} (${t.txid})`,
          ),
      );
      c.on('serviceStopped', () => emit({ event: 'service', state: 'stopped' }, 'service stopped'));
      c.on('serviceStarted', () => emit({ event: 'service', state: 'started' }, 'service started'));
      const initial = await c.watch();
      // Handlers first, then the notice: whoever reacts to the notice may signal at once.
      const done = new Promise<void>((resolve, reject) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.once('SIGHUP', stop);
        c.once('disconnected', (reason) =>
          reject(new AccountsClientError('ServiceUnreachable', _('lost the session bus: {reason}', { reason }))),
        );
      });
      if (only !== undefined && !initial.some((a) => a.id === only)) {
        note(`px-accounts: ${_("note: no account '{id}' yet; watching for it", { id: only })}`);
      }
      if (argv.initial) for (const a of initial) added(a, true);
      const watching =
        only !== undefined
          ? _('watching {id}; press Ctrl-C to stop', { id: only })
          : ngettext(
              'watching {n} account; press Ctrl-C to stop',
              'watching {n} accounts; press Ctrl-C to stop',
              initial.length,
              { n: formatNumber(initial.length) },
            );
      note(`px-accounts: ${watching}`);
      await done;
    },
  };

  const signin: CommandModule = {
    command: 'signin <id>',
    describe: _('sign an OAuth2 account in again (after the provider refused its grant)'),
    builder: (y) =>
      y
        .positional('id', { type: 'string', describe: _('account id') })
        .option('device', { type: 'boolean', default: false, describe: _('sign in on another device with a code') })
        .option('browser', {
          type: 'boolean',
          default: true,
          describe: _('open the browser (--no-browser only prints the URL)'),
        }),
    handler: async (argv: Args) => {
      begin('signin');
      const c = await client(argv);
      const account = await c.getAccount(idOf(argv));
      const done = await signInInteractively(account.providerName, argv.browser !== false, (handlers) =>
        c.signInAgain(account.id, { flow: argv.device ? 'device' : 'browser' }, handlers),
      );
      out(argv.json ? jsonLine(accountJson(done)) : _('Signed in {id} again', { id: done.id }));
    },
  };

  const token: CommandModule = {
    command: 'token <id> [protocol]',
    describe: _(
      'print an OAuth2 access token of an account (for a protocol, where the provider scopes tokens per service)',
    ),
    builder: (y) =>
      y
        .positional('id', { type: 'string', describe: _('account id') })
        .positional('protocol', { type: 'string', describe: _('imap, smtp, caldav, ...') }),
    handler: async (argv: Args) => {
      begin('token');
      const t = await (
        await client(argv)
      ).getAccessToken(idOf(argv), argv.protocol === undefined ? undefined : last(argv.protocol)!);
      if (argv.json) out(jsonLine({ id: idOf(argv), token: t.token, expires_in: t.expiresIn }));
      else exact(t.token);
    },
  };

  const transactions: CommandModule = {
    command: 'transactions <id>',
    describe: _("a wallet's transfers, newest first"),
    builder: (y) =>
      y
        .positional('id', { type: 'string', describe: _('account id') })
        .option('limit', {
          type: 'string',
          requiresArg: true,
          coerce: last,
          default: '50',
          describe: _('at most this many (1-1000)'),
        })
        .option('offset', {
          type: 'string',
          requiresArg: true,
          coerce: last,
          default: '0',
          describe: _('skip this many'),
        }),
    handler: async (argv: Args) => {
      begin('transactions');
      const num = (name: string, max: number) => {
        const n = Number(argv[name]);
        if (!Number.isInteger(n) || n < 0 || n > max)
          throw new UsageError(_('--{option} must be a whole number from 0 to {max}', { option: name, max }));
        return n;
      };
      const c = await client(argv);
      const account = await c.getAccount(idOf(argv));
      if (!account.wallet)
        throw new CommandFailed(_('{id} is not a wallet', { id: account.id }), EXIT.INVALID_ARGUMENT);
      const list = await c.getTransactions(account.id, { offset: num('offset', 1_000_000), limit: num('limit', 1000) });
      out(
        argv.json
          ? jsonLine(list)
          : list.length
            ? transactionsTable(list, account.wallet.currency)
            : _('No transactions yet.'),
      );
    },
  };

  return [
    add,
    discover,
    list,
    show,
    edit,
    muting('mute'),
    muting('unmute'),
    remove,
    secret,
    status,
    verify,
    providers,
    protocols,
    access,
    watch,
    signin,
    token,
    transactions,
    ...transferCommands(ctx),
  ];
}
