/**
 * Words from elsewhere made fit for the bus (src/control-characters.ts), by its two rules: a
 * status message keeps no control character (issue 25: a live session's status was dropped
 * silently); an error's message keeps line feeds and tabs, and nothing else.
 */
import { strict as assert } from 'node:assert';
import { withoutControls, withoutControlsButLines } from '../../src/control-characters.js';
import { AccountsError } from '../../src/errors.js';
import { checkStatus, MAX_STATUS_MESSAGE, statusText } from '../../src/status/status.js';

/** Every control character (Unicode's Cc), between words. */
const EVERY_CONTROL = [...Array(0x20).keys(), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i)]
  .map((c) => `a${String.fromCharCode(c)}b`)
  .join(' ');

describe('statusText', () => {
  it('turns control characters into spaces and caps the length, so ReportStatus accepts it', () => {
    const hostile = `node said:\u0000\u001b[31mred\r\nline two\u009b${'x'.repeat(5000)}`;
    const text = statusText(hostile);
    assert.equal(checkStatus('error', text), 'error');
    assert.ok(text.length <= MAX_STATUS_MESSAGE);
    assert.match(text, /^node said: \[31mred line two x/);
  });

  it('leaves no control character at all, line feeds and tabs included', () => {
    assert.equal(statusText(EVERY_CONTROL), Array(65).fill('a b').join(' '));
    assert.equal(checkStatus('error', statusText(EVERY_CONTROL)), 'error');
  });
});

describe('withoutControls', () => {
  it('makes each run of control characters one space; what is not a control (a bidi override, a joiner, Persian) stays', () => {
    assert.equal(withoutControls('a\u0000\u0000\u001b[0m\r\n\tb'), 'a [0m b');
    assert.equal(withoutControls('می‌خواهم \u202e\u200d'), 'می‌خواهم \u202e\u200d');
    assert.equal(withoutControls(''), '');
  });

  it('withoutControlsButLines keeps line feeds and tabs; a carriage return or escape beside them still goes', () => {
    assert.equal(withoutControlsButLines('one\r\ntwo\tthree\u001b\u0085'), 'one \ntwo\tthree ');
    assert.equal(withoutControlsButLines('a\r\r\nb'), 'a \nb');
    assert.equal(withoutControls('a\n\tb'), 'a b');
  });
});

describe('AccountsError', () => {
  it('keeps line feeds and tabs of what it quotes; every other control character becomes a space', () => {
    const err = new AccountsError('ProviderError', `the server said:\n\tno\r\u0000${EVERY_CONTROL}`);
    assert.ok(err.message.startsWith('the server said:\n\tno '), err.message);
    // Only the line feed and the tab of the list survive, as themselves.
    assert.deepEqual(
      [...err.message].filter((c) => /\p{Cc}/u.test(c)),
      ['\n', '\t', '\t', '\n'],
    );
    assert.match(err.message, / a\tb a\nb /);
    assert.equal(err.dbusName, 'org.pantherx.Accounts.Error.ProviderError');
  });
});
