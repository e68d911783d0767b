/**
 * The `ini` package's output, typed: its parse returns `any`. What it gives is sections
 * (objects) holding a string for `key = value`, `true` for a bare `key` and an array for
 * `key[] = …`; a `[a.b]` header nests a section where a value may be expected. Reading a value
 * here as text never turns such a section into "[object Object]": it is an error saying where.
 */
import ini from 'ini';

export type IniSection = Record<string, unknown>;

/** Parses INI text into sections (the file's own keys before any header are at the top level). */
export const parseIni = (text: string): IniSection => ini.parse(text);

export const isSection = (v: unknown): v is IniSection => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as text, '' when missing; `what` names it in the error for a section. */
export function iniText(v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map((x) => iniText(x, what)).join(',');
  throw new Error(`${what} is a section, not a value`);
}

/** A comma-separated value as its trimmed, non-empty items. */
export const iniList = (v: unknown, what: string): string[] =>
  iniText(v, what)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
