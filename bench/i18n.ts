/**
 * What a translated start-up pays for its catalogue (docs/translating.md): reading and parsing
 * dist/locale/<lang>.json and compiling its Plural-Forms, median of fresh loads; English reads
 * nothing. Run after npm run build: node dist/bench/i18n.js
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CATALOG_DIR, loadCatalog, parseLocale } from '../src/i18n/index.js';

const RUNS = 50;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const locale of ['de_DE.UTF-8', 'fa_IR.UTF-8']) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const t = loadCatalog(parseLocale(locale));
    t.ngettext('{n} account', '{n} accounts', 2);
    times.push(performance.now() - start);
  }
  const file = join(CATALOG_DIR, `${parseLocale(locale).catalogs[1]}.json`);
  const entries = Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { messages: object }).messages).length;
  console.log(
    `${locale}: first lookup ${median(times).toFixed(2)} ms median of ${RUNS} (first ${times[0]!.toFixed(2)} ms), ${entries} messages, ${(statSync(file).size / 1024).toFixed(0)} KiB`,
  );
}
console.log('C: no catalogue is opened (the msgids are the messages)');
