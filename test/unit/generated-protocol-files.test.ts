/**
 * The files generated from the built-in protocols' settings for readers and code generators
 * (interfaces/generated/*.xml, the protocol table of docs/plugins.md) are what the settings
 * generate now: a setting changed without `npm run gen` fails here, so a change of the exported
 * contract always shows in the commit that makes it.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_INTERFACES, interfaceFiles } from '../../src/bus/protocol-interface.js';
import { allProtocols, isBuiltin } from '../../src/protocols/registry.js';
import { PROTOCOLS_DOC, protocolTable, withProtocolTable } from '../../src/protocols/table.js';
import { ROOT } from '../harness/session.js';

const builtins = () => allProtocols().filter((p) => isBuiltin(p.id));
const stale = (file: string) =>
  `${file} is not what the protocols' settings generate: run \`npm run gen\` and commit the result`;

describe('files generated from the built-in protocols', () => {
  it('interfaces/generated/ holds exactly the interface of each built-in protocol, as generated', () => {
    const expected = interfaceFiles(builtins());
    const dir = join(ROOT, GENERATED_INTERFACES);
    assert.deepEqual(readdirSync(dir).sort(), [...expected.keys()].sort(), stale(GENERATED_INTERFACES));
    for (const [name, text] of expected)
      assert.equal(readFileSync(join(dir, name), 'utf8'), text, stale(join(GENERATED_INTERFACES, name)));
  });

  it("docs/plugins.md's protocol table lists every built-in protocol as generated", () => {
    const doc = readFileSync(join(ROOT, PROTOCOLS_DOC), 'utf8');
    assert.equal(doc, withProtocolTable(doc, protocolTable(builtins())), stale(PROTOCOLS_DOC));
    for (const p of builtins()) assert.ok(doc.includes(`| \`${p.id}\` |`), p.id);
  });

  it('a hand-written protocol interface is refused: none is left in interfaces/', () => {
    const handWritten = new Set(readdirSync(join(ROOT, 'interfaces')).filter((f) => f.endsWith('.xml')));
    for (const p of allProtocols())
      assert.ok(!handWritten.has(`${p.iface}.xml`), `${p.iface} is generated; interfaces/${p.iface}.xml must go`);
  });
});
