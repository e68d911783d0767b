/**
 * Numbers, amounts and times in the same locale as the messages (src/i18n/index.ts). Under
 * C/POSIX they keep the program's machine-neutral forms: ISO 8601 times and numbers as given,
 * which scripts and the English tests read.
 */
import { currentLocale } from './index.js';

type Formatter = Intl.NumberFormat | Intl.DateTimeFormat | Intl.ListFormat;
const cache = new Map<string, Formatter>();
function formatter<T extends Formatter>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) cache.set(key, (f = make()));
  return f;
}

/** A count or other number: "1.234" in German, "۱٬۲۳۴" in Persian. */
export function formatNumber(n: number | bigint): string {
  const l = currentLocale();
  if (l.isC) return String(n);
  return formatter(`n:${l.tag}`, () => new Intl.NumberFormat(l.tag)).format(n);
}

/** Names joined as the locale joins them: "a, b, and c"; "a, b und c"; "a، b و c". English under C. */
export function formatList(items: string[]): string {
  const l = currentLocale();
  const tag = l.isC ? 'en' : l.tag;
  return formatter(`l:${tag}`, () => new Intl.ListFormat(tag, { type: 'conjunction' })).format(items);
}

/**
 * An exact decimal amount ("0.000123450000000001", a wallet's balance), every digit kept:
 * Intl.NumberFormat formats a decimal string without going through a float.
 */
export function formatAmount(amount: string): string {
  const l = currentLocale();
  if (l.isC || !/^-?\d+(\.\d+)?$/.test(amount)) return amount;
  const f = formatter(
    `a:${l.tag}`,
    () => new Intl.NumberFormat(l.tag, { maximumFractionDigits: 100, useGrouping: true }),
  );
  return f.format(amount as unknown as number);
}

/** A point in time (milliseconds since the epoch, or a Date); '' for 0. */
export function formatTime(when: number | Date): string {
  const date = typeof when === 'number' ? new Date(when) : when;
  if (date.getTime() === 0 || Number.isNaN(date.getTime())) return '';
  const l = currentLocale();
  if (l.isC) return date.toISOString();
  return formatter(
    `t:${l.tag}`,
    () => new Intl.DateTimeFormat(l.tag, { dateStyle: 'medium', timeStyle: 'medium' }),
  ).format(date);
}

/** A duration in seconds ("5 s", "2.5 s"; German "5 Sek.", Persian "۵ ثانیه"). */
export function formatSeconds(seconds: number): string {
  const l = currentLocale();
  const rounded = Number.isInteger(seconds) ? seconds : Math.round(seconds * 10) / 10;
  if (l.isC) return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
  return formatter(
    `s:${l.tag}`,
    () =>
      new Intl.NumberFormat(l.tag, { style: 'unit', unit: 'second', unitDisplay: 'short', maximumFractionDigits: 1 }),
  ).format(rounded);
}
