/** The window server's pure parts: the one-time token, form settings to typed settings, results in words, and its imports. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ProtocolInfo } from '../../src/client/index.js';
import { settingsOf } from '../../src/ui/checks.js';
import { HttpError } from '../../src/ui/http.js';
import { LaunchTokens, sameSecret } from '../../src/ui/security.js';
import { launchPage } from '../../src/ui/launcher.js';
import { wordResult } from '../../src/ui/words.js';
import { ROOT } from '../harness/session.js';

const IMAP: ProtocolInfo = {
  id: 'imap',
  name: 'IMAP',
  interface: 'org.pantherx.Accounts.Imap',
  builtin: true,
  secrets: [],
  imports: [],
  liveInterface: '',
  settings: [
    { key: 'host', property: 'Host', field: 'host', type: 's', kind: 'host', values: [], doc: '' },
    { key: 'port', property: 'Port', field: 'port', type: 'q', kind: 'port', values: [], doc: '' },
    { key: 'security', property: 'Security', field: 'security', type: 's', kind: 'security', values: [], doc: '' },
  ],
};
const ETH: ProtocolInfo = {
  ...IMAP,
  id: 'eth',
  name: 'Ethereum',
  settings: [{ key: 'tokens', property: 'Tokens', field: 'tokens', type: 'as', kind: 'list', values: [], doc: '' }],
};

describe('px-accounts-ui: server parts', () => {
  it('a launch token works once, and a wrong one never', () => {
    const tokens = new LaunchTokens();
    const t = tokens.issue();
    assert.equal(tokens.redeem(t.slice(0, -1)), false);
    assert.equal(tokens.redeem(t), true);
    assert.equal(tokens.redeem(t), false);
    assert.equal(tokens.redeem(''), false);
  });

  it('a launch token expires', () => {
    const tokens = new LaunchTokens(-1);
    assert.equal(tokens.redeem(tokens.issue()), false);
  });

  it('compares secrets of any length', () => {
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abc', 'abcd'), false);
    assert.equal(sameSecret('', 'a'), false);
  });

  it('turns form text into typed settings, leaving empty fields out', () => {
    assert.deepEqual(settingsOf({ imap: { host: 'mail.example.org', port: '993', security: '' } }, [IMAP]), {
      imap: { host: 'mail.example.org', port: 993 },
    });
    assert.deepEqual(settingsOf({ eth: { tokens: '0xa, 0xb\n0xc' } }, [ETH]), {
      eth: { tokens: ['0xa', '0xb', '0xc'] },
    });
  });

  it('refuses bad form settings with a message naming them', () => {
    const refused = (raw: unknown, re: RegExp) =>
      assert.throws(
        () => settingsOf(raw, [IMAP]),
        (e: unknown) => e instanceof HttpError && e.status === 400 && re.test(e.message),
      );
    refused({ imap: { port: 'x' } }, /IMAP port must be a whole number/);
    refused({ imap: { nosuch: 'x' } }, /IMAP has no setting 'nosuch'/);
    refused({ pop9: {} }, /unknown protocol 'pop9'/);
    refused({ imap: { host: 5 } }, /imap.host must be text/);
    refused([], /settings must be an object/);
  });

  it('says which server and step failed, and what kind of failure it is', () => {
    const r = wordResult('imap', 'IMAP', 'mail.example.org:993', {
      ok: false,
      code: 'Unauthorized',
      message: 'IMAP server mail.example.org:993 said NO',
    });
    assert.equal(
      r.summary,
      'IMAP (mail.example.org:993): failed at signing in. The server rejected the user name or password.',
    );
    assert.equal(r.outcome, 'rejected');
    assert.equal(wordResult('smtp', 'SMTP', '', { ok: false, code: 'Timeout', message: '' }).outcome, 'network');
    assert.equal(wordResult('smtp', 'SMTP', '', { ok: false, code: 'TlsUntrusted', message: '' }).outcome, 'other');
    assert.equal(
      wordResult('smtp', 'SMTP', 'h:1', { ok: true, code: 'Ok', message: '' }).summary,
      'SMTP (h:1): works.',
    );
  });

  it('src/ui talks to the service only through the client library (and reads translations through src/i18n)', () => {
    const dir = join(ROOT, 'src', 'ui');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/from '(\.\.?\/[^']+)'/g)) {
        assert.ok(
          m[1]!.startsWith('./') || m[1]!.startsWith('../client/') || m[1]!.startsWith('../i18n/'),
          `${f} imports ${m[1]}`,
        );
      }
    }
  });

  it("the page (browser code) imports only its own modules, the wire types, the client's types and the Translator", () => {
    const dir = join(ROOT, 'src', 'ui', 'page');
    const allowed = ['../wire.js', '../../client/types.js', '../../i18n/translator.js'];
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/from '(\.\.?\/[^']+)'/g)) {
        assert.ok(m[1]!.startsWith('./') || allowed.includes(m[1]!), `page/${f} imports ${m[1]}`);
      }
    }
  });
});

describe('px-accounts-ui: the menu entry', () => {
  const file = join(ROOT, 'desktop', 'px-accounts-ui.desktop');

  it('is valid for desktop-file-validate', () => {
    const r = spawnSync('desktop-file-validate', [file], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'desktop-file-validate runs (Debian desktop-file-utils)');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), '', 'no warnings either');
  });

  it('is Online Accounts in Settings, starting px-accounts-ui with the icon notifications use', () => {
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^Name=Online Accounts$/m);
    assert.match(text, /^Exec=px-accounts-ui$/m);
    assert.match(text, /^Categories=Settings;/m);
    assert.match(text, /^Icon=px-accounts$/m);
    assert.ok(readFileSync(join(ROOT, 'desktop', 'px-accounts.svg'), 'utf8').startsWith('<svg'));
  });
});

describe('the launch page', () => {
  it('forwards to the URL from a file only its user can read: the token is never in a command line', () => {
    const url = 'http://127.0.0.1:1234/?token=abc&account=x"y';
    const page = launchPage(url);
    assert.match(page, /^file:\/\//);
    const file = fileURLToPath(page);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
    const html = readFileSync(file, 'utf8');
    assert.ok(html.includes('content="0;url=http://127.0.0.1:1234/?token=abc&amp;account=x&quot;y"'), html);
    assert.ok(!page.includes('token'), 'the path says nothing of the token');
  });
});
