// The page's words in the person's language: the catalogue the server put into index.html (in
// the language the browser asked for; src/ui/languages.ts), looked up with the project's
// Translator and the catalogue's own plural rule (@tannin/plural-forms). Dates, numbers and
// amounts go through Intl in the same language. English is the msgids themselves.
//
// Every literal given to _(), ngettext(), pgettext() or N_() lands in po/px-accounts.pot (npm
// run i18n:extract): use {placeholders}, never ${...}, inside a message.
import pluralForms from '@tannin/plural-forms';
import {
  pluralRule,
  Translator,
  type CompiledCatalog,
  type PluralCompiler,
  type Values,
} from '../../i18n/translator.js';

function loadTranslator(): Translator {
  const text = document.getElementById('px-messages')?.textContent;
  if (!text) return new Translator();
  // The server's compiled catalogue (scripts/compile-po.mjs).
  const catalog = JSON.parse(text) as CompiledCatalog;
  return new Translator(catalog, pluralRule(catalog.pluralForms, pluralForms as PluralCompiler));
}

const t = loadTranslator();

export const _ = (msgid: string, values?: Values): string => t.gettext(msgid, values);
export const ngettext = (msgid: string, msgidPlural: string, n: number, values?: Values): string =>
  t.ngettext(msgid, msgidPlural, n, values);
export const pgettext = (context: string, msgid: string, values?: Values): string => t.pgettext(context, msgid, values);
/** Marks a string for the template; translated where it is shown, with _(value). */
export const N_ = <T extends string>(msgid: T): T => msgid;

/**
 * The locale for Intl: the page's language (<html lang>, the server's choice), with the
 * browser's region for it when it names one ("de" → "de-AT" for an Austrian browser).
 */
export const LOCALE: string = (() => {
  const lang = document.documentElement.lang || 'en';
  const regional = navigator.languages.find((l) => l.toLowerCase().split('-')[0] === lang.toLowerCase().split('-')[0]);
  return regional ?? lang;
})();

const numbers = new Intl.NumberFormat(LOCALE);
/** Exact decimals keep every digit: Intl formats a decimal string without a float. */
const amounts = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 100 });
const times = new Intl.DateTimeFormat(LOCALE, { timeStyle: 'medium' });
const dateTimes = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' });

export const formatNumber = (n: number): string => numbers.format(n);

/** An exact decimal amount ("0.000123450000000001") in the locale's digits and separators. */
export function formatAmount(amount: string): string {
  if (!/^-?\d+(\.\d+)?$/.test(amount)) return amount;
  // Intl.NumberFormat.format takes a decimal string as it is (ES2023 Intl.NumberFormat v3).
  return amounts.format(amount as `${number}`);
}

/** A point in time (ms): the time alone when it is today, else date and time; '' for 0. */
export function formatTime(ms: number): string {
  if (!ms) return '';
  const d = new Date(ms);
  return new Date().toDateString() === d.toDateString() ? times.format(d) : dateTimes.format(d);
}
