/**
 * The folders of src/ form layers: no import cycle between them (type-only imports count too,
 * since they couple the code just the same). Root files (errors.ts, log.ts, service.ts) are
 * nodes of their own.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../harness/session.js';

const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `protocols/imap/plugin.ts` → `protocols`; `errors.ts` → `errors.ts`. */
const nodeOf = (file: string) => relative(SRC, file).split('/')[0]!;

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files(SRC)) {
    const from = nodeOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const m of readFileSync(file, 'utf8').matchAll(
      /(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g,
    )) {
      const target = resolve(dirname(file), (m[1] ?? m[2])!);
      if (!target.startsWith(SRC + '/')) continue;
      const to = nodeOf(target.replace(/\.js$/, '.ts'));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

describe('layering of src/', () => {
  it('has no import cycle between folders', () => {
    assert.deepEqual(
      cycles(folderGraph()).map((c) => c.join(' → ')),
      [],
    );
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    assert.deepEqual(cycles(g), [['a', 'b', 'c', 'a']]);
  });

  it('the client library and the CLI import nothing of the service', () => {
    const g = folderGraph();
    assert.deepEqual(
      [...g.get('client')!].sort(),
      ['contract', 'dbus-next-adapter.ts'],
      'client imports only itself, the contract names and the dbus-next adapter',
    );
    assert.deepEqual(
      [...(g.get('dbus-next-adapter.ts') ?? [])],
      ['dbus-wire.ts'],
      'the dbus-next adapter imports nothing of ours but the wire encoder',
    );
    assert.deepEqual([...(g.get('dbus-wire.ts') ?? [])], [], 'the wire encoder imports nothing of ours');
    assert.deepEqual([...g.get('contract')!], [], 'the contract names import nothing');
    // util: atomic-write.ts, for the file px-accounts export writes (util imports no service code but log and errors)
    assert.deepEqual(
      [...g.get('cli')!].sort(),
      ['client', 'i18n', 'install-dir.ts', 'util'],
      'cli imports only the client, the translations (where it is installed, and the atomic file writer)',
    );
    // The translations are shared by the CLI, the service and the window: they lean on nothing of the service.
    assert.deepEqual(
      [...g.get('i18n')!].sort(),
      ['install-dir.ts'],
      'i18n imports only where it is installed (its catalogues)',
    );
  });
});
