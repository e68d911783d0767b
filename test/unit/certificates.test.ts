/**
 * Accepted certificates: the contract's forms (a server, a fingerprint, the pairs a
 * CertificateNotTrusted message starts with), the verifier's pin lookup, and the account file's
 * [certificates] section.
 */
import { strict as assert } from 'node:assert';
import { certificatesOfMessage, normalizeFingerprint, parseServerKey } from '../../src/contract/certificates.js';
import { pinFor, pinsText } from '../../src/protocols/common/pins.js';
import { parseAccountFile, serializeAccount } from '../../src/store/account-file.js';
import { Catalogue, BUILTIN_PROVIDER_DIR } from '../../src/providers/catalogue.js';

const HEX = 'a1'.repeat(32);

describe('accepted certificates', () => {
  it('a fingerprint as the service gives it, or as openssl and browsers show it; nothing else', () => {
    assert.equal(normalizeFingerprint(`sha256:${HEX}`), `sha256:${HEX}`);
    assert.equal(normalizeFingerprint(HEX.toUpperCase().match(/../g)!.join(':')), `sha256:${HEX}`);
    assert.equal(normalizeFingerprint(`SHA256=${HEX}`), `sha256:${HEX}`);
    for (const bad of [
      '',
      'sha256:',
      `sha1:${HEX.slice(0, 40)}`,
      `sha256:${HEX.slice(2)}`,
      `sha256:${HEX}00`,
      `sha256:${'g'.repeat(64)}`,
    ]) {
      assert.equal(normalizeFingerprint(bad), undefined, bad);
    }
  });

  it('a server is host:port, normalised (lower case, an IPv6 literal in brackets)', () => {
    assert.equal(parseServerKey('Mail.Example.ORG:993'), 'mail.example.org:993');
    assert.equal(parseServerKey('127.0.0.1:143'), '127.0.0.1:143');
    assert.equal(parseServerKey('[::1]:993'), '[::1]:993');
    for (const bad of [
      'mail.example.org',
      'mail.example.org:0',
      'mail.example.org:65536',
      '::1:993',
      'a b:1',
      'x_:y:1',
      ':993',
      '[zz]:1',
    ]) {
      assert.equal(parseServerKey(bad), undefined, bad);
    }
  });

  it('reads the pairs a CertificateNotTrusted message starts with, and only those', () => {
    const message = `mail.x.test:993=sha256:${HEX} [::1]:465=sha256:${HEX}: imap: TlsUntrusted: … (certificate other.test:1=sha256:${HEX})`;
    assert.deepEqual(certificatesOfMessage(message), {
      'mail.x.test:993': `sha256:${HEX}`,
      '[::1]:465': `sha256:${HEX}`,
    });
    assert.deepEqual(certificatesOfMessage('imap: Unauthorized: no'), {});
  });

  it('the verifier finds the pin of exactly its host and port', () => {
    const text = pinsText({ 'mail.x.test:993': `sha256:${HEX}`, '[::1]:465': `sha256:${'b2'.repeat(32)}` });
    assert.equal(pinFor(text, 'MAIL.x.test', 993), `sha256:${HEX}`);
    assert.equal(pinFor(text, '::1', 465), `sha256:${'b2'.repeat(32)}`);
    assert.equal(pinFor(text, 'mail.x.test', 995), undefined);
    assert.equal(pinFor(text, 'x.test', 993), undefined);
    assert.equal(pinFor(undefined, 'mail.x.test', 993), undefined);
  });

  it('the account file keeps them in [certificates]; a line that is not one is skipped with a warning', () => {
    const catalogue = Catalogue.load([BUILTIN_PROVIDER_DIR]);
    const text = `[account]\nprovider = imap\nusername = a@x.test\nprotocols = imap\n[imap]\nhost = mail.x.test\n[certificates]\nmail.x.test:993 = sha256:${HEX}\nbad = sha256:${HEX}\nmail.x.test:465 = md5:00\n`;
    const parsed = parseAccountFile('acc', text, catalogue);
    assert.deepEqual(parsed.config.certificates, { 'mail.x.test:993': `sha256:${HEX}` });
    assert.equal(parsed.warnings.filter((w) => w.startsWith('[certificates]')).length, 2);
    const written = serializeAccount(parsed.config, parsed.doc);
    assert.match(written, new RegExp(`\\[certificates\\]\\nmail\\.x\\.test:993 = sha256:${HEX}\\n`));
    assert.ok(!written.includes('bad ='), 'the skipped lines are not kept as if trusted');
    const none = serializeAccount({ ...parsed.config, certificates: undefined }, parsed.doc);
    assert.ok(!none.includes('[certificates]'), none);
  });
});
