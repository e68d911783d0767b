/**
 * px-accounts prints no control character it did not write (src/cli/output.ts): a server's words
 * in a check result, a service's error message, an app's status message, a name from an account
 * file — ESC sequences (set the title, clear the screen, recolour), C1 controls and bidirectional
 * overrides each become U+FFFD on the terminal, while `--json` carries the exact text (escaped).
 * A stand-in service on the bus says what a hostile or broken server would make it say; the real
 * service refuses control characters in names and replaces them in what servers say, but passes on
 * bidirectional overrides (in an app's status message, in a hand-edited file's name).
 */
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dbus, { Message, MessageType, type Message as DBusMessage } from 'dbus-next';
import { TestClient, ACCOUNT } from '../harness/client.js';
import { CODE, cli, json, useCliService } from './helpers.js';
import { onTerminal } from '../discovery/terminal.js';
import { useFixture } from '../harness/fixture.js';
import { ROOT, type Session } from '../harness/session.js';
import { printable } from '../../src/cli/printable.js';
import { jsonLine } from '../../src/cli/format.js';

const ESC = '\u001b';
/** What a hostile server would answer: a title, a cleared screen, a fake line in red, an 8-bit CSI, a reversed text. */
const EVIL = `${ESC}]0;pwned-title\u0007${ESC}[2J${ESC}[31mFAKE: all good${ESC}[0m\rover \u009b31m red \u202egnp.exe`;
// every control character but the line feed, and bidirectional overrides
// eslint-disable-next-line no-control-regex -- the characters the test looks for
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A stand-in org.pantherx.Accounts whose Verify answers with the hostile text, or fails with it. */
async function startHostileService(session: Session): Promise<dbus.MessageBus> {
  const bus = dbus.sessionBus({ busAddress: session.address });
  bus.on('error', () => undefined);
  bus.addMethodHandler((msg: DBusMessage) => {
    if (msg.type !== MessageType.METHOD_CALL) return false;
    const id = (msg.path ?? '').split('/').pop();
    if (msg.interface === 'org.pantherx.Accounts.Account' && msg.member === 'Verify' && id === 'hostile') {
      const result = new dbus.Variant('a{sv}', {
        ok: new dbus.Variant('b', false),
        code: new dbus.Variant('s', 'Unauthorized'),
        message: new dbus.Variant('s', EVIL),
      });
      bus.send(Message.newMethodReturn(msg, 'a{sv}', [{ imap: result }]));
      return true;
    }
    bus.send(Message.newError(msg as unknown as string, 'org.pantherx.Accounts.Error.Io', `the server said: ${EVIL}`));
    return true;
  });
  await bus.requestName('org.pantherx.Accounts', 0);
  return bus;
}

