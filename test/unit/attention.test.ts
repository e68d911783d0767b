/** When the service tells the person (src/live/attention.ts), without a bus: once per trouble, the right action, the settings file. */
import { strict as assert } from 'node:assert';
import { mock } from 'node:test';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccountState } from '../../src/accounts/accounts.js';
import {
  AttentionNotices,
  GROUP_FROM,
  HOLD_LIMIT,
  HOLD_MS,
  notificationsEnabled,
  type Notice,
  type NoticeShower,
} from '../../src/live/attention.js';
import { useLocale } from '../../src/i18n/index.js';
import { INITIAL_STATUS, nextStatus, type AccountStatus } from '../../src/status/status.js';

const settle = () => new Promise((r) => setImmediate(r));
/** A check's verdicts: the password refused (the person is needed), and a check that passed. */
const REFUSED = { status: 'error', message: 'refused', attentionNeeded: true } as const;
const FIXED = { status: 'online', message: '', attentionNeeded: false } as const;

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

/** A notification server: what was shown (with what it replaced), and which are still on screen. */
function screen() {
  const told: (Notice & { id: number; replaces: number | undefined })[] = [];
  const onScreen = new Set<number>();
  /** The ids taken off the screen by the service (CloseNotification). */
  const withdrawn: number[] = [];
  let next = 0;
  const shower: NoticeShower = {
    async show(n, replaces) {
      const id = replaces !== undefined && onScreen.has(replaces) ? replaces : ++next;
      told.push({ ...n, id, replaces });
      onScreen.add(id);
      await gate;
      return id;
    },
    isShown: (id) => onScreen.has(id),
    withdraw: (id) => {
      if (onScreen.delete(id)) withdrawn.push(id);
    },
  };
  /** While held, show() has put the notice on screen but not answered its id yet (a slow server). */
  let gate: Promise<void> | undefined;
  const hold = () => {
    let release = () => undefined as void;
    gate = new Promise<void>((r) => (release = r));
    return () => {
      gate = undefined;
      release();
    };
  };
  return { told, shower, withdrawn, hold, close: (id: number) => onScreen.delete(id) };
}

