// Collects every translatable string of src/**/*.ts into po/px-accounts.pot and merges the
// template into each po/<lang>.po with GNU msgmerge (docs/translating.md).
//
//   node scripts/i18n-extract.mjs            write the template, merge the catalogues (npm run i18n:extract)
//   node scripts/i18n-extract.mjs --check    exit 1 when the committed template lacks a string or has a stale one
//   --root DIR --pot FILE                    another tree (the tests' own fixtures)
//
// Strings are found with the TypeScript compiler's parser, not with patterns: the first
// arguments of _(), N_(), ngettext(), pgettext(), npgettext() (plain functions, or methods of
// a Translator) when they are string literals. A non-literal msgid is a lookup of a string
// marked elsewhere with N_() and is skipped; a template literal with ${...} is refused, since
// it could never match a catalogue entry.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { argv, exit, stderr } from 'node:process';
import gettextParser from 'gettext-parser';
import ts from 'typescript';

/** callee name → where msgctxt, msgid and msgid_plural are among the arguments */
const KEYWORDS = {
  _: { id: 0 },
  N_: { id: 0 },
  gettext: { id: 0 },
  ngettext: { id: 0, plural: 1 },
  pgettext: { context: 0, id: 1 },
  npgettext: { context: 0, id: 1, plural: 2 },
};

function option(name, fallback) {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
}

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/** A literal's text: 'a', `b` without substitutions, and 'a' + 'b'; undefined for anything else. */
function literal(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isParenthesizedExpression(node)) return literal(node.expression);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const a = literal(node.left);
    const b = literal(node.right);
    return a === undefined || b === undefined ? undefined : a + b;
  }
  return undefined;
}

/** `// translators: ...` lines right above the line a call starts on. */
function translatorComment(lines, line) {
  const found = [];
  for (let i = line - 1; i >= 0; i--) {
    const m = /^\s*\/\/\s?(.*)$/.exec(lines[i]);
    if (!m) break;
    found.unshift(m[1]);
  }
  const start = found.findIndex((l) => /^translators:/i.test(l));
  return start < 0 ? undefined : found.slice(start).join(' ').trim();
}

/** Every translatable string under root/src, in file order: [{ context, id, plural, files, comments }]. */
export function extract(root) {
  const entries = new Map();
  const problems = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file).split(sep).join('/');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const lines = text.split('\n');
    const visit = (node) => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const name = ts.isIdentifier(callee)
          ? callee.text
          : ts.isPropertyAccessExpression(callee)
            ? callee.name.text
            : undefined;
        const spec = name !== undefined && Object.hasOwn(KEYWORDS, name) ? KEYWORDS[name] : undefined;
        if (spec && !(ts.isPropertyAccessExpression(callee) && name === 'N_')) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
          const arg = (i) => (i === undefined ? undefined : node.arguments[i]);
          const id = arg(spec.id) && literal(arg(spec.id));
          const templated = [spec.context, spec.id, spec.plural].map(arg).find((a) => a && ts.isTemplateExpression(a));
          if (templated) {
            problems.push(`${where}:${line + 1}: ${name}() with a \${...} template: use a {placeholder} and values`);
          } else if (id !== undefined) {
            const context = spec.context === undefined ? undefined : literal(arg(spec.context));
            const plural = spec.plural === undefined ? undefined : literal(arg(spec.plural));
            if (
              (spec.context !== undefined && context === undefined) ||
              (spec.plural !== undefined && plural === undefined)
            ) {
              problems.push(`${where}:${line + 1}: ${name}() needs literal strings for its context and plural`);
            } else if (id === '') {
              problems.push(`${where}:${line + 1}: ${name}('') : the empty msgid is the catalogue's header`);
            } else {
              const key = `${context ?? ''}\u0004${id}`;
              const entry = entries.get(key) ?? { context, id, plural, files: [], comments: [] };
              if (entry.plural !== plural)
                problems.push(`${where}:${line + 1}: '${id}' is used with two different plurals`);
              if (!entry.files.includes(where)) entry.files.push(where);
              const comment = translatorComment(lines, line);
              if (comment && !entry.comments.includes(comment)) entry.comments.push(comment);
              entries.set(key, entry);
            }
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { entries: [...entries.values()], problems };
}

