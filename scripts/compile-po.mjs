// Compiles po/<name>.po into dist/locale/<name>.json (src/i18n/translator.ts: CompiledCatalog) at
// build time, so that a translated start-up reads one small JSON file and never parses po
// syntax; English reads nothing. Untranslated and fuzzy entries are left out (they show in
// English), as msgfmt leaves them out of a .mo file.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import gettextParser from 'gettext-parser';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist', 'locale');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const file of readdirSync(join(root, 'po'))
  .filter((f) => f.endsWith('.po'))
  .sort()) {
  const po = gettextParser.po.parse(readFileSync(join(root, 'po', file)));
  const pluralForms = po.headers['Plural-Forms'];
  if (!pluralForms || /INTEGER|EXPRESSION/.test(pluralForms)) throw new Error(`po/${file}: no Plural-Forms header`);
  const messages = {};
  for (const [context, entries] of Object.entries(po.translations)) {
    for (const m of Object.values(entries)) {
      if (!m.msgid || m.comments?.flag?.split(/,\s*/).includes('fuzzy')) continue;
      if (!m.msgstr.length || m.msgstr.some((s) => !s)) continue;
      messages[context ? `${context}\u0004${m.msgid}` : m.msgid] = m.msgstr;
    }
  }
  const language = basename(file, '.po');
  writeFileSync(join(out, `${language}.json`), JSON.stringify({ language, pluralForms, messages }));
}
