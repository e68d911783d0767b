/**
 * The window's language: the browser's choice (Accept-Language, which follows the person's
 * language settings) among the catalogues the build compiled into dist/locale, else the
 * program's own English. The page gets its catalogue inside index.html (no extra request, no
 * English flash) and the server words its own answers (check results, errors) with it too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import Negotiator from 'negotiator';
import { CATALOG_DIR, pluralFunction, Translator, type CompiledCatalog } from '../i18n/index.js';

export interface PageLanguage {
  /** The catalogue's name as a language tag ("de", "fa", "pt-BR"), "en" for English. */
  readonly tag: string;
  readonly dir: 'ltr' | 'rtl';
  /** undefined for English. */
  readonly catalog: CompiledCatalog | undefined;
  readonly translator: Translator;
}

const ENGLISH: PageLanguage = { tag: 'en', dir: 'ltr', catalog: undefined, translator: new Translator() };

/** Right to left or not, as CLDR says for the language (Intl.Locale's text info). */
function direction(tag: string): 'ltr' | 'rtl' {
  const locale = new Intl.Locale(tag) as Intl.Locale & {
    textInfo?: { direction?: string };
    getTextInfo?: () => { direction?: string };
  };
  return (locale.getTextInfo?.() ?? locale.textInfo)?.direction === 'rtl' ? 'rtl' : 'ltr';
}

export class PageLanguages {
  private readonly byTag = new Map<string, PageLanguage>([['en', ENGLISH]]);

  /** Reads every compiled catalogue once; none (a build without po/) leaves English alone. */
  constructor(dir = CATALOG_DIR) {
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    } catch {
      // no catalogues installed
    }
    for (const file of files.sort()) {
      const catalog = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CompiledCatalog;
      const tag = catalog.language.replace('_', '-');
      this.byTag.set(tag, {
        tag,
        dir: direction(tag),
        catalog,
        translator: new Translator(catalog, pluralFunction(catalog.pluralForms)),
      });
    }
  }

  /** The best language for a request; English when the browser names none of ours first. */
  of(req: IncomingMessage): PageLanguage {
    const [best] = new Negotiator({ headers: { 'accept-language': req.headers['accept-language'] } }).languages([
      ...this.byTag.keys(),
    ]);
    return (best !== undefined && this.byTag.get(best)) || ENGLISH;
  }
}

const speaking = new AsyncLocalStorage<Translator>();

/** Runs `fn` (a request's handling, and what it starts) with that request's language. */
export function speak<T>(language: PageLanguage, fn: () => T): T {
  return speaking.run(language.translator, fn);
}

/** The words of the request being answered (src/ui/words.ts, the server's own pages); English outside one. */
export function words(): Translator {
  return speaking.getStore() ?? ENGLISH.translator;
}

/** index.html in a language: <html lang dir>, and the catalogue as a JSON data block (CSP allows data, it runs no script). */
export function pageIn(html: string, language: PageLanguage): string {
  const data = language.catalog ? JSON.stringify(language.catalog).replace(/</g, '\\u003c') : '';
  return html
    .replace(/<html lang="en">/, `<html lang="${language.tag}" dir="${language.dir}">`)
    .replace(
      '</head>',
      `${data ? `  <script type="application/json" id="px-messages">${data}</script>\n` : ''}</head>`,
    );
}
