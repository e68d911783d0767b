import { strict as assert } from 'node:assert';
import { parseAccountFile, serializeAccount } from '../../src/store/account-file.js';
import { Catalogue, BUILTIN_PROVIDER_DIR, parseProvider } from '../../src/providers/catalogue.js';

const catalogue = Catalogue.load([BUILTIN_PROVIDER_DIR]);

describe('account files', () => {
  it('round-trips names with INI-special characters and keeps unknown keys', () => {
    const text =
      '[account]\nprovider = fastmail\nusername = a@example.org\nprotocols = imap\nmine = yes\n[imap]\nnote = kept\n[other]\nx = 1\n';
    const parsed = parseAccountFile('acc', text, catalogue);
    const renamed = { ...parsed.config, name: 'Work; "home" # = [x]' };
    const again = parseAccountFile('acc', serializeAccount(renamed, parsed.doc), catalogue);
    assert.deepEqual(again.config, renamed);
    const out = serializeAccount(renamed, parsed.doc);
    assert.match(out, /mine = yes/);
    assert.match(out, /note = kept/);
    assert.match(out, /\[other\]\nx = 1/);
  });

  it('fills missing settings from the catalogue and ignores unknown protocols with a warning', () => {
    const parsed = parseAccountFile(
      'acc',
      '[account]\nprovider = icloud\nusername = a@icloud.com\nprotocols = smtp, gopher\n',
      catalogue,
    );
    assert.deepEqual(parsed.config.protocols, ['smtp']);
    assert.equal(parsed.config.settings.smtp?.host, 'smtp.mail.me.com');
    assert.equal(parsed.config.settings.smtp?.port, 587);
    assert.deepEqual(parsed.warnings, ["unknown protocol 'gopher' ignored"]);
  });

  it('explains why a file is refused', () => {
    assert.throws(() => parseAccountFile('acc', 'x = 1\n', catalogue), /no \[account\] section/);
    assert.throws(() => parseAccountFile('acc', '[account]\nprovider = imap\n', catalogue), /username is missing/);
    assert.throws(() => parseAccountFile('a-b', '[account]\n', catalogue), /not a valid account id/);
    assert.throws(() => parseAccountFile('acc', '\u0000\u0001', catalogue), /binary/);
  });
});

describe('provider catalogue', () => {
  it('ships the eleven providers, each loadable', () => {
    assert.deepEqual(
      catalogue.list().map((p) => p.id),
      [
        'airvpn',
        'azirevpn',
        'fastmail',
        'gandi',
        'google',
        'icloud',
        'nextcloud',
        'office365',
        'outlook',
        'torguard',
        'yahoo',
      ],
    );
    assert.equal(catalogue.get('google')?.domain, 'gmail.com');
    assert.equal(catalogue.get('imap')?.manual, true);
  });

  it('refuses broken provider files with a reason', () => {
    assert.throws(() => parseProvider('x', '[provider]\nprotocols = imap\n'), /name is missing/);
    assert.throws(() => parseProvider('x', '[provider]\nname = X\nprotocols = imap\n'), /no \[imap\] section/);
    assert.throws(() => parseProvider('imap', '[provider]\nname = X\n'), /reserved/);
    assert.throws(() => parseProvider('x', '[provider]\nname = X\n[imap]\nhost = a b\n'), /not a host name/);
  });
});
