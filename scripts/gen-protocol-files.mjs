// Writes what derives from the built-in protocols' settings for people and code generators:
// interfaces/generated/<interface>.xml and the protocol table of docs/plugins.md
// (src/bus/protocol-interface.ts, src/protocols/table.ts). Run by `npm run gen` after a build; the tests fail while the
// committed files differ from what this writes. The service itself never reads them: it
// generates the same interfaces at start-up.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allProtocols, isBuiltin } from '../dist/src/protocols/registry.js';
import { GENERATED_INTERFACES, interfaceFiles } from '../dist/src/bus/protocol-interface.js';
import { PROTOCOLS_DOC, protocolTable, withProtocolTable } from '../dist/src/protocols/table.js';

const builtins = allProtocols().filter((p) => isBuiltin(p.id));
const write = (file, text) => {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
};

mkdirSync(GENERATED_INTERFACES, { recursive: true });
const files = interfaceFiles(builtins);
for (const name of readdirSync(GENERATED_INTERFACES)) {
  if (!files.has(name)) {
    rmSync(join(GENERATED_INTERFACES, name));
    console.log(`removed ${join(GENERATED_INTERFACES, name)}`);
  }
}
for (const [name, text] of files) write(join(GENERATED_INTERFACES, name), text);
write(PROTOCOLS_DOC, withProtocolTable(readFileSync(PROTOCOLS_DOC, 'utf8'), protocolTable(builtins)));
