/**
 * Translations (docs/translating.md): the locale from the environment, catalogue lookups with
 * the plural rule of the catalogue's own header, the template up to date with the sources, and
 * German and Persian complete.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import gettextParser from 'gettext-parser';
import {
  loadCatalog,
  messagesLocale,
  parseLocale,
  pluralFunction,
  Translator,
  type CompiledCatalog,
} from '../../src/i18n/index.js';
import { ROOT } from '../harness/session.js';

const EXTRACT = join(ROOT, 'scripts', 'i18n-extract.mjs');
const LANGUAGES = ['de', 'fa'];

describe('i18n: the locale', () => {
  it('LC_ALL over LC_MESSAGES over LANG; empty ones are skipped', () => {
    assert.equal(messagesLocale({ LC_ALL: 'de_DE.UTF-8', LC_MESSAGES: 'fa_IR.UTF-8', LANG: 'C' }).posix, 'de_DE.UTF-8');
    assert.equal(messagesLocale({ LC_ALL: '', LC_MESSAGES: 'fa_IR.UTF-8', LANG: 'de_DE.UTF-8' }).posix, 'fa_IR.UTF-8');
    assert.equal(messagesLocale({ LANG: 'de_AT.UTF-8' }).posix, 'de_AT.UTF-8');
    assert.equal(messagesLocale({}).isC, true);
  });

  it('C, POSIX and C.UTF-8 are the untranslated English; names give catalogues and an Intl tag', () => {
    for (const c of ['C', 'POSIX', 'C.UTF-8', 'C.utf8']) assert.equal(parseLocale(c).isC, true, c);
    assert.deepEqual([parseLocale('de_DE.UTF-8').catalogs, parseLocale('de_DE.UTF-8').tag], [['de_DE', 'de'], 'de-DE']);
    assert.deepEqual([parseLocale('fa_IR.UTF-8').catalogs, parseLocale('fa_IR.UTF-8').tag], [['fa_IR', 'fa'], 'fa-IR']);
    assert.deepEqual([parseLocale('sr_RS@latin').catalogs, parseLocale('fa').tag], [['sr_RS', 'sr'], 'fa']);
  });
});

describe('i18n: lookups', () => {
  const catalog = (pluralForms: string): CompiledCatalog => ({
    language: 'xx',
    pluralForms,
    messages: {
      'Removed {id}': ['Entfernt: {id}'],
      '{n} account': ['{n} Konto', '{n} Konten'],
      'status\u0004online': ['verbunden'],
    },
  });

  it('plural forms follow the header: German (n != 1), Persian (n > 1)', () => {
    const de = new Translator(catalog('nplurals=2; plural=(n != 1);'), pluralFunction('nplurals=2; plural=(n != 1);'));
    assert.deepEqual(
      [0, 1, 2].map((n) => de.ngettext('{n} account', '{n} accounts', n, { n })),
      ['0 Konten', '1 Konto', '2 Konten'],
    );
    const fa = new Translator(catalog('nplurals=2; plural=(n > 1);'), pluralFunction('nplurals=2; plural=(n > 1);'));
    assert.deepEqual(
      [0, 1, 2].map((n) => fa.ngettext('{n} account', '{n} accounts', n, { n })),
      ['0 Konto', '1 Konto', '2 Konten'],
    );
  });

  it('context, placeholders, and English for what the catalogue lacks', () => {
    const t = new Translator(catalog('nplurals=2; plural=(n != 1);'), pluralFunction('nplurals=2; plural=(n != 1);'));
    assert.equal(t.gettext('Removed {id}', { id: 'a_b' }), 'Entfernt: a_b');
    assert.equal(t.pgettext('status', 'online'), 'verbunden');
    assert.equal(t.gettext('online'), 'online', 'without its context it is another message');
    assert.equal(t.ngettext('{n} file', '{n} files', 3, { n: 3 }), '3 files');
    assert.equal(new Translator().ngettext('{n} file', '{n} files', 1, { n: 1 }), '1 file');
    assert.equal(t.gettext('{missing} stays'), '{missing} stays');
  });

  it('the built catalogues load by locale name, most specific first, none for an unknown language', () => {
    assert.equal(loadCatalog(parseLocale('de_CH.UTF-8')).language, 'de');
    assert.equal(loadCatalog(parseLocale('fa_IR.UTF-8')).language, 'fa');
    assert.equal(loadCatalog(parseLocale('xx_YY.UTF-8')).language, undefined);
  });
});

describe('i18n: the catalogues', () => {
  it('po/px-accounts.pot has every string of the sources, and no stale one', () => {
    const r = spawnSync(process.execPath, [EXTRACT, '--check'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('the check fails on a shown string missing from the template, and refuses a ${} msgid', () => {
    const root = mkdtempSync(join(tmpdir(), 'pxa-i18n-'));
    mkdirSync(join(root, 'src'));
    mkdirSync(join(root, 'po'));
    writeFileSync(join(root, 'package.json'), '{"version":"0.0.0"}');
    writeFileSync(join(root, 'src', 'a.ts'), "import { _ } from './i18n.js';\nexport const a = _('Known');\n");
    execFileSync(process.execPath, [EXTRACT, '--root', root], { stdio: 'pipe' });
    writeFileSync(
      join(root, 'src', 'b.ts'),
      "import { ngettext } from './i18n.js';\nexport const b = (n: number) => ngettext('{n} new thing', '{n} new things', n, { n });\n",
    );
    const missing = spawnSync(process.execPath, [EXTRACT, '--root', root, '--check'], { encoding: 'utf8' });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /not in po\/px-accounts\.pot: \["","\{n\} new thing","\{n\} new things"\]/);
    writeFileSync(
      join(root, 'src', 'c.ts'),
      "import { _ } from './i18n.js';\nexport const c = (id: string) => _(`Removed ${id}`);\n",
    );
    const templated = spawnSync(process.execPath, [EXTRACT, '--root', root, '--check'], { encoding: 'utf8' });
    assert.equal(templated.status, 1);
    assert.match(templated.stderr, /src\/c\.ts:2: _\(\) with a \$\{\.\.\.\} template/);
  });

  for (const lang of LANGUAGES) {
    it(`po/${lang}.po is complete: every template string translated, none fuzzy, every plural form, the same placeholders`, () => {
      const template = gettextParser.po.parse(readFileSync(join(ROOT, 'po', 'px-accounts.pot')));
      const po = gettextParser.po.parse(readFileSync(join(ROOT, 'po', `${lang}.po`)));
      const nplurals = Number(/nplurals\s*=\s*(\d+)/.exec(po.headers['Plural-Forms'] ?? '')?.[1]);
      assert.ok(nplurals >= 1, 'a Plural-Forms header');
      const placeholders = (s: string) =>
        [...s.matchAll(/\{[A-Za-z_]\w*\}|%[sd]/g)]
          .map((m) => m[0])
          .sort()
          .join(' ');
      const problems: string[] = [];
      for (const [context, messages] of Object.entries(template.translations)) {
        for (const m of Object.values(messages)) {
          if (!m.msgid) continue;
          const name = `${context ? `[${context}] ` : ''}${m.msgid}`;
          const t = po.translations[context]?.[m.msgid];
          if (!t || t.msgstr.every((s) => !s)) {
            problems.push(`untranslated: ${name}`);
            continue;
          }
          if (t.comments?.flag?.split(/,\s*/).includes('fuzzy')) problems.push(`fuzzy: ${name}`);
          const forms = m.msgid_plural === undefined ? 1 : nplurals;
          if (t.msgstr.length !== forms || t.msgstr.some((s) => !s)) problems.push(`${forms} form(s) wanted: ${name}`);
          // A plural form may leave the count out ("one account" for 1); every other placeholder stays.
          const wanted = placeholders(m.msgid_plural ?? m.msgid);
          for (const s of t.msgstr) {
            const got = placeholders(s);
            if (got !== wanted && !(m.msgid_plural !== undefined && placeholders(m.msgid) === got))
              problems.push(`placeholders ${got || '(none)'} instead of ${wanted}: ${name}`);
          }
        }
      }
      assert.deepEqual(problems, []);
      // and GNU gettext's own checks (header, plural forms, format strings)
      execFileSync('msgfmt', ['--check', '-o', '/dev/null', join(ROOT, 'po', `${lang}.po`)], { stdio: 'pipe' });
    });
  }
});