describe('px-accounts: control characters from servers, files and apps are not printed', () => {
  describe('printable: invisibles and direction marks (src/cli/printable.ts says why each is kept or replaced)', () => {
    it('Persian and Arabic text keeps its non-joiners between letters and its direction marks LRM, RLM, ALM', () => {
      for (const text of [
        'می\u200cخواهم', // "I want": the non-joiner is part of the spelling
        'حساب\u200cهای کاری\u200f (۳)', // RLM keeps the parenthesis with the Persian words
        'نام: \u200eWork Mail\u200e', // LRM around a Latin name
        '\u061c-5 درصد', // ALM: an Arabic letter mark before a number
        // What px-accounts itself says in Persian: hundreds of non-joiners, marks around names.
        ...[...readFileSync(join(ROOT, 'po/fa.po'), 'utf8').matchAll(/^(?:msgstr(?:\[\d\])? )?"(.+)"$/gm)].map(
          (m) => m[1]!,
        ),
      ]) {
        assert.equal(printable(text), text, JSON.stringify(text));
      }
    });

    it('the joiner between emoji and between letters of a joining script is kept', () => {
      for (const text of ['👩\u200d💻', '❤\ufe0f\u200d🔥', '👨🏽\u200d🚀', 'क्\u200dष'])
        assert.equal(printable(text), text);
    });

    it('invisibles that only hide a difference become U+FFFD: zero-width space, word joiner, invisible operators, BOM, deprecated format characters', () => {
      assert.equal(printable('pay\u200bpal'), 'pay\ufffdpal');
      assert.equal(printable('bc1q\u2060abc'), 'bc1q\ufffdabc');
      assert.equal(printable('\ufeffWork'), '\ufffdWork');
      assert.equal(printable('a\u2061\u2062\u2063\u2064b'), 'a\ufffd\ufffd\ufffd\ufffdb');
      assert.equal(printable('a\u206a\u206fb'), 'a\ufffd\ufffdb');
    });

    it('a non-joiner or joiner that joins nothing (a line edge, a space, punctuation, another invisible) becomes U+FFFD', () => {
      assert.equal(printable('\u200cWork'), '\ufffdWork');
      assert.equal(printable('Work\u200d'), 'Work\ufffd');
      assert.equal(printable('Work \u200cMail'), 'Work \ufffdMail');
      assert.equal(printable('Work.\u200d'), 'Work.\ufffd');
      assert.equal(printable('a\u200d\u200db'), 'a\ufffd\ufffdb');
      assert.equal(printable('a\u200b\u200cb'), 'a\ufffd\ufffdb');
    });

    it('a joiner between letters of a script that does not join (pay\u200dpal) becomes U+FFFD, as RFC 5892 rules for host names', () => {
      assert.equal(printable('pay\u200dpal.com'), 'pay\ufffdpal.com');
      assert.equal(printable('pay\u200cpal'), 'pay\ufffdpal');
      assert.equal(printable('\u0430\u200d\u0431'), '\u0430\ufffd\u0431', 'Cyrillic does not join either');
      assert.equal(printable('ب\u200dب'), 'ب\u200dب', 'Arabic letters join');
    });

    it('every other format character becomes U+FFFD: soft hyphen, tag characters, interlinear annotation', () => {
      assert.equal(printable('pay\u00adpal'), 'pay\ufffdpal');
      assert.equal(printable('a\u{e0041}\u{e007f}b'), 'a\ufffd\ufffdb');
      assert.equal(printable('a\ufff9b\ufffbc'), 'a\ufffdb\ufffdc');
      assert.equal(printable('a\u180eb'), 'a\ufffdb');
      assert.equal(printable('\u200e\u200f\u061c'), '\u200e\u200f\u061c', 'the direction marks stay');
    });

    it('jsonLine escapes exactly what printable would replace: the line passes the filter unchanged and parses to the exact text', () => {
      for (const text of [
        'a\u200b\u200cb \u200cx\u200d',
        '\ufeff\u2060\u206a',
        'می\u200cخواهم\u200f 👩\u200d💻',
        '\u202egnp\u0085\u007f\u001b[2J',
        'a\u{e0041}b\u00ad', // a tag character is two UTF-16 units
      ]) {
        const line = jsonLine({ text });
        assert.equal(printable(line), line, line);
        assert.equal((JSON.parse(line) as { text: string }).text, text);
      }
      assert.equal(jsonLine('می\u200cخواهم'), '"می\u200cخواهم"', 'a joiner between letters is not escaped');
    });

    it('bidirectional overrides and isolates still become U+FFFD (they reorder whole runs, marks do not)', () => {
      assert.equal(printable('\u202etxt.exe'), '\ufffdtxt.exe');
      assert.equal(printable('\u2067gnp.exe\u2069'), '\ufffdgnp.exe\ufffd');
    });
  });

  describe('a stand-in service saying what a hostile server would', () => {
    const f = useFixture({
      keyring: 'none',
      prepare: async (t) => {
        const bus = await startHostileService(t.session);
        t.onStop(() => bus.disconnect());
      },
    });
    const run = (args: string[]) => cli(f.session.env, args);

    it("verify: the server's words in the table are shown with U+FFFD in place of each control character", async () => {
      const r = await run(['verify', 'hostile']);
      assert.equal(r.code, CODE.VERIFICATION, r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, UNPRINTABLE, JSON.stringify(r.stdout));
      assert.match(
        r.stdout,
        /^imap +FAILED +Unauthorized +\uFFFD\]0;pwned-title\uFFFD\uFFFD\[2J\uFFFD\[31mFAKE: all good/m,
      );
      assert.match(r.stdout, /FAKE: all good\uFFFD\[0m\uFFFDover \uFFFD31m red \uFFFDgnp\.exe$/m);
    });

    it('verify --json: the exact text, every control character escaped (JSON.parse gives it back)', async () => {
      const r = await run(['verify', 'hostile', '--json']);
      assert.equal(r.code, CODE.VERIFICATION, r.stderr);
      assert.doesNotMatch(r.stdout, UNPRINTABLE, 'escaped, not raw');
      assert.match(r.stdout, /\\u009b31m red \\u202egnp/);
      const j = json<{ results: { imap: { message: string } } }>(r);
      assert.equal(j.results.imap.message, EVIL);
    });

    it('an error message quoting a server: stderr shows it filtered', async () => {
      const r = await run(['verify', 'other']);
      assert.equal(r.code, CODE.FAILURE, r.stderr);
      assert.doesNotMatch(r.stderr, UNPRINTABLE, JSON.stringify(r.stderr));
      assert.match(r.stderr, /the server said: \uFFFD\]0;pwned-title/);
    });
  });

  describe('the real service', () => {
    const f = useCliService();

    it("an app's status message and a hand-edited file's name with bidirectional overrides: show, list and status filter them, --json keeps them", async () => {
      const id = `imap_edited_${process.pid}`;
      const path = `/org/pantherx/Accounts/account/${id}`;
      // the service refuses control characters in a file's name (the file is skipped), not bidirectional ones
      const name = `Work \u2066\u202egnp.exe\u2069`;
      const client = await TestClient.connect(f.session.address);
      try {
        const from = client.signals.length;
        writeFileSync(
          join(f.session.accountsDir, `${id}.ini`),
          `[account]\nprovider = imap\nusername = edited${process.pid}@example.org\nname = ${name}\nprotocols = imap\n[imap]\nhost = 127.0.0.1\n`,
        );
        // the service reads the file when it appears (it watches its directory)
        await client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === path, 10_000, from);
        const message = 'synced \u202etxt.exe';
        await client.call(path, ACCOUNT, 'ReportStatus', 'ss', ['online', message]);
        for (const args of [['show', id], ['list'], ['status', id]]) {
          const r = await f.run(args);
          assert.equal(r.code, CODE.OK, r.stderr);
          assert.doesNotMatch(r.stdout, UNPRINTABLE, `${args.join(' ')}: ${JSON.stringify(r.stdout)}`);
          // list shows names, status the message, show both
          if (args[0] !== 'status') assert.match(r.stdout, /Work \uFFFD\uFFFDgnp\.exe\uFFFD/, args.join(' '));
          if (args[0] !== 'list') assert.match(r.stdout, /synced \uFFFDtxt\.exe/, args.join(' '));
        }
        const shown = json<{ name: string; statusMessage: string }>(await f.run(['show', id, '--json']));
        assert.equal(shown.name, name);
        assert.equal(shown.statusMessage, message);
      } finally {
        client.disconnect();
      }
    });

    it('a Persian name keeps its non-joiner and RLM on show and list; a zero-width space in it is shown as U+FFFD, --json keeps it', async () => {
      const id = `imap_persian_${process.pid}`;
      const path = `/org/pantherx/Accounts/account/${id}`;
      const name = 'حساب\u200cکاری\u200f (pay\u200bpal)';
      const client = await TestClient.connect(f.session.address);
      try {
        const from = client.signals.length;
        writeFileSync(
          join(f.session.accountsDir, `${id}.ini`),
          `[account]\nprovider = imap\nusername = persian${process.pid}@example.org\nname = ${name}\nprotocols = imap\n[imap]\nhost = 127.0.0.1\n`,
        );
        await client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === path, 10_000, from);
        for (const args of [['show', id], ['list']]) {
          const r = await f.run(args);
          assert.equal(r.code, CODE.OK, r.stderr);
          assert.ok(
            r.stdout.includes('حساب\u200cکاری\u200f (pay\ufffdpal)'),
            `${args.join(' ')}: ${JSON.stringify(r.stdout)}`,
          );
        }
        // --json: the zero-width space escaped (the line passes the terminal filter unchanged), the exact name parsed
        const shown = await f.run(['show', id, '--json']);
        assert.ok(shown.stdout.includes('(pay\\u200bpal)'), shown.stdout);
        assert.equal(json<{ name: string }>(shown).name, name);
      } finally {
        client.disconnect();
      }
    });

    it('secret get: an escape sequence an app put into a secret goes into a pipe byte for byte, never onto a terminal', async () => {
      const id = `imap_planted_${process.pid}`;
      const path = `/org/pantherx/Accounts/account/${id}`;
      const client = await TestClient.connect(f.session.address);
      try {
        const from = client.signals.length;
        writeFileSync(
          join(f.session.accountsDir, `${id}.ini`),
          `[account]\nprovider = imap\nusername = planted${process.pid}@example.org\nprotocols = imap\n[imap]\nhost = 127.0.0.1\n`,
        );
        await client.waitSignal((x) => x.member === 'InterfacesAdded' && x.body[0] === path, 10_000, from);
        // what an app with a grant could store: set the terminal's title, write the clipboard (OSC 52)
        const planted = `pw${ESC}]0;pwned-title\u0007${ESC}]52;c;cm0gLXJmIH4=\u0007`;
        await client.call(path, ACCOUNT, 'SetSecret', 'ss', ['password', planted]);
        const piped = await f.run(['secret', 'get', id, 'password']);
        assert.equal(piped.code, CODE.OK, piped.stderr);
        assert.equal(piped.stdout, `${planted}\n`);
        const shown = await onTerminal(f.session.env, ['secret', 'get', id, 'password'], []);
        assert.equal(shown.code, 0, shown.output);
        // the terminal itself ends each line with CR LF
        const screen = shown.output.replace(/\r\n/g, '\n');
        assert.doesNotMatch(screen, UNPRINTABLE, JSON.stringify(screen));
        assert.match(screen, /^pw\uFFFD\]0;pwned-title\uFFFD/);
      } finally {
        client.disconnect();
      }
    });
  });
});
