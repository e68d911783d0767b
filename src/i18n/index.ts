/**
 * Translations for the CLI and the service (docs/translating.md).
 *
 *   _('Removed {id}', { id })                       a message, with placeholders
 *   ngettext('{n} account', '{n} accounts', n, { n: formatNumber(n) })
 *   pgettext('status', 'online')                    the same words meaning something else elsewhere
 *   npgettext(context, singular, plural, n, values)
 *   N_('text')                                      marks a string for the template, translated later with _(variable)
 *
 * Every literal given to these is collected into po/px-accounts.pot by `npm run i18n:extract`
 * (scripts/i18n-extract.mjs): write the msgid as a plain string literal, never a template with
 * ${...} (it would never match a catalogue entry). A `// translators: ...` comment on the lines
 * just above the call reaches the translator.
 *
 * The language is the process's LC_ALL / LC_MESSAGES / LANG (src/i18n/locale.ts). Nothing is read
 * until the first message is looked up, and nothing at all for C/POSIX/English: the catalogue is
 * dist/locale/<name>.json, compiled from po/<name>.po at build time (scripts/compile-po.mjs).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { INSTALL_DIR } from '../install-dir.js';
import { messagesLocale, type Locale } from './locale.js';
import { pluralRule, Translator, type CompiledCatalog, type PluralCompiler, type Values } from './translator.js';

export { interpolate, Translator, type CompiledCatalog, type Values } from './translator.js';
export { messagesLocale, parseLocale, type Locale } from './locale.js';

/** Where the build puts the compiled catalogues. */
export const CATALOG_DIR = join(INSTALL_DIR, 'dist', 'locale');

let locale: Locale | undefined;
let translator: Translator | undefined;

/** The locale of this process (read once). */
export function currentLocale(): Locale {
  return (locale ??= messagesLocale());
}

/** The compiled catalogue for a locale, most specific name first; undefined for C or when none is installed. */
export function loadCatalog(of: Locale, dir = CATALOG_DIR): Translator {
  for (const name of of.catalogs) {
    let text: string;
    try {
      text = readFileSync(join(dir, `${name}.json`), 'utf8');
    } catch {
      continue;
    }
    const catalog = JSON.parse(text) as CompiledCatalog;
    return new Translator(catalog, pluralFunction(catalog.pluralForms));
  }
  return new Translator();
}

/** The index of the plural form for n, from a Plural-Forms header, evaluated by @tannin/plural-forms. */
export function pluralFunction(header: string): (n: number) => number {
  // Loaded only with a catalogue: English start-up never reads it.
  return pluralRule(header, (expression) =>
    (createRequire(import.meta.url)('@tannin/plural-forms') as PluralCompiler)(expression),
  );
}

function current(): Translator {
  if (translator) return translator;
  const l = currentLocale();
  return (translator = l.isC ? new Translator() : loadCatalog(l));
}

/**
 * Tests and the window's server only: speak another locale from now on (the next lookup loads
 * its catalogue). `env` as process.env would have it.
 */
export function useLocale(env: NodeJS.ProcessEnv): void {
  locale = messagesLocale(env);
  translator = undefined;
}

/** The language the messages are in: the catalogue's name ("de", "fa"), or undefined for English. */
export function messagesLanguage(): string | undefined {
  return current().language;
}

export function _(msgid: string, values?: Values): string {
  return current().gettext(msgid, values);
}

export function ngettext(msgid: string, msgidPlural: string, n: number, values?: Values): string {
  return current().ngettext(msgid, msgidPlural, n, values);
}

export function pgettext(context: string, msgid: string, values?: Values): string {
  return current().pgettext(context, msgid, values);
}

export function npgettext(context: string, msgid: string, msgidPlural: string, n: number, values?: Values): string {
  return current().npgettext(context, msgid, msgidPlural, n, values);
}

/** Marks a string for the template without translating it (tables translated where they are shown, with _(value)). */
export function N_<T extends string>(msgid: T): T {
  return msgid;
}
