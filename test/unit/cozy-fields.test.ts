/** Cozy's fields in the account file and their rules: muted errors, apps' data, the parent account. */
import { strict as assert } from 'node:assert';
import { parseAccountFile, serializeAccount } from '../../src/store/account-file.js';
import { Catalogue, BUILTIN_PROVIDER_DIR } from '../../src/providers/catalogue.js';
import { applyMutes, checkFailureCode } from '../../src/model/muted.js';
import { MAX_DATA_PER_APP, MAX_DATA_TOTAL, MAX_DATA_VALUE, withData } from '../../src/model/app-data.js';
import { checkParent, gateOf } from '../../src/accounts/parents.js';
import type { AccountConfig } from '../../src/model/account.js';
import type { VerifyResult } from '../../src/protocols/common/types.js';

const catalogue = Catalogue.load([BUILTIN_PROVIDER_DIR]);
const HEAD = '[account]\nprovider = imap\nusername = a@example.org\nprotocols = imap\n[imap]\nhost = 127.0.0.1\n';

describe("Cozy's fields in the account file", () => {
  it('round-trips muted, parent and [data] with values INI would mangle, keeping a hand-written key', () => {
    const parsed = parseAccountFile('acc', `${HEAD}[data]\nmine = hand written\n`, catalogue);
    const data = {
      'org.example.Mail:a': 'x; y # z',
      'org.example.Mail:b': 'true',
      '/usr/bin/app:c': ' padded ',
      'snap.mailer:d': '"quoted"',
      'org.example.Mail:e': '[x] = y',
    };
    const next: AccountConfig = {
      ...parsed.config,
      muted: ['Unauthorized', 'TlsUntrusted'],
      parent: 'proxy_me',
      data: { ...parsed.config.data, ...data },
    };
    const text = serializeAccount(next, parsed.doc);
    assert.match(text, /muted = Unauthorized, TlsUntrusted/);
    assert.match(text, /parent = proxy_me/);
    const again = parseAccountFile('acc', text, catalogue);
    assert.deepEqual(again.config, next);
    assert.equal(again.config.data?.mine, 'hand written');
    // cleared: the keys go
    const cleared = { ...again.config };
    delete cleared.muted;
    delete cleared.parent;
    delete cleared.data;
    const out = serializeAccount(cleared, again.doc);
    assert.doesNotMatch(out, /muted|parent|\[data\]/);
  });

  it('ignores unknown muted codes, refuses a parent that is not an id (checks must never bypass it)', () => {
    assert.deepEqual(
      parseAccountFile('acc', HEAD.replace('protocols', 'muted = Bogus, Timeout, Timeout\nprotocols'), catalogue).config
        .muted,
      ['Timeout'],
    );
    assert.throws(
      () => parseAccountFile('acc', HEAD.replace('protocols', 'parent = ../x\nprotocols'), catalogue),
      /parent '..\/x' is not an account id/,
    );
  });
});

describe('muted errors', () => {
  const r = (code: VerifyResult['code']): VerifyResult => ({ ok: code === 'Ok', code, message: code });
  it('takes only failure codes', () => {
    assert.equal(checkFailureCode('Unauthorized'), 'Unauthorized');
    assert.throws(() => checkFailureCode('Ok'), /must be one of/);
    assert.throws(() => checkFailureCode('unauthorized'), /must be one of/);
  });
  it('silences a check whose failures are all muted (or never reached the server); another kind ends every mute', () => {
    assert.deepEqual(applyMutes(['Unauthorized'], [r('Unauthorized'), r('Ok')]), {
      silenced: true,
      muted: ['Unauthorized'],
    });
    assert.deepEqual(applyMutes(['Unauthorized'], [r('Unauthorized'), r('ConnectionRefused')]), {
      silenced: true,
      muted: ['Unauthorized'],
    });
    assert.deepEqual(applyMutes(['Unauthorized'], [r('Timeout')]), { silenced: true, muted: ['Unauthorized'] });
    assert.deepEqual(applyMutes(['Unauthorized', 'TlsUntrusted'], [r('Unauthorized'), r('ServerError')]), {
      silenced: false,
      muted: [],
    });
    assert.deepEqual(applyMutes(['Unauthorized'], [r('Ok')]), { silenced: false, muted: ['Unauthorized'] });
    assert.deepEqual(applyMutes(undefined, [r('Unauthorized')]), { silenced: false, muted: [] });
  });
});

