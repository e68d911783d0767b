/**
 * yargs's own messages (its locales/en.json), translated through our catalogues (context
 * "yargs") so that a usage error or the help is in the same language as the rest of the CLI,
 * also in languages yargs does not ship (Persian). test/unit/yargs-strings.test.ts fails when
 * yargs's English list has a key this one lacks.
 *
 * y18n picks "one" for a count of 1 and "other" for any other: each gets our form for 1 and
 * for 2, which is exact for languages with two forms split at 1 (docs/translating.md).
 */
import { npgettext, pgettext } from '../i18n/index.js';

type YargsStrings = Record<string, string | { one: string; other: string }>;

function plural(key: string, translate: (n: number) => string): YargsStrings {
  return { [key]: { one: translate(1), other: translate(2) } };
}

/** Key (yargs's English) → our translation, for yargs.updateLocale(). */
export function yargsStrings(): YargsStrings {
  return {
    'Commands:': pgettext('yargs', 'Commands:'),
    'Options:': pgettext('yargs', 'Options:'),
    'Examples:': pgettext('yargs', 'Examples:'),
    // translators: an option's type in the help, in brackets: [boolean]
    boolean: pgettext('yargs', 'boolean'),
    count: pgettext('yargs', 'count'),
    string: pgettext('yargs', 'string'),
    number: pgettext('yargs', 'number'),
    array: pgettext('yargs', 'array'),
    // translators: in the help, in brackets after an option that must be given: [required]
    required: pgettext('yargs', 'required'),
    default: pgettext('yargs', 'default'),
    // translators: in the help, before an option's default value: [default: 25]
    'default:': pgettext('yargs', 'default:'),
    'choices:': pgettext('yargs', 'choices:'),
    'aliases:': pgettext('yargs', 'aliases:'),
    'generated-value': pgettext('yargs', 'generated-value'),
    ...plural('Not enough non-option arguments: got %s, need at least %s', (n) =>
      npgettext(
        'yargs',
        'Not enough non-option arguments: got %s, need at least %s',
        'Not enough non-option arguments: got %s, need at least %s',
        n,
      ),
    ),
    ...plural('Too many non-option arguments: got %s, maximum of %s', (n) =>
      npgettext(
        'yargs',
        'Too many non-option arguments: got %s, maximum of %s',
        'Too many non-option arguments: got %s, maximum of %s',
        n,
      ),
    ),
    ...plural('Missing argument value: %s', (n) =>
      npgettext('yargs', 'Missing argument value: %s', 'Missing argument values: %s', n),
    ),
    ...plural('Missing required argument: %s', (n) =>
      npgettext('yargs', 'Missing required argument: %s', 'Missing required arguments: %s', n),
    ),
    ...plural('Unknown argument: %s', (n) => npgettext('yargs', 'Unknown argument: %s', 'Unknown arguments: %s', n)),
    ...plural('Unknown command: %s', (n) => npgettext('yargs', 'Unknown command: %s', 'Unknown commands: %s', n)),
    'Invalid values:': pgettext('yargs', 'Invalid values:'),
    // translators: the first %s is an option, the second the value given, the third the values it takes
    'Argument: %s, Given: %s, Choices: %s': pgettext('yargs', 'Argument: %s, Given: %s, Choices: %s'),
    'Argument check failed: %s': pgettext('yargs', 'Argument check failed: %s'),
    'Implications failed:': pgettext('yargs', 'Missing dependent arguments:'),
    'Not enough arguments following: %s': pgettext('yargs', 'Not enough arguments following: %s'),
    'Invalid JSON config file: %s': pgettext('yargs', 'Invalid JSON config file: %s'),
    'Path to JSON config file': pgettext('yargs', 'Path to JSON config file'),
    'Show help': pgettext('yargs', 'Show help'),
    'Show version number': pgettext('yargs', 'Show version number'),
    'Did you mean %s?': pgettext('yargs', 'Did you mean %s?'),
    'Arguments %s and %s are mutually exclusive': pgettext('yargs', 'Arguments %s and %s are mutually exclusive'),
    'Positionals:': pgettext('yargs', 'Positionals:'),
    command: pgettext('yargs', 'command'),
    deprecated: pgettext('yargs', 'deprecated'),
    'deprecated: %s': pgettext('yargs', 'deprecated: %s'),
  };
}
