/**
 * Clients generated from the contract, as an app developer would build them: a GLib proxy from
 * gdbus-codegen and a Qt proxy from qdbusxml2cpp (examples/glib, examples/qt), compiled here and
 * run against the service: add, typed properties, a protocol interface, a secret,
 * ReportStatus → StatusChanged, remove.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { contractFiles } from '../harness/contract.js';
import { ROOT as REPO } from '../harness/session.js';
import { useFixture } from '../harness/fixture.js';

const exec = promisify(execFile);

describe('clients generated from interfaces/*.xml and interfaces/generated/*.xml (GLib and Qt)', function () {
  this.timeout(180_000);
  const f = useFixture({ service: true });
  const build = mkdtempSync(join(tmpdir(), 'px-clients-'));
  after(() => rmSync(build, { recursive: true, force: true }));

  it('every file of the contract, hand-written or generated, generates a proxy with qdbusxml2cpp and with gdbus-codegen', async () => {
    const xml = contractFiles;
    assert.ok(xml.some((x) => x.endsWith('/generated/org.pantherx.Accounts.Imap.xml')) && xml.length >= 19);
    for (const file of xml) {
      const out = join(
        build,
        'qt-all',
        file
          .split('/')
          .pop()!
          .replace(/\.xml$/, ''),
      );
      mkdirSync(join(build, 'qt-all'), { recursive: true });
      const r = await exec('qdbusxml2cpp', ['-p', out, file]);
      assert.equal(r.stderr, '', `${file}: ${r.stderr}`);
    }
    await exec('gdbus-codegen', [
      '--generate-c-code',
      join(build, 'all-generated'),
      '--c-namespace',
      'Px',
      '--interface-prefix',
      'org.pantherx.Accounts.',
      ...xml,
    ]);
  });

  for (const [kind, program] of [
    ['glib', 'px-accounts-glib-example'],
    ['qt', 'px-accounts-qt-example'],
  ] as const) {
    it(`${kind}: builds from the contract and does every step against the service`, async () => {
      const dir = join(build, kind);
      await exec('make', ['-s', '-C', join(REPO, 'examples', kind), `BUILD=${dir}`], { timeout: 170_000 });
      const { stdout } = await exec(join(dir, program), [], { env: f.session.env, timeout: 20_000 });
      const lines = stdout.trim().split('\n');
      assert.match(lines[0]!, /^added \/org\/pantherx\/Accounts\/account\/imap_\w+_example_org$/);
      assert.match(lines[1]!, /^name \S+@example\.org provider imap status none$/);
      assert.equal(lines[2], 'imap 127.0.0.1:1143 security none');
      assert.equal(lines[3], 'secret matches');
      assert.equal(lines[4], `StatusChanged online synced by the ${kind === 'qt' ? 'Qt' : 'GLib'} example`);
      assert.equal(lines[5], 'removed');
      assert.deepEqual(
        (await f.client.managedObjects())[lines[0]!.slice('added '.length)],
        undefined,
        'the account is gone',
      );
    });
  }
});
