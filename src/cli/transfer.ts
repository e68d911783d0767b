/**
 * px-accounts export FILE [--secrets] [--passphrase-file F] and import FILE [--passphrase-file F]
 * (docs/export.md). The passphrase comes from the file named, or from a prompt without echo on
 * the terminal (asked twice for an export); with neither, the command refuses: a passphrase
 * read from a pipe by accident would be one nobody knows.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import type { ImportResult } from '../client/index.js';
import { writeFileNoFollow } from '../util/atomic-write.js';
import type { Context } from './commands.js';
import { _, ngettext } from '../i18n/index.js';
import { formatNumber } from '../i18n/intl.js';
import { CommandFailed, UsageError } from './errors.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { jsonLine } from './format.js';
import { promptHidden } from './input.js';
import { out } from './output.js';
import { printable } from './printable.js';

type Args = Record<string, unknown> & { json?: boolean; timeout?: string };

/** A repeated single-value option keeps its last value (GNU style). */
const last = (v: unknown): string | undefined => {
  const x: unknown = Array.isArray(v) ? (v as unknown[])[v.length - 1] : v;
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
};

/** A passphrase file's text without one trailing newline (echo adds one). */
async function passphraseFromFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(resolve(file), 'utf8');
  } catch (err) {
    throw new UsageError(
      _('--passphrase-file: cannot read {path} ({reason})', {
        path: resolve(file),
        reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
      }),
    );
  }
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase === '') throw new UsageError(_('--passphrase-file: {path} is empty', { path: resolve(file) }));
  return passphrase;
}

async function passphrase(argv: Args, confirm: boolean): Promise<string> {
  const file = last(argv.passphraseFile);
  if (file !== undefined) return passphraseFromFile(file);
  if (!process.stdin.isTTY) {
    throw new UsageError(
      _('no terminal to ask for the passphrase on (stdin is not a terminal): give --passphrase-file FILE'),
    );
  }
  const first = await promptHidden(_('Passphrase: '));
  if (first === '') throw new UsageError(_('no passphrase given'));
  if (confirm && (await promptHidden(_('Passphrase again: '))) !== first)
    throw new UsageError(_('the two passphrases differ; nothing was written'));
  return first;
}

function importText(r: ImportResult): string {
  const lines = [
    r.imported.length
      ? ngettext('Imported {n}: {ids}', 'Imported {n}: {ids}', r.imported.length, {
          n: formatNumber(r.imported.length),
          ids: printable(r.imported.join(', ')),
        })
      : _('Imported none.'),
  ];
  // Ids and messages quote the file, which anyone may have crafted.
  for (const s of r.skipped)
    lines.push(
      _('Skipped {id} ({reason}): {message}', {
        id: printable(s.id),
        reason: printable(s.reason),
        message: printable(s.message),
      }),
    );
  return lines.join('\n');
}

export function transferCommands(ctx: Context): CommandModule[] {
  const passphraseOption = {
    type: 'string',
    requiresArg: true,
    coerce: last,
    describe: _('read the passphrase from this file (without its trailing newline) instead of asking on the terminal'),
  } as const;

  const exportCommand: CommandModule = {
    command: 'export <file>',
    describe: _('save every account in one file encrypted with a passphrase (age format; age -d reads it)'),
    builder: (y) =>
      y
        .positional('file', { type: 'string', describe: _('the file to write (replaced atomically, mode 0600)') })
        .option('secrets', { type: 'boolean', default: false, describe: _('include the secrets and OAuth2 grants') })
        .option('passphrase-file', passphraseOption),
    handler: async (argv: Args) => {
      ctx.command = 'export';
      const path = resolve(String(argv.file));
      const pass = await passphrase(argv, true);
      const { file, accounts } = await (
        await ctx.connect(argv)
      ).exportAccounts(pass, { secrets: argv.secrets === true });
      try {
        await writeFileNoFollow(path, file, { mode: 0o600, durable: true });
      } catch (err) {
        throw new CommandFailed(
          _('cannot write {path}: {reason}', {
            path,
            reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
          }),
          EXIT.FAILURE,
        );
      }
      const values = { n: formatNumber(accounts), path };
      const done = argv.secrets
        ? ngettext(
            'Exported {n} account with their secrets to {path}',
            'Exported {n} accounts with their secrets to {path}',
            accounts,
            values,
          )
        : ngettext(
            'Exported {n} account without secrets to {path}',
            'Exported {n} accounts without secrets to {path}',
            accounts,
            values,
          );
      out(argv.json ? jsonLine({ file: path, accounts, secrets: argv.secrets === true }) : done);
    },
  };

  const importCommand: CommandModule = {
    command: 'import <file>',
    describe: _('add the accounts of an export file; existing ones are skipped, never overwritten'),
    builder: (y) =>
      y
        .positional('file', { type: 'string', describe: _('a file px-accounts export wrote') })
        .option('passphrase-file', passphraseOption),
    handler: async (argv: Args) => {
      ctx.command = 'import';
      const path = resolve(String(argv.file));
      let file: Buffer;
      try {
        file = await readFile(path);
      } catch (err) {
        throw new UsageError(
          _('cannot read {path} ({reason})', {
            path,
            reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
          }),
        );
      }
      const pass = await passphrase(argv, false);
      const result = await (await ctx.connect(argv)).importAccounts(file, pass);
      out(argv.json ? jsonLine(result) : importText(result));
      // Duplicates are what import is meant to leave alone; anything else left out is a failure.
      const failed = result.skipped.find((s) => s.reason !== 'Duplicate');
      if (failed)
        ctx.exitCode =
          failed.reason === 'Invalid'
            ? EXIT.INVALID_ARGUMENT
            : (exitCodeOf(failed.reason as Parameters<typeof exitCodeOf>[0]) ?? EXIT.FAILURE);
    },
  };

  return [exportCommand, importCommand];
}
