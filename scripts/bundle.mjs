// Bundles the three programs for start-up speed: Node loads an ESM graph of ~150 files (ours,
// dbus-next, chokidar, ini, ...) in ~200 ms on these machines, one bundle in ~15 ms.
// tsc has already type-checked and emitted dist/ (the tests and the client library use that);
// this turns dist/src/bin/*.js into dist/bin/*.js. Verifiers stay a lazily loaded chunk.
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/bin';
// What start-up needs goes into the bundle; every other dependency (the protocols' client
// libraries, loaded on the first check, and the native keyring addon) stays in node_modules.
const BUNDLED = ['dbus-next', 'fast-xml-parser', 'ini'];
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    'px-accounts-service': 'dist/src/bin/px-accounts-service.js',
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
  // Left to node_modules: dbus-next's optional x11 (never taken on a unix socket), and the
  // verifiers' libraries (they locate workers, wasm and locale files next to their own sources).
  external: [...Object.keys(pkg.dependencies).filter((d) => !BUNDLED.includes(d)), 'x11', 'yargs/*'],
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
for (const bin of ['px-accounts-service', 'px-accounts', 'px-accounts-ui']) {
  chmodSync(`${outdir}/${bin}.js`, 0o755);
  symlinkSync(`${bin}.js`, `${outdir}/${bin}`);
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
