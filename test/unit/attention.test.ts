/** When the service tells the person (src/live/attention.ts), without a bus: once per trouble, the right action, the settings file. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccountState } from '../../src/accounts/accounts.js';
import { AttentionNotices, notificationsEnabled, type Notice } from '../../src/live/attention.js';
import { INITIAL_STATUS, nextStatus, type AccountStatus } from '../../src/status/status.js';

const settle = () => new Promise((r) => setImmediate(r));

function account(id: string, auth: 'password' | 'oauth2'): AccountState {
  return {
    config: {
      id,
      name: `${id}@example.org`,
      provider: 'x',
      username: `${id}@example.org`,
      protocols: ['imap'],
      settings: {},
      credentials: [],
      auth,
    },
    status: INITIAL_STATUS,
    doc: {},
  };
}

describe('attention notices', () => {
  const world = (shown: string[] = [], enabled = true, available = false) => {
    const told: Notice[] = [];
    const notices = new AttentionNotices(
      (n) => told.push(n),
      async () => shown,
      () => available,
      () => enabled,
    );
    const move = (state: AccountState, change: Parameters<typeof nextStatus>[1]) => {
      const before: AccountStatus = state.status;
      state.status = nextStatus(before, change);
      if (state.status !== before) notices.statusChanged(state, before);
    };
    return { told, notices, move };
  };

  it('one per time an account turns AttentionNeeded; "Sign in again" for OAuth2, "Enter password" otherwise', async () => {
    const { told, move } = world();
    const a = account('a', 'oauth2');
    const b = account('b', 'password');
    move(a, { status: 'error', message: 'invalid_grant', attentionNeeded: true });
    move(a, { status: 'error', message: 'invalid_grant again', attentionNeeded: true });
    move(b, { status: 'error', message: 'refused', attentionNeeded: true });
    await settle();
    assert.deepEqual(
      told.map((n) => [n.account, n.action]),
      [
        ['a', 'Sign in again'],
        ['b', 'Enter password'],
      ],
    );
    move(a, { status: 'online', message: '', attentionNeeded: false });
    move(a, { status: 'error', message: 'invalid_grant', attentionNeeded: true });
    await settle();
    assert.deepEqual(
      told.map((n) => n.account),
      ['a', 'b', 'a'],
    );
  });

  it('none for an account fixed or removed while the window is asked (the batch is being told)', async () => {
    let answerShown: (ids: string[]) => void = () => undefined;
    const told: Notice[] = [];
    const notices = new AttentionNotices(
      (n) => told.push(n),
      () => new Promise<string[]>((resolve) => (answerShown = resolve)),
      () => false,
      () => true,
    );
    const [fixed, removed, kept] = [
      account('fixed', 'password'),
      account('gone', 'password'),
      account('kept', 'password'),
    ];
    for (const state of [fixed, removed, kept]) {
      const before = state.status;
      state.status = nextStatus(before, { status: 'error', attentionNeeded: true });
      notices.statusChanged(state, before);
    }
    await settle(); // the batch is taken: ShownAccounts is being asked
    const before = fixed.status;
    fixed.status = nextStatus(before, { status: 'online', message: '', attentionNeeded: false });
    notices.statusChanged(fixed, before);
    notices.removed('gone');
    answerShown([]);
    await settle();
    assert.deepEqual(
      told.map((n) => n.account),
      ['kept'],
    );
  });

  it('none for an account the window shows, none when switched off', async () => {
    const shownWorld = world(['a']);
    shownWorld.move(account('a', 'password'), { status: 'error', attentionNeeded: true });
    const off = world([], false);
    off.move(account('a', 'password'), { status: 'error', attentionNeeded: true });
    off.notices.secretsRefused();
    await settle();
    assert.deepEqual([shownWorld.told, off.told], [[], []]);
  });

  it('the keyring: once while locked, again after it was available', () => {
    const { told, notices } = world();
    notices.secretsRefused();
    notices.secretsRefused();
    notices.availabilityChanged(true);
    notices.availabilityChanged(false);
    notices.secretsRefused();
    assert.deepEqual(
      told.map((n) => [n.account, n.summary]),
      [
        [undefined, 'Unlock your keyring'],
        [undefined, 'Unlock your keyring'],
      ],
    );
  });

  it('settings.ini [notifications] enabled, and PX_ACCOUNTS_NOTIFICATIONS over it', () => {
    const config = mkdtempSync(join(tmpdir(), 'pxa-settings-'));
    assert.equal(notificationsEnabled({ XDG_CONFIG_HOME: config }), true, 'no file: on');
    mkdirSync(join(config, 'px-accounts'));
    writeFileSync(join(config, 'px-accounts', 'settings.ini'), '[notifications]\nenabled = false\n');
    assert.equal(notificationsEnabled({ XDG_CONFIG_HOME: config }), false);
    assert.equal(notificationsEnabled({ XDG_CONFIG_HOME: config, PX_ACCOUNTS_NOTIFICATIONS: '1' }), true);
    writeFileSync(join(config, 'px-accounts', 'settings.ini'), '[notifications]\nenabled = yes\n');
    assert.equal(notificationsEnabled({ XDG_CONFIG_HOME: config }), true);
    assert.equal(notificationsEnabled({ XDG_CONFIG_HOME: config, PX_ACCOUNTS_NOTIFICATIONS: '0' }), false);
  });
});
