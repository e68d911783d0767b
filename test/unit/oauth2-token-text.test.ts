/**
 * Red team (issue 23 item 5): an OAuth2 access token is the provider's word, yet `px-accounts token`
 * and apps print it byte for byte. One that is not RFC 6749's printable ASCII (an escape sequence
 * that writes the clipboard or retitles the terminal, a bidi override) is never kept nor handed out.
 */
import { strict as assert } from 'node:assert';
import { AccountsError } from '../../src/errors.js';
import { accessTokenOf, parseRecord, type TokenRecord } from '../../src/oauth2/tokens.js';
import type { TokenResponse } from '../../src/oauth2/client.js';

const response = (access_token: string) => ({ access_token, token_type: 'bearer', expires_in: 3600 }) as TokenResponse;
const HOSTILE = ['tok\u001b]52;c;ZWNobyBwd25lZA==\u0007en', 'tok\u202eneklat', 'tok\u009b2Jen', 'tok\nen', ''];

describe('OAuth2 access tokens are RFC 6749 text (no escape sequences from a provider)', () => {
  it("a provider's token with a control character or a bidi override is a ProviderError, a printable one is kept", () => {
    for (const token of HOSTILE) {
      assert.throws(
        () => accessTokenOf(response(token)),
        (err: unknown) => err instanceof AccountsError && err.kind === 'ProviderError',
        JSON.stringify(token),
      );
    }
    assert.equal(accessTokenOf(response('ya29.A0-_~+/=')).access_token, 'ya29.A0-_~+/=');
  });

  it('a stored record (an imported file) keeps no such cached token: it is renewed, never handed out', () => {
    const far = Date.now() + 3_600_000;
    const record: TokenRecord = {
      v: 1,
      client_id: 'c',
      client_secret: '',
      tenant: 'common',
      refresh_token: 'r',
      scope: 'openid',
      tokens: {
        '': { access_token: HOSTILE[0]!, expires_at: far, lifetime: 3600 },
        imap: { access_token: 'good-token', expires_at: far, lifetime: 3600 },
      },
    };
    assert.deepEqual(Object.keys(parseRecord(JSON.stringify(record)).tokens), ['imap']);
  });
});
