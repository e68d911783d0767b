/**
 * The compiled contract (dist/contract.json) is used when it was made from exactly the XML
 * found next to it, whatever the files' times; any other XML is parsed.
 */
import { strict as assert } from 'node:assert';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractDigest, loadContract, type CompiledContract } from '../../src/bus/contract.js';
import { ROOT } from '../harness/session.js';

describe('compiled contract', () => {
  let dir: string;
  let xmlDir: string;
  let compiled: string;
  // A marker in the compiled copy only: seen in the result iff the JSON was used.
  const MARK = 'org.pantherx.Test.CompiledMarker';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'px-contract-'));
    xmlDir = join(dir, 'interfaces');
    cpSync(join(ROOT, 'interfaces'), xmlDir, { recursive: true });
    const c = JSON.parse(readFileSync(join(ROOT, 'dist/contract.json'), 'utf8')) as CompiledContract;
    assert.equal(c.digest, contractDigest(join(ROOT, 'interfaces')), 'dist/contract.json is built from interfaces/');
    c.interfaces.push({ name: MARK, methods: [], properties: [], signals: [], annotations: [] });
    compiled = join(dir, 'contract.json');
    writeFileSync(compiled, JSON.stringify(c));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is used for the XML it was made from, even when the XML files are newer', async () => {
    const later = new Date(Date.now() + 3600_000);
    utimesSync(join(xmlDir, 'org.pantherx.Accounts.Manager.xml'), later, later);
    const { interfaces } = await loadContract(xmlDir, compiled);
    assert.ok(interfaces.has(MARK));
    assert.ok(interfaces.has('org.pantherx.Accounts.Manager'));
  });

  it('is not used once the XML changed: the XML is parsed', async () => {
    appendFileSync(join(xmlDir, 'org.pantherx.Accounts.Manager.xml'), '<!-- edited -->\n');
    const { interfaces } = await loadContract(xmlDir, compiled);
    assert.ok(!interfaces.has(MARK));
    assert.ok(interfaces.has('org.pantherx.Accounts.Manager'));
  });

  it('is not used without a digest (built before digests) or when missing', async () => {
    const c = JSON.parse(readFileSync(compiled, 'utf8')) as Partial<CompiledContract>;
    delete c.digest;
    writeFileSync(compiled, JSON.stringify(c));
    assert.ok(!(await loadContract(xmlDir, compiled)).interfaces.has(MARK));
    rmSync(compiled);
    assert.ok((await loadContract(xmlDir, compiled)).interfaces.has('org.pantherx.Accounts.Manager'));
  });
});
