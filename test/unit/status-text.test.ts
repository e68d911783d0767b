/** A backend's words become a valid status message (issue 25: a live session's status was dropped silently). */
import { strict as assert } from 'node:assert';
import { checkStatus, MAX_STATUS_MESSAGE, statusText } from '../../src/status/status.js';

describe('statusText', () => {
  it('turns control characters into spaces and caps the length, so ReportStatus accepts it', () => {
    const hostile = `node said:\u0000\u001b[31mred\r\nline two\u009b${'x'.repeat(5000)}`;
    const text = statusText(hostile);
    assert.equal(checkStatus('error', text), 'error');
    assert.ok(text.length <= MAX_STATUS_MESSAGE);
    assert.match(text, /^node said: \[31mred line two x/);
  });
});