describe('attention notices', () => {
  const world = (shown: string[] = [], enabled = true, available = false) => {
    const { told, shower, withdrawn, hold, close } = screen();
    const notices = new AttentionNotices(
      shower,
      async () => shown,
      () => available,
      () => enabled,
    );
    const move = (state: AccountState, change: Parameters<typeof nextStatus>[1]) => {
      const before: AccountStatus = state.status;
      state.status = nextStatus(before, change);
      if (state.status !== before) notices.statusChanged(state, before);
    };
    return { told, notices, move, close, withdrawn, hold };
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
    move(a, FIXED);
    move(a, { status: 'error', message: 'invalid_grant', attentionNeeded: true });
    await settle();
    assert.deepEqual(
      told.map((n) => n.account),
      ['a', 'b', 'a'],
    );
  });

  it('none for an account fixed or removed while the window is asked (the batch is being told)', async () => {
    let answerShown: (ids: string[]) => void = () => undefined;
    const { told, shower } = screen();
    const notices = new AttentionNotices(
      shower,
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
      state.status = nextStatus(before, REFUSED);
      notices.statusChanged(state, before);
    }
    await settle(); // the batch is taken: ShownAccounts is being asked
    const before = fixed.status;
    fixed.status = nextStatus(before, FIXED);
    notices.statusChanged(fixed, before);
    notices.removed('gone');
    answerShown([]);
    await settle();
    assert.deepEqual(
      told.map((n) => n.account),
      ['kept'],
    );
  });

  it('many in one batch are one notification opening the list; more join it in place while it is on screen', async () => {
    const { told, move, close } = world(['shown']);
    const many = ['m1', 'm2', 'm3', 'm4', 'm5', 'shown'].map((id) => account(id, 'password'));
    for (const state of many) move(state, REFUSED); // one batch: the same turn of the event loop
    await settle();
    assert.equal(GROUP_FROM, 4);
    assert.equal(told.length, 1, 'five accounts (the shown one left out): one notification');
    const [group] = told as [(typeof told)[number]];
    assert.deepEqual([group.account, group.action, group.replaces], [undefined, 'Open Online Accounts', undefined]);
    assert.equal(group.summary, '5 accounts need you');
    assert.match(group.body, /Apps cannot reach m1@example\.org, m2@example\.org, m3@example\.org, and 2 others until/);

    // Two more while it is on screen: the same notification, now seven (one of the five fixed meanwhile: six).
    move(many[0]!, FIXED);
    const [late1, late2] = [account('late1', 'oauth2'), account('late2', 'password')];
    move(late1, REFUSED);
    move(late2, REFUSED);
    await settle();
    assert.equal(told.length, 2);
    assert.deepEqual([told[1]!.replaces, told[1]!.id, told[1]!.summary], [group.id, group.id, '6 accounts need you']);

    // Closed (or clicked): the next trouble is told on its own again.
    close(group.id);
    const alone = account('alone', 'oauth2');
    move(alone, REFUSED);
    await settle();
    assert.deepEqual(
      told.slice(2).map((n) => [n.account, n.action, n.replaces]),
      [['alone', 'Sign in again', undefined]],
    );
  });

  it('while checks run, accounts wait for the last to settle (at most HOLD_LIMIT of them), then are told together', async () => {
    const { told, notices, move, close } = world();
    let idle = () => undefined as void;
    const checks = { busy: true, onIdle: (listener: () => void) => (idle = listener) };
    notices.followChecks(checks);
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      move(account(id, 'password'), REFUSED);
      await settle();
    }
    assert.equal(told.length, 0, 'nothing while the checks run');
    checks.busy = false;
    idle();
    await settle();
    assert.deepEqual(
      told.map((n) => [n.account, n.summary]),
      [[undefined, '5 accounts need you']],
    );

    // A long sweep: with no group on screen, the first HOLD_LIMIT are told without waiting for its end;
    // once the group is on screen, its updates wait for the checks (a replaced one may pop up again).
    close(told[0]!.id);
    checks.busy = true;
    for (let i = 0; i < HOLD_LIMIT; i++) move(account(`s${i}`, 'password'), REFUSED);
    await settle();
    assert.deepEqual(
      told.slice(1).map((n) => [n.summary, n.replaces]),
      [[`${HOLD_LIMIT} accounts need you`, undefined]],
    );
    for (let i = 0; i < HOLD_LIMIT; i++) move(account(`t${i}`, 'password'), REFUSED);
    await settle();
    assert.equal(told.length, 2, 'the group on screen: no update while the checks run');
    checks.busy = false;
    idle();
    await settle();
    assert.deepEqual(
      told.slice(2).map((n) => [n.summary, n.replaces]),
      [[`${2 * HOLD_LIMIT} accounts need you`, told[1]!.id]],
    );
  });

  it("a group notification in the person's language: German plurals and list, Persian digits", async () => {
    try {
      for (const [lang, summary, list] of [
        [
          'de_DE.UTF-8',
          '5 Konten brauchen Sie',
          /m1@example\.org, m2@example\.org, m3@example\.org und 2 weitere erst/,
        ],
        [
          'fa_IR.UTF-8',
          '۵ حساب به شما نیاز دارد',
          /m1@example\.org،\u200f m2@example\.org،\u200f m3@example\.org، و ۲ مورد دیگر/,
        ],
      ] as const) {
        useLocale({ LANG: lang });
        const { told, move } = world();
        for (const id of ['m1', 'm2', 'm3', 'm4', 'm5']) move(account(id, 'password'), REFUSED);
        await settle();
        assert.equal(told[0]?.summary, summary);
        assert.match(told[0]?.body ?? '', list);
      }
    } finally {
      useLocale({ LANG: 'C' });
    }
  });

  it('checks that never end hold notices HOLD_MS at most (a silent server, an app asking again and again)', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { told, notices, move } = world();
      notices.followChecks({ busy: true, onIdle: () => undefined });
      move(account('a', 'password'), REFUSED);
      await settle();
      mock.timers.tick(HOLD_MS - 1);
      await settle();
      assert.equal(told.length, 0);
      mock.timers.tick(1);
      await settle();
      assert.deepEqual(
        told.map((n) => n.account),
        ['a'],
      );
    } finally {
      mock.timers.reset();
    }
  });

  it('fewer than GROUP_FROM at once are told one by one', async () => {
    const { told, move } = world();
    for (const id of ['a', 'b', 'c']) move(account(id, 'password'), REFUSED);
    await settle();
    assert.deepEqual(
      told.map((n) => n.account),
      ['a', 'b', 'c'],
    );
  });

  it('none for an account the window shows, none when switched off', async () => {
    const shownWorld = world(['a']);
    shownWorld.move(account('a', 'password'), REFUSED);
    const off = world([], false);
    off.move(account('a', 'password'), REFUSED);
    off.notices.secretsRefused();
    await settle();
    assert.deepEqual([shownWorld.told, off.told], [[], []]);
  });

  it('the keyring: once while locked, again after it was available; its notice goes when it is unlocked', async () => {
    const { told, notices, withdrawn } = world();
    notices.secretsRefused();
    notices.secretsRefused();
    await settle();
    notices.availabilityChanged(true);
    assert.deepEqual(withdrawn, [told[0]!.id]);
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

  it("a notice whose trouble is over is withdrawn: an account's when it is fixed or removed, the group's with its last account", async () => {
    const { told, move, withdrawn, hold } = world();
    const [a, b] = [account('a', 'password'), account('b', 'password')];
    move(a, REFUSED);
    move(b, REFUSED);
    await settle();
    move(a, FIXED);
    assert.deepEqual(withdrawn, [told[0]!.id]);
    move(b, { status: 'error', message: 'refused again', attentionNeeded: true });
    assert.equal(withdrawn.length, 1, 'the same trouble: its notice stays');

    const many = ['m1', 'm2', 'm3', 'm4'].map((id) => account(id, 'password'));
    for (const state of many) move(state, REFUSED);
    await settle();
    const group = told[2]!;
    assert.equal(group.summary, '4 accounts need you');
    for (const state of many.slice(0, 3)) move(state, FIXED);
    assert.equal(withdrawn.length, 1, 'one of its accounts still needs the person');
    move(many[3]!, FIXED);
    assert.deepEqual(withdrawn.slice(1), [group.id]);

    // Fixed while its notice was being shown: withdrawn as soon as the server names it.
    const release = hold();
    const c = account('c', 'password');
    move(c, REFUSED);
    await settle();
    assert.equal(told.length, 4, 'on screen, its id not answered yet');
    move(c, FIXED);
    assert.equal(withdrawn.length, 2);
    release();
    await settle();
    assert.deepEqual(withdrawn.slice(2), [told[3]!.id]);
  });

  describe('a notice still being sent when its trouble ends (a slow notification server)', () => {
    it('a new group: an account fixed while it is sent is not counted, and the group goes with the last one', async () => {
      const { told, move, withdrawn, hold } = world();
      const many = ['m1', 'm2', 'm3', 'm4'].map((id) => account(id, 'password'));
      const release = hold();
      for (const state of many) move(state, REFUSED);
      await settle();
      assert.equal(told.length, 1);
      move(many[0]!, FIXED);
      release();
      await settle();
      for (const state of many.slice(1)) move(state, FIXED);
      assert.deepEqual(withdrawn, [told[0]!.id]);
    });

    it('an account fixed and broken again while its first notice is sent: both notices go once it is fixed', async () => {
      const { told, move, withdrawn, hold } = world();
      const a = account('a', 'password');
      const release = hold();
      move(a, REFUSED);
      await settle();
      move(a, FIXED);
      move(a, REFUSED);
      await settle();
      assert.equal(told.length, 2);
      release();
      await settle();
      move(a, FIXED);
      assert.deepEqual([...withdrawn].sort(), [told[0]!.id, told[1]!.id].sort());
    });

    it('the keyring unlocked and locked again while its first notice is sent: both go once it is unlocked', async () => {
      const { told, notices, withdrawn, hold } = world();
      const release = hold();
      notices.secretsRefused();
      notices.availabilityChanged(true);
      notices.availabilityChanged(false);
      notices.secretsRefused();
      release();
      await settle();
      notices.availabilityChanged(true);
      assert.equal(told.length, 2);
      assert.deepEqual([...withdrawn].sort(), [told[0]!.id, told[1]!.id].sort());
    });
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
