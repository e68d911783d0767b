// Bundles the three programs for start-up speed: Node loads an ESM graph of ~150 files (ours,
// dbus-next, chokidar, ini, ...) in ~200 ms on these machines, one bundle in ~15 ms.
// tsc has already type-checked and emitted dist/ (the tests and the client library use that);
// this turns dist/src/bin/*.js into dist/bin/*.js. Verifiers stay a lazily loaded chunk.
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build, transform } from 'esbuild';

const outdir = 'dist/bin';
// What start-up needs goes into the bundle; every other dependency (the protocols' client
// libraries, loaded on the first check, and the native keyring addon) stays in node_modules.
const BUNDLED = ['dbus-next', 'fast-xml-parser', 'ini'];
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
// Left to node_modules: dbus-next's optional x11 (never taken on a unix socket), and the
// verifiers' libraries (they locate workers, wasm and locale files next to their own sources).
const external = [...Object.keys(pkg.dependencies).filter((d) => !BUNDLED.includes(d)), 'x11', 'yargs/*'];
rmSync(outdir, { recursive: true, force: true });
// dbus-next's MessageBus builds an xml2js.Builder when it is created, for interfaces exported
// with bus.export(), and its proxies parse introspection with xml2js.Parser. The service uses
// neither (src/bus/object-server.ts answers Introspect from the contract), so xml2js (with sax
// and xmlbuilder, 200 kB) is left in node_modules and required on first use: −3 MB RSS at start.
const lazyXml2js = {
  name: 'lazy-xml2js',
  setup(b) {
    b.onResolve({ filter: /^xml2js$/ }, (args) =>
      args.namespace === 'lazy-xml2js'
        ? { path: 'xml2js', external: true }
        : { path: 'xml2js', namespace: 'lazy-xml2js' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-xml2js' }, () => ({
      loader: 'js',
      contents: `let lib;
const load = () => (lib ??= require('xml2js'));
class Builder {
  constructor(options) { this.options = options; }
  buildObject(root) { return new (load().Builder)(this.options).buildObject(root); }
}
class Parser {
  constructor(options) { return new (load().Parser)(options); }
}
module.exports = { Builder, Parser };`,
    }));
  },
};
// Node built-ins that the service's start-up (up to the first GetManagedObjects) never calls,
// but that modules on its static import graph import at their top (sign-in servers, TLS checks,
// worker threads, plugin processes; dbus-next's assert): each is a stand-in that requires the
// real module on the first access to one of its members. Evaluating them at start-up cost
// ~2.5 MB of RSS and ~10 ms of CPU (docs/benchmarks.md). A member read at a module's top level
// loads the module there, so keep such reads inside functions (src/protocols/common/bounded-fetch.ts).
const LAZY_BUILTINS = ['assert', 'child_process', 'http', 'https', 'tls', 'worker_threads'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-builtins'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtins' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtins' }, (args) => {
      const real = createRequire(import.meta.url)(`node:${args.path}`);
      // Its members as getters, so that esbuild's __toESM copies them without loading anything;
      // the Proxy answers any member this Node has and the build's did not. __esModule is asked
      // by __toESM itself and is no member of a built-in.
      return {
        loader: 'js',
        contents: `let lib;
const load = () => (lib ??= require('node:${args.path}'));
const target = ${typeof real === 'function' ? 'function (...a) { return load().apply(this, a); }' : '{}'};
for (const key of ${JSON.stringify(Object.getOwnPropertyNames(real).filter((k) => !['length', 'name', 'prototype'].includes(k)))})
  Object.defineProperty(target, key, { get: () => load()[key], enumerable: true, configurable: true });
module.exports = new Proxy(target, { get: (_, key) => (key === '__esModule' ? undefined : load()[key]) });`,
      };
    });
  },
};
// The service is one CommonJS file: Node 20 loads an ES module graph through its ESM loader
// (resolve and link every chunk, cjs-module-lexer over each CommonJS dependency), which cost
// ~90 ms of CPU and 8 MB of RSS more than require() of the same code (docs/benchmarks.md).
// What it import()s is still evaluated on first use (esbuild wraps those modules in lazy
// initialisers); import() of a package stays import(). The CLI and the window keep ESM (they
// use top-level await). The metafile says what start-up evaluates (test/discovery/units.test.ts).
const service = await build({
  entryPoints: { 'px-accounts-service': 'dist/src/bin/px-accounts-service.js' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [lazyXml2js, lazyBuiltins],
  // new Worker(new URL('./verifier-worker.js', import.meta.url)) and createRequire(import.meta.url)
  define: { 'import.meta.url': 'pxImportMetaUrl' },
  // ("use strict" first: a banner before esbuild's own would make it no directive)
  banner: { js: "'use strict';\nconst pxImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
// V8 keeps the source of a script for as long as it runs, as a one-byte string when every
// character is ASCII and as a two-byte one otherwise: 1 MB against 2 MB here. esbuild escapes
// non-ASCII in strings, templates and regular expressions (charset 'ascii', its default) but
// keeps comments as they are, and ours and fast-xml-parser's have dashes and arrows. Those are
// written as \u escapes; the check proves that nothing but comments changed (without comments
// and whitespace, the code before and after is the same).
{
  const file = `${outdir}/px-accounts-service.cjs`;
  const text = readFileSync(file, 'utf8');
  const ascii = text.replace(/[^\0-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
  const code = async (js) => (await transform(js, { loader: 'js', minifyWhitespace: true, charset: 'ascii' })).code;
  if ((await code(ascii)) !== (await code(text))) throw new Error(`bundle: non-ASCII outside comments in ${file}`);
  writeFileSync(file, ascii);
}
writeFileSync(`${outdir}/px-accounts-service.meta.json`, JSON.stringify(service.metafile));
await build({
  entryPoints: {
    'px-accounts': 'dist/src/bin/px-accounts.js',
    'px-accounts-ui': 'dist/src/bin/px-accounts-ui.js',
    // started with new Worker(new URL('./<name>.js', import.meta.url)): same directory
    'verifier-worker': 'dist/src/verify/verifier-worker.js',
    // Export and Import's passphrase encryption (src/transfer/age.ts), one thread per file
    'age-worker': 'dist/src/transfer/age-worker.js',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // CommonJS dependencies use require, __filename and __dirname; give the ESM bundle them.
  banner: {
    js: [
      "import { createRequire as pxCreateRequire } from 'node:module';",
      "import { fileURLToPath as pxFileURLToPath } from 'node:url';",
      'const require = pxCreateRequire(import.meta.url);',
      'const __filename = pxFileURLToPath(import.meta.url);',
      "const __dirname = pxFileURLToPath(new URL('.', import.meta.url));",
    ].join(' '),
  },
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// new Worker(new URL('./<name>.js', import.meta.url)) must sit next to the worker, i.e. in an
// entry file, not in a shared chunk under chunks/.
for (const chunk of readdirSync(`${outdir}/chunks`).filter((f) => f.endsWith('.js'))) {
  const text = readFileSync(`${outdir}/chunks/${chunk}`, 'utf8');
  for (const w of ['./verifier-worker.js', './age-worker.js']) {
    if (text.includes(w))
      throw new Error(`bundle: a worker is started from chunks/${chunk}, where ${w} does not resolve`);
  }
}
// dist/bin on PATH gives the commands their installed names (scripts/start.sh prints how).
for (const file of ['px-accounts-service.cjs', 'px-accounts.js', 'px-accounts-ui.js']) {
  chmodSync(`${outdir}/${file}`, 0o755);
  symlinkSync(file, `${outdir}/${file.replace(/\.c?js$/, '')}`);
}
// The window's page next to the tsc output of src/ui, where package.json's "files" (dist/src)
// ships it and the server finds it: index.html and the CSS as they are, and its TypeScript
// (src/ui/page, type-checked by its own tsconfig in the build) as one browser bundle, app.js.
rmSync('dist/src/ui/static', { recursive: true, force: true });
cpSync('src/ui/static', 'dist/src/ui/static', { recursive: true });
await build({
  entryPoints: ['src/ui/page/app.ts'],
  outfile: 'dist/src/ui/static/app.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome111',
  logLevel: 'warning',
});
// Its icon is the menu entry's (desktop/), stated once.
cpSync('desktop/px-accounts.svg', 'dist/src/ui/static/icon.svg');
