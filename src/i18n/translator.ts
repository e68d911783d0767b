/**
 * Looking messages up in a compiled catalogue (scripts/compile-po.mjs makes one from a po/*.po
 * file). No Node API here, so the window's scripts can use it in the browser too.
 */

/** A catalogue as scripts/compile-po.mjs writes it (dist/locale/<name>.json). */
export interface CompiledCatalog {
  /** The po file's name: "de", "fa", "pt_BR". */
  readonly language: string;
  /** The po header's Plural-Forms ("nplurals=2; plural=(n != 1);"). */
  readonly pluralForms: string;
  /** Translated, non-fuzzy messages: key (msgctxt + "\u0004" + msgid, or msgid) → forms. */
  readonly messages: Readonly<Record<string, readonly string[]>>;
}

/** Placeholder values: `{name}` in a message is replaced by `values.name`. */
export type Values = Readonly<Record<string, string | number | bigint>>;

/** Compiles a C plural expression to n → form index (@tannin/plural-forms' default export). */
export type PluralCompiler = (expression: string) => (n: number) => number;

/**
 * The index of the plural form for n, from a catalogue's Plural-Forms header
 * ("nplurals=2; plural=(n != 1);"); form 0 for every n when the header names no rule.
 * The compiler is passed in so that Node loads it only with a catalogue and the page bundles it.
 */
export function pluralRule(header: string, compile: PluralCompiler): (n: number) => number {
  const expression = /plural\s*=\s*([^;]+)/.exec(header)?.[1];
  return expression ? compile(expression) : () => 0;
}

/** gettext's separator of context and msgid in a catalogue key. */
export const CONTEXT_GLUE = '\u0004';

/** `{name}` → values.name; a placeholder without a value stays as written. */
export function interpolate(text: string, values?: Values): string {
  if (!values) return text;
  return text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}

export class Translator {
  /**
   * `catalog` undefined: English, the msgids themselves. `plural` computes the form's index for
   * n from the catalogue's Plural-Forms header (the caller compiles it with a library).
   */
  constructor(
    private readonly catalog?: CompiledCatalog,
    private readonly plural?: (n: number) => number,
  ) {}

  /** The catalogue's language, or undefined for the program's own English. */
  get language(): string | undefined {
    return this.catalog?.language;
  }

  gettext(msgid: string, values?: Values): string {
    return interpolate(this.catalog?.messages[msgid]?.[0] || msgid, values);
  }

  ngettext(msgid: string, msgidPlural: string, n: number, values?: Values): string {
    return interpolate(this.pick(msgid, msgid, msgidPlural, n), values);
  }

  pgettext(context: string, msgid: string, values?: Values): string {
    return interpolate(this.catalog?.messages[context + CONTEXT_GLUE + msgid]?.[0] || msgid, values);
  }

  npgettext(context: string, msgid: string, msgidPlural: string, n: number, values?: Values): string {
    return interpolate(this.pick(context + CONTEXT_GLUE + msgid, msgid, msgidPlural, n), values);
  }

  private pick(key: string, msgid: string, msgidPlural: string, n: number): string {
    const forms = this.catalog?.messages[key];
    if (forms && this.plural) {
      const form = forms[this.plural(Math.abs(n))];
      if (form) return form;
    }
    // English: gettext's own rule for the untranslated msgids.
    return n === 1 ? msgid : msgidPlural;
  }
}
