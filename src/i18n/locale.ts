/**
 * Which language a process speaks, from the environment as gettext reads it: the first of
 * LC_ALL, LC_MESSAGES and LANG that is set and not empty. `C`, `POSIX` and nothing at all mean
 * untranslated English (C.UTF-8 too). No file is read here.
 */

export interface Locale {
  /** The POSIX name as found ("de_DE.UTF-8"), or "C". */
  readonly posix: string;
  /** C/POSIX: the program's own English, with its machine-neutral forms (ISO times, plain numbers). */
  readonly isC: boolean;
  /** Catalogue names to try, most specific first ("de_DE", "de"); none for C. */
  readonly catalogs: readonly string[];
  /** The BCP 47 tag for Intl ("de-DE", "fa-IR"; "en-US" for C). */
  readonly tag: string;
}

const C_LOCALE: Locale = { posix: 'C', isC: true, catalogs: [], tag: 'en-US' };

/** The locale of messages, LC_ALL over LC_MESSAGES over LANG. */
export function messagesLocale(env: NodeJS.ProcessEnv = process.env): Locale {
  const name = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '');
  return name === undefined ? C_LOCALE : parseLocale(name);
}

/** language[_TERRITORY][.codeset][@modifier], as in "fa_IR.UTF-8" or "sr_RS@latin". */
export function parseLocale(posix: string): Locale {
  const m = /^([a-zA-Z]{2,8})(?:_([a-zA-Z0-9]{2,8}))?(?:\.[^@]*)?(?:@.*)?$/.exec(posix);
  if (!m || /^(C|POSIX)$/i.test(m[1]!)) return { ...C_LOCALE, posix };
  const language = m[1]!.toLowerCase();
  const territory = m[2]?.toUpperCase();
  return {
    posix,
    isC: false,
    catalogs: territory ? [`${language}_${territory}`, language] : [language],
    tag: intlTag(language, territory),
  };
}

/** A tag Intl accepts, falling back to the language alone, then to English. */
function intlTag(language: string, territory: string | undefined): string {
  for (const tag of territory ? [`${language}-${territory}`, language] : [language]) {
    try {
      return Intl.getCanonicalLocales(tag)[0]!;
    } catch {
      // not a valid BCP 47 tag: try the next
    }
  }
  return 'en-US';
}
