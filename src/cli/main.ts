/**
 * px-accounts: manage online accounts from the command line. Built on the client library,
 * so it speaks only D-Bus to org.pantherx.Accounts. Parsing is yargs with
 * 'short-option-groups' off, so the seed's `-provider fastmail` is the long option
 * `--provider fastmail`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { AccountsClient, AccountsClientError } from '../client/index.js';
import { commands, type Context } from './commands.js';
import { CommandFailed, UsageError } from './errors.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { INSTALL_DIR } from '../install-dir.js';
import { _, messagesLanguage } from '../i18n/index.js';
import { note } from './output.js';
import { yargsStrings } from './yargs-strings.js';

export const PROGRAM = 'px-accounts';

/** Every subcommand and alias, from the command modules themselves (and yargs' completion). */
const COMMAND_NAMES = [
  ...commands({} as Context).flatMap((c) => [
    String(c.command).split(' ')[0]!,
    ...[c.aliases ?? []].flat().map(String),
  ]),
  'completion',
];

function version(): string {
  try {
    const { version } = JSON.parse(readFileSync(join(INSTALL_DIR, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The (sub)command a command line names, for "see --help" hints. */
function commandOf(args: string[]): string {
  const aliases: Record<string, string> = { ls: 'list', rm: 'remove' };
  const [first = '', second = ''] = args;
  if (!COMMAND_NAMES.includes(first)) return '';
  if (first === 'secret' && ['set', 'get', 'delete', 'rm'].includes(second))
    return `secret ${second === 'rm' ? 'delete' : second}`;
  return aliases[first] ?? first;
}

/** What to do about each kind of error, appended to its message. */
function hint(err: AccountsClientError, command: string): string {
  switch (err.kind) {
    case 'NotFound':
      return /secret/i.test(err.message)
        ? _("'px-accounts show ID' lists the secrets of an account")
        : _("'px-accounts list' shows the accounts");
    case 'UnknownProvider':
      return _(
        "'px-accounts providers' lists them; for manual set-up use --protocol ('px-accounts protocols' lists them)",
      );
    case 'InvalidArgument':
      return _("see '{command} --help'", { command: `${PROGRAM}${command ? ' ' + command : ''}` });
    case 'Duplicate':
      return _("'px-accounts list' shows it; change it with 'px-accounts edit'");
    case 'SecretsUnavailable':
      return _('unlock your keyring (Secret Service, e.g. gnome-keyring) and try again');
    case 'ServiceUnreachable':
      return _('is px-accounts-service installed (D-Bus activation) or running?');
    case 'Timeout':
      return _('the service did not answer in time; try again, or give a longer --timeout');
    case 'VerificationFailed':
      return _('nothing was saved; fix the settings or the password, or add without --verify');
    case 'CertificateNotTrusted':
      return _(
        "nothing was saved; if that is your server's certificate, accept exactly it with --accept-certificate SHA256 (compare the fingerprint with the server's own)",
      );
    case 'NotAuthorized':
      return _("sign in again: 'px-accounts signin ID'");
    case 'NotConfigured':
      return _('docs/oauth2.md says how to register a client id');
    case 'Io':
      return _('the service could not read or write the account files; its log (journal) says more');
    default:
      return '';
  }
}

const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();

function report(message: string): void {
  note(`${PROGRAM}: ${oneLine(message)}`);
}

function buildParser(args: string[], ctx: Context): Argv {
  const parser = yargs(args)
    .scriptName(PROGRAM)
    // yargs would pick its own translations from LANG (and has no Persian): it keeps its English
    // and gets ours of it instead, so its messages are in the language of ours.
    .locale('en')
    .parserConfiguration({
      'short-option-groups': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'dot-notation': false,
      'strip-aliased': true,
    })
    .usage(
      _(
        'Usage: px-accounts <command> [options]\n\nManage the online accounts of this user (org.pantherx.Accounts on the session bus).\nOptions may be written -option or --option.',
      ),
    )
    .option('json', {
      type: 'boolean',
      default: false,
      global: true,
      describe: _('machine-readable output (see docs/cli.md)'),
    })
    .option('timeout', {
      type: 'string',
      global: true,
      requiresArg: true,
      describe: _('seconds to wait for each call (default 25; 75 for checks with servers)'),
    })
    .strict()
    .demandCommand(1, _('no command given'))
    .help()
    .alias('help', 'h')
    .version(version())
    .completion('completion', _('print a bash completion script (add to ~/.bashrc: source <(px-accounts completion))'))
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs reports its own validation failures as YError: those are usage errors.
      if (err && err.name !== 'YError') throw err;
      throw new UsageError(msg || err?.message || _('invalid command line'));
    })
    .epilogue(
      _(`Exit codes: 0 ok, 1 other error, 2 invalid argument or usage, 3 not found, 4 duplicate,
5 secrets unavailable, 6 verification failed, 7 service unreachable, 8 unsupported,
9 not authorized (OAuth2: sign in again), 10 not configured, 11 provider unreachable, 12 expired, 13 wrong passphrase, 130 cancelled.
Every read command takes --json. Documentation: docs/cli.md`),
    );
  // y18n takes { one, other } for plural messages, which @types/yargs does not say.
  if (messagesLanguage()) parser.updateLocale(yargsStrings() as unknown as Record<string, string>);
  for (const command of commands(ctx)) parser.command(command);
  return parser;
}

/** Runs the command line; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const ctx: Context = {
    client: undefined,
    async connect(argv) {
      if (this.client) return this.client;
      let timeoutMs: number | undefined;
      if (argv.timeout !== undefined) {
        const seconds = Number(argv.timeout);
        if (!Number.isFinite(seconds) || seconds <= 0)
          throw new UsageError(
            _("--timeout must be a positive number of seconds, got '{value}'", { value: String(argv.timeout) }),
          );
        timeoutMs = Math.round(seconds * 1000);
      }
      this.client = await AccountsClient.connect(
        timeoutMs === undefined ? {} : { timeoutMs, verifyTimeoutMs: timeoutMs },
      );
      return this.client;
    },
    command: '',
  };
  const first = args[0];
  try {
    if (first !== undefined && !first.startsWith('-') && !COMMAND_NAMES.includes(first)) {
      throw new UsageError(
        _("unknown command '{command}' (commands: {commands})", {
          command: first.slice(0, 60),
          commands: COMMAND_NAMES.filter((c) => c !== 'ls' && c !== 'rm').join(', '),
        }),
      );
    }
    const parser = buildParser(args, ctx);
    await parser.parseAsync();
    return ctx.exitCode ?? EXIT.OK;
  } catch (err) {
    if (err instanceof UsageError) {
      const command = ctx.command || commandOf(args);
      report(
        _("{message} (see '{command} --help')", {
          message: err.message,
          command: `${PROGRAM}${command ? ' ' + command : ''}`,
        }),
      );
      return err.exitCode;
    }
    if (err instanceof CommandFailed) {
      report(err.message);
      return err.exitCode;
    }
    if (err instanceof AccountsClientError) {
      const h = hint(err, ctx.command);
      report(h ? `${err.message} — ${h}` : err.message);
      return exitCodeOf(err.kind);
    }
    report(_('unexpected error: {message}', { message: (err as Error)?.message ?? String(err) }));
    return EXIT.FAILURE;
  } finally {
    ctx.client?.close();
  }
}