/** The template's text, as GNU gettext lays it out (folded at 79 columns). */
export function potText(entries, version) {
  const translations = {};
  for (const e of entries) {
    const ctx = (translations[e.context ?? ''] ??= {});
    ctx[e.id] = {
      ...(e.context !== undefined ? { msgctxt: e.context } : {}),
      msgid: e.id,
      ...(e.plural !== undefined ? { msgid_plural: e.plural } : {}),
      msgstr: e.plural !== undefined ? ['', ''] : [''],
      comments: { reference: e.files.join('\n'), ...(e.comments.length ? { extracted: e.comments.join('\n') } : {}) },
    };
  }
  translations[''] ??= {};
  translations[''][''] = { msgid: '', msgstr: [''] };
  const headers = {
    'Project-Id-Version': `px-accounts ${version}`,
    'Report-Msgid-Bugs-To': '',
    'PO-Revision-Date': 'YEAR-MO-DA HO:MI+ZONE',
    'Last-Translator': 'FULL NAME <EMAIL@ADDRESS>',
    'Language-Team': 'LANGUAGE <LL@li.org>',
    Language: '',
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=UTF-8',
    'Content-Transfer-Encoding': '8bit',
    'Plural-Forms': 'nplurals=INTEGER; plural=EXPRESSION;',
  };
  // Entries keep the order they were found in (files sorted, then position), as xgettext's.
  const order = new Map(entries.map((e, i) => [`${e.context ?? ''}\u0004${e.id}`, i]));
  const rank = (m) => order.get(`${m.msgctxt ?? ''}\u0004${m.msgid}`) ?? -1;
  const out = gettextParser.po
    .compile({ charset: 'utf-8', headers, translations }, { sort: (a, b) => rank(a) - rank(b) })
    .toString('utf8');
  return `# Template of the messages of px-accounts: npm run i18n:extract writes it; do not edit.\n${out}\n`;
}

/** (context, msgid, plural) of every entry of a po or pot file. */
export function catalogKeys(text) {
  const po = gettextParser.po.parse(text);
  const keys = new Set();
  for (const [context, messages] of Object.entries(po.translations)) {
    for (const m of Object.values(messages))
      if (m.msgid) keys.add(JSON.stringify([context, m.msgid, m.msgid_plural ?? null]));
  }
  return keys;
}

const isMain = import.meta.url === `file://${argv[1]}`;
if (isMain) {
  const root = option('--root', join(import.meta.dirname, '..'));
  const pot = option('--pot', join(root, 'po', 'px-accounts.pot'));
  const { entries, problems } = extract(root);
  if (problems.length) {
    stderr.write(problems.map((p) => `i18n-extract: ${p}\n`).join(''));
    exit(1);
  }
  if (argv.includes('--check')) {
    let committed;
    try {
      committed = catalogKeys(readFileSync(pot));
    } catch {
      committed = new Set();
    }
    const found = new Set(entries.map((e) => JSON.stringify([e.context ?? '', e.id, e.plural ?? null])));
    const missing = [...found].filter((k) => !committed.has(k));
    const stale = [...committed].filter((k) => !found.has(k));
    for (const k of missing) stderr.write(`i18n-extract: not in ${relative(root, pot)}: ${k}\n`);
    for (const k of stale) stderr.write(`i18n-extract: in ${relative(root, pot)} but no longer in the sources: ${k}\n`);
    if (missing.length || stale.length) {
      stderr.write('i18n-extract: run npm run i18n:extract and translate the new strings (docs/translating.md)\n');
      exit(1);
    }
    exit(0);
  }
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  writeFileSync(pot, potText(entries, version));
  stderr.write(`i18n-extract: ${entries.length} strings in ${relative(root, pot)}\n`);
  for (const po of readdirSync(join(root, 'po'))
    .filter((f) => f.endsWith('.po'))
    .sort()) {
    try {
      execFileSync('msgmerge', ['--quiet', '--update', '--backup=none', '--previous', join(root, 'po', po), pot], {
        stdio: 'inherit',
      });
      stderr.write(`i18n-extract: merged into po/${po}\n`);
    } catch (err) {
      stderr.write(
        `i18n-extract: po/${po} not merged (${err.code === 'ENOENT' ? 'msgmerge is in the Debian package gettext' : err.message})\n`,
      );
      exit(1);
    }
  }
}
