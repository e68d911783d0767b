/** The administrator's policy (src/admin/policy.ts) and the directory watch it is read through, without a bus. */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirWatch } from '../../src/admin/dir-watch.js';
import {
  loadPolicy,
  parsePolicy,
  refusal,
  violations,
  type Policy,
  type PolicySubject,
} from '../../src/admin/policy.js';

const rules = (text: string): Policy => ({ kind: 'rules', rules: parsePolicy(text) });
const catalogue = (provider: string, protocols: string[]): PolicySubject => ({
  provider,
  manual: false,
  discovered: false,
  protocols,
});
const manual = (protocol: string, discovered = false): PolicySubject => ({
  provider: protocol,
  manual: true,
  discovered,
  protocols: [protocol],
});
const FILE = '/etc/px-accounts/policy.ini';

describe('administrator policy (units)', () => {
  it('names each rule broken, with file, section and key', () => {
    const p = rules(
      '[providers]\ndeny = Yahoo, gandi ; comment\n[protocols]\nallow = imap, smtp\n[manual]\nallowed = false\n',
    );
    assert.deepEqual(violations(p, catalogue('yahoo', ['imap', 'pop3'])), [
      `provider yahoo is denied by ${FILE} [providers] deny`,
      `protocol pop3 is not in ${FILE} [protocols] allow`,
    ]);
    assert.deepEqual(violations(p, manual('imap')), [
      `manual set-up is not allowed by ${FILE} [manual] allowed = false`,
    ]);
    assert.deepEqual(violations(p, manual('imap', true)), [], 'discovery is not manual set-up');
    assert.deepEqual(violations(p, catalogue('fastmail', ['imap'])), []);
  });

  it('allow and deny together: in allow and not in deny; [providers] leaves manual set-up to [manual]', () => {
    const p = rules('[providers]\nallow = fastmail, gandi\ndeny = gandi\n');
    assert.deepEqual(violations(p, catalogue('gandi', [])), [`provider gandi is denied by ${FILE} [providers] deny`]);
    assert.deepEqual(violations(p, catalogue('google', [])), [`provider google is not in ${FILE} [providers] allow`]);
    assert.deepEqual(violations(p, manual('sftp')), []);
  });

  it('an update is refused only for what it newly breaks', () => {
    const p = rules('[protocols]\ndeny = ftp, pop3\n');
    const before = catalogue('gandi', ['imap', 'ftp']);
    assert.equal(refusal(p, { ...before, protocols: ['imap', 'ftp'] }, before), undefined);
    assert.equal(refusal(p, { ...before, protocols: ['imap'] }, before), undefined);
    assert.equal(
      refusal(p, { ...before, protocols: ['imap', 'ftp', 'pop3'] }, before),
      `policy: protocol pop3 is denied by ${FILE} [protocols] deny`,
    );
  });

  it('refuses what it cannot understand, and a broken policy refuses every add and every protocol enabled', () => {
    for (const [text, why] of [
      ['[protocol]\ndeny = ftp\n', /unknown section or key 'protocol'/],
      ['deny = ftp\n', /unknown section or key 'deny'/],
      ['[protocols]\nblock = ftp\n', /\[protocols\] has an unknown key 'block'/],
      ['[manual]\nallowed = maybe\n', /\[manual\] allowed must be true or false/],
      ['[providers]\ndeny = fast mail\n', /'fast mail' is not a provider or protocol id/],
      ['[providers]\ndeny[] = a\n', /\[providers\] deny must be a comma-separated list/],
    ] as const)
      assert.throws(() => parsePolicy(text), why, text);
    const broken: Policy = { kind: 'broken', reason: 'x' };
    assert.match(refusal(broken, catalogue('fastmail', ['imap']))!, /cannot be used \(x\), so no account can be added/);
    const before = catalogue('fastmail', ['imap']);
    assert.equal(refusal(broken, { ...before, protocols: [] }, before), undefined);
    assert.match(refusal(broken, { ...before, protocols: ['imap', 'smtp'] }, before)!, /so no protocol can be enabled/);
    assert.deepEqual(violations(broken, catalogue('fastmail', ['imap'])), []);
  });

  it('loads from a file: missing is no policy, a directory or binary is broken', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxa-policy-'));
    try {
      assert.deepEqual(loadPolicy(join(dir, 'policy.ini')), { kind: 'none' });
      writeFileSync(join(dir, 'bin.ini'), 'a\u0000b');
      assert.equal(loadPolicy(join(dir, 'bin.ini')).kind, 'broken');
      assert.equal(loadPolicy(dir).kind, 'broken');
      writeFileSync(join(dir, 'ok.ini'), '[manual]\nallowed = false\n');
      assert.equal(loadPolicy(join(dir, 'ok.ini')).kind, 'rules');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('watches a directory that does not exist yet, and again after it went away', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pxa-dirwatch-'));
    const dir = join(root, 'a', 'b');
    const seen: Array<string | null> = [];
    let wake = () => undefined as void;
    const next = (pred: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`not seen: ${JSON.stringify(seen)}`)), 3000);
        const check = () => {
          if (pred()) {
            clearTimeout(t);
            resolve();
          }
        };
        wake = check;
        check();
      });
    const w = new DirWatch(dir, (name) => {
      seen.push(name);
      wake();
    });
    try {
      w.start();
      mkdirSync(dir, { recursive: true });
      await next(() => seen.includes(null));
      writeFileSync(join(dir, 'policy.ini'), 'x');
      await next(() => seen.includes('policy.ini'));
      seen.length = 0;
      rmSync(join(root, 'a'), { recursive: true });
      await next(() => seen.includes(null));
      seen.length = 0;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'again.ini'), 'x');
      await next(() => seen.includes(null)); // read everything again: again.ini may predate the new watch
    } finally {
      w.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