describe("apps' data", () => {
  it("prefixes the app's name, removes with '', refuses bad keys and values", () => {
    const d = withData(undefined, 'org.example.Mail', 'last_sync', '2026-12-05')!;
    assert.deepEqual(d, { 'org.example.Mail:last_sync': '2026-12-05' });
    assert.equal(withData(d, 'org.example.Mail', 'last_sync', ''), undefined);
    assert.deepEqual(withData(d, 'org.other.App', 'last_sync', ''), d, 'another app removes nothing of this one');
    for (const key of ['', 'a:b', 'a b', 'x'.repeat(65), 'k[]'])
      assert.throws(() => withData(d, 'app', key, 'v'), { name: 'AccountsError', kind: 'InvalidArgument' } as object);
    assert.throws(() => withData(d, 'app', 'k', 'line\nbreak'), /control characters/);
  });
  it('caps a value and the account (LimitExceeded), counting bytes', () => {
    assert.ok(withData(undefined, 'a', 'k', 'x'.repeat(MAX_DATA_VALUE)));
    assert.throws(() => withData(undefined, 'a', 'k', 'é'.repeat(MAX_DATA_VALUE / 2 + 1)), {
      kind: 'LimitExceeded',
    } as object);
    let d: Record<string, string> | undefined;
    let n = 0;
    assert.throws(
      () => {
        for (; ; n++) d = withData(d, 'a', `k${n}`, 'x'.repeat(1000));
      },
      { kind: 'LimitExceeded' } as object,
    );
    assert.equal(n, Math.floor(MAX_DATA_PER_APP / 1004), `${n} notes of 1000 bytes fit in one app's share`);
    // Other apps still have room (red team: one app could fill the account for all), up to the account's cap.
    let apps = 0;
    assert.throws(
      () => {
        for (; ; apps++) for (let k = 0; k < 4; k++) d = withData(d, `app${apps}`, `k${k}`, 'x'.repeat(900));
      },
      { kind: 'LimitExceeded' } as object,
    );
    assert.ok(apps >= 3, `${apps} more apps got their share`);
    const total = Object.entries(d!).reduce((s, [k, v]) => s + k.length + v.length, 0);
    assert.ok(total <= MAX_DATA_TOTAL, `${total} bytes in all`);
  });
});

describe('parent accounts', () => {
  const acc = (id: string, protocols: string[], parent?: string): AccountConfig => ({
    id,
    name: id,
    provider: protocols[0]!,
    username: id,
    protocols,
    settings: {},
    credentials: [],
    auth: 'password',
    ...(parent ? { parent } : {}),
  });
  const all = new Map(
    [
      acc('proxy', ['proxy']),
      acc('vpn', ['openvpn']),
      acc('vpn2', ['openvpn'], 'vpn'),
      acc('mail', ['imap', 'smtp']),
    ].map((a) => [a.id, a]),
  );
  const lookup = (id: string) => all.get(id);
  it('takes a proxy for protocols that can go through one, a VPN for any', () => {
    checkParent({ id: 'mail', protocols: ['imap', 'smtp'] }, 'proxy', lookup);
    checkParent({ protocols: ['ftp'] }, 'vpn', lookup);
    assert.throws(() => checkParent({ protocols: ['ftp'] }, 'proxy', lookup), {
      kind: 'UnsupportedProtocol',
    } as object);
    assert.throws(() => checkParent({ protocols: ['proxy'] }, 'proxy', lookup), {
      kind: 'UnsupportedProtocol',
    } as object);
  });
  it('gates a check on the parent being online: through a proxy, directly behind a VPN, "needs <name>" otherwise', () => {
    const states = new Map<
      string,
      { config: AccountConfig; status: { status: 'online' | 'offline' | 'none' | 'error' } }
    >([
      ['proxy', { config: { ...all.get('proxy')!, name: 'Office proxy' }, status: { status: 'online' } }],
      ['vpn', { config: { ...all.get('vpn')!, name: 'Work VPN' }, status: { status: 'online' } }],
    ]);
    const gate = (parent?: string) => gateOf({ ...(parent ? { parent } : {}) }, (id) => states.get(id));
    assert.deepEqual(gate(), { kind: 'free' });
    assert.equal(gate('proxy').kind, 'proxy');
    assert.deepEqual(gate('vpn'), { kind: 'free' }, 'the VPN routes the traffic: checked directly');
    states.get('vpn')!.status = { status: 'offline' };
    assert.deepEqual(gate('vpn'), { kind: 'needs', message: 'needs Work VPN' });
    states.get('proxy')!.status = { status: 'none' };
    assert.deepEqual(gate('proxy'), { kind: 'needs', message: 'needs Office proxy' });
    assert.deepEqual(gate('gone'), { kind: 'needs', message: 'needs gone (no such account)' });
  });
  it('refuses a missing account, one that is no proxy or VPN, itself and loops', () => {
    assert.throws(() => checkParent({ protocols: ['imap'] }, 'nope', lookup), /does not exist/);
    assert.throws(() => checkParent({ protocols: ['imap'] }, 'mail', lookup), /neither a proxy nor an OpenVPN/);
    assert.throws(() => checkParent({ id: 'vpn', protocols: ['openvpn'] }, 'vpn', lookup), /own parent/);
    assert.throws(() => checkParent({ id: 'vpn', protocols: ['openvpn'] }, 'vpn2', lookup), /loop/);
  });
});
