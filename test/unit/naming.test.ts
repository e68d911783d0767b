import { strict as assert } from 'node:assert';
import { baseId, freeId, normaliseUsername, ACCOUNT_ID } from '../../src/model/account.js';
import { Catalogue, BUILTIN_PROVIDER_DIR } from '../../src/providers/catalogue.js';

const catalogue = Catalogue.load([BUILTIN_PROVIDER_DIR]);

describe('naming rules', () => {
  it('derives ids by the seed rule', () => {
    assert.equal(baseId('fastmail', 'info@pantherx.org'), 'fastmail_info_at_pantherx_org');
    assert.equal(baseId('sftp', '../../x'), 'sftp_______x');
    assert.equal(baseId('imap', 'Ünïcode@Example.ORG'), 'imap__n_code_at_example_org');
  });

  it('keeps long ids valid, short enough for file names and distinct', () => {
    const a = baseId('imap', 'a'.repeat(300) + '1');
    const b = baseId('imap', 'a'.repeat(300) + '2');
    assert.ok(ACCOUNT_ID.test(a) && a.length <= 200);
    assert.notEqual(a, b);
  });

  it('finds the first free id', () => {
    const taken = new Set(['x', 'x_2']);
    assert.equal(
      freeId('x', (c) => taken.has(c)),
      'x_3',
    );
    assert.equal(
      freeId('y', (c) => taken.has(c)),
      'y',
    );
  });

  it('completes bare logins with the provider domain and lower-cases domains', () => {
    assert.equal(normaliseUsername(catalogue.get('google')!, 'johndoe'), 'johndoe@gmail.com');
    assert.equal(normaliseUsername(catalogue.get('google')!, 'John@GMail.COM'), 'John@gmail.com');
    assert.equal(normaliseUsername(catalogue.get('sftp')!, 'abc'), 'abc');
    assert.throws(() => normaliseUsername(catalogue.get('sftp')!, ' abc'), /white space/);
  });
});
