/**
 * Hostile input over D-Bus: thousands of generated calls (seeded) to every method of Manager
 * and Account and to Properties.Get/Set/GetAll, with wrong signatures, wrong variant types,
 * 1 MiB strings, control characters, path-like names, unknown option keys, out-of-range
 * ports, empty and huge dicts; then what no library sends (invalid UTF-8, big-endian, an fd
 * argument without an fd) over a raw connection. Every call gets a typed answer, the service
 * never dies, and it writes nothing outside its directory.
 */
import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import dbus from 'dbus-next';
import { ACCOUNT, MANAGER, NAME, OM, PROPS, ROOT, TestClient, as, q, s } from '../../harness/client.js';
import { alive } from '../../harness/process.js';
import {
  at,
  FIGURES,
  Rng,
  closeSession,
  connectTracked,
  diffTrees,
  idOf,
  newSecret,
  openSession,
  outcome,
  seedFromEnv,
  snapshotTree,
  startTracked,
  within,
  type FaultSession,
  type TreeEntry,
} from '../lib/common.js';
import {
  EVERY_CONTROL,
  LOOPBACK_HOSTS,
  PROTOCOLS,
  SECRET_NAMES,
  hostileString,
  hugeString,
  intVariant,
  optionsDict,
  randomType,
  randomVariant,
  secretsDict,
  setOwn,
  splitSignature,
  valueOf,
} from '../lib/gen.js';
import { RawBus, firstString, type RawArg, type RawMessage } from '../lib/raw-bus.js';

const { Message, Variant } = dbus;
type V = InstanceType<typeof Variant>;
const require = createRequire(import.meta.url);
const { marshallMessage } = require('dbus-next/lib/marshall-compat') as {
  marshallMessage: (m: object) => [Buffer, unknown[]];
};

const E = 'org.pantherx.Accounts.Error.';
const DE = 'org.freedesktop.DBus.Error.';
const ALLOWED = new Set([
  ...[
    'NotFound',
    'InvalidArgument',
    'Duplicate',
    'UnknownProvider',
    'UnsupportedProtocol',
    'SecretsUnavailable',
    'AccessDenied',
    'VerificationFailed',
    'Io',
  ].map((n) => E + n),
  ...[
    'UnknownObject',
    'UnknownInterface',
    'UnknownMethod',
    'UnknownProperty',
    'PropertyReadOnly',
    'PropertyWriteOnly',
    'InvalidArgs',
  ].map((n) => DE + n),
]);
const INTRO = 'org.freedesktop.DBus.Introspectable';
const PEER = 'org.freedesktop.DBus.Peer';
const NOPE = 'org.example.Nope';
const IFACE = (p: string) => `org.pantherx.Accounts.${p}`;
const PROTOCOL_IFACES = ['Imap', 'Smtp', 'Pop3', 'CalDav', 'CardDav', 'Sftp'].map(IFACE);
const CATALOGUE = new Set(['fastmail', 'gandi', 'google', 'icloud', 'office365', 'outlook', 'yahoo']);
const P = '/org/pantherx/Accounts/account/';

const MEMBERS: Record<string, Record<string, string>> = {
  [MANAGER]: {
    AddAccount: 'ssa{ss}a{sv}',
    ValidateCredentials: 'ssa{ss}a{sv}',
    CheckAccounts: 'as',
    ListProviders: '',
  },
  [ACCOUNT]: {
    Update: 'a{sv}',
    SetSecret: 'ss',
    GetSecret: 's',
    DeleteSecret: 's',
    Verify: '',
    ReportStatus: 'ss',
    Remove: '',
  },
  [PROPS]: { Get: 'ss', Set: 'ssv', GetAll: 's' },
  [OM]: { GetManagedObjects: '' },
  [INTRO]: { Introspect: '' },
  [PEER]: { Ping: '', GetMachineId: '' },
};
const SIG_OF: Record<string, string> = Object.assign({}, ...Object.values(MEMBERS)) as Record<string, string>;
const UNKNOWN_MEMBERS = [
  'Nope',
  'addaccount',
  'AddAccount2',
  '_',
  'A'.repeat(255),
  'Get_All',
  'InterfacesAdded',
  'StatusChanged',
];
const PROPERTY_NAMES = [
  'Id',
  'Name',
  'Provider',
  'ProviderName',
  'Username',
  'Protocols',
  'Status',
  'StatusMessage',
  'StatusTime',
  'AttentionNeeded',
  'Credentials',
  'Host',
  'Port',
  'Security',
  'Path',
  'Url',
  'HostKey',
  'Nope',
  '',
  'name',
];

interface Call {
  path: string;
  iface: string;
  member: string;
  signature: string;
  body: unknown[];
}

const describeCall = (c: Call) => `${c.iface || '(no interface)'}.${c.member}(${c.signature}) on ${c.path}`;

/** A text form of a reply for the leak scan (GetSecret replies hold secrets by design and are left out). */
const replyText = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))?.slice(0, 4096) ?? '';

export function fuzzSuite(): void {
  describe('hostile input over D-Bus', function () {
    this.timeout(300_000);
    const CALLS = Number(process.env.PX_FAULTS_FUZZ_CALLS) || 4000;
    let fs: FaultSession;
    let rng: Rng;
    let fuzzer: TestClient;
    let treeBefore: Map<string, TreeEntry>;
    const verifyTargets: string[] = [];
    const mutable: string[] = [];
    /** Paths the generated AddAccount calls will create if they succeed (known in advance, so the plan is deterministic). */
    const predicted: string[] = [];
    const ghosts = [
      P + 'nope',
      P + 'a'.repeat(200),
      '/',
      '/org',
      '/org/pantherx/Accounts/account',
      P + 'x/y',
      '/org/pantherx/Accounts/Manager',
    ];
    const replies: string[] = [];
    const bad: string[] = [];
    const outcomes = new Map<string, number>();
    let badCount = 0;
    let dropped = 0;
    let calls = 0;
    let counter = 0;

    const excluded = () => [relative(fs.session.dir, fs.session.accountsDir), 'run', 'data/keyrings'];

    /** Sends one call and checks the answer is a success or a typed error. */
    async function send(
      client: TestClient,
      call: Call,
    ): Promise<{ name: string; text: string; value?: unknown } | undefined> {
      const fields = fieldsOf(call);
      if (!sendable(call)) return undefined;
      calls++;
      FIGURES.callsFuzzed++;
      const r = await outcome(
        within(
          client.bus
            .call(new Message({ ...fields, body: call.body }))
            .then((reply) => (reply?.body as unknown[] | undefined) ?? []),
          25_000,
          describeCall(call),
        ),
      );
      const label = r.name.startsWith('not a D-Bus error') ? 'no answer / client error' : r.name;
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
      if (r.name !== 'ok' && !ALLOWED.has(r.name)) {
        badCount++;
        if (/closed|Disconnected|not connected/i.test(r.text)) dropped++;
        if (bad.length < 40) bad.push(`${describeCall(call)} → ${r.name}: ${r.text.slice(0, 300)}`);
      }
      if (r.name !== 'ok') replies.push(r.text.slice(0, 4096));
      else if (call.member !== 'GetSecret') replies.push(replyText(r.value));
      return r;
    }

    const fieldsOf = (call: Call) => ({
      destination: NAME,
      path: call.path,
      interface: call.iface || undefined,
      member: call.member,
      signature: call.signature,
    });

    /** Whether dbus-next can send it at all, and small enough (over 4 MiB the daemon may drop the sender: not the service's doing). */
    function sendable(call: Call): boolean {
      try {
        return marshallMessage({ ...fieldsOf(call), serial: 1, type: 1, body: call.body })[0].length <= 4 * 1024 * 1024;
      } catch {
        return false;
      }
    }

    const pickIface = (path: string) =>
      rng.pick(
        path === ROOT
          ? [MANAGER, MANAGER, MANAGER, MANAGER, OM, PROPS, PROPS, INTRO, PEER, ACCOUNT, NOPE, '']
          : [
              ACCOUNT,
              ACCOUNT,
              ACCOUNT,
              ACCOUNT,
              PROPS,
              PROPS,
              PROPS,
              ...PROTOCOL_IFACES,
              INTRO,
              PEER,
              MANAGER,
              OM,
              NOPE,
              '',
            ],
      );

    function nearMiss(sig: string): string {
      const types = splitSignature(sig);
      for (;;) {
        const t = [...types];
        switch (rng.int(7)) {
          case 0:
            if (t.length) t.splice(rng.int(t.length), 1);
            break;
          case 1:
            t.splice(rng.int(t.length + 1), 0, randomType(rng));
            break;
          case 2:
            if (t.length) t[rng.int(t.length)] = randomType(rng);
            break;
          case 3:
            return t
              .map((x) => (({ 'a{sv}': 'a{ss}', 'a{ss}': 'a{sv}', s: 'o', v: 's' }) as Record<string, string>)[x] ?? x)
              .join('');
          case 4:
            return '';
          case 5:
            return sig + sig;
          default:
            t.push('s');
            break;
        }
        const out = t.join('');
        if (out !== sig) return out;
      }
    }

    /** Loopback only: calls that may verify credentials must never reach another machine. */
    function keepLocal(body: unknown[]): void {
      if (CATALOGUE.has(body[0] as string)) body[0] = rng.pick(PROTOCOLS);
      const options = body[3] as Record<string, V>;
      for (const k of Object.keys(options)) {
        const v = options[k];
        if (!(v instanceof Variant) || v.signature !== 's') continue;
        const value = v.value as string;
        if (k.endsWith('.host') && !LOOPBACK_HOSTS.includes(value)) setOwn(options, k, s('127.0.0.1'));
        if (k.endsWith('.url')) {
          let host = '';
          try {
            host = new URL(value).hostname;
          } catch {
            /* not a URL: refused before any connection */
          }
          if (host && !['127.0.0.1', '[::1]', 'localhost'].includes(host)) setOwn(options, k, s('http://127.0.0.1:1/'));
        }
      }
    }

    function bodyFor(member: string, path: string): unknown[] {
      switch (member) {
        case 'AddAccount':
        case 'ValidateCredentials': {
          const provider = rng.chance(0.8) ? rng.pick([...PROTOCOLS, ...CATALOGUE]) : hostileString(rng);
          const account = rng.chance(0.6) ? `fz${++counter}@example.org` : hostileString(rng);
          const options = optionsDict(rng);
          if (provider !== '' && PROTOCOLS.includes(provider) && rng.chance(0.5))
            setOwn(options, `${provider}.host`, s(rng.pick(LOOPBACK_HOSTS)));
          const body = [provider, account, secretsDict(rng, true), options];
          if (
            member === 'AddAccount' &&
            /^fz\d+@example\.org$/.test(account) &&
            (PROTOCOLS.includes(provider) || CATALOGUE.has(provider))
          ) {
            predicted.push(P + `${provider}_${account}`.replace('@', '_at_').replace(/[^a-z0-9]/g, '_'));
          }
          const verify = Object.prototype.hasOwnProperty.call(options, 'verify');
          if (member === 'ValidateCredentials' || verify) keepLocal(body);
          return body;
        }
        case 'SetSecret':
          return [
            rng.chance(0.8) ? rng.pick(SECRET_NAMES) : hostileString(rng).slice(0, 200),
            rng.chance(0.85) ? newSecret() : rng.pick(['', 'x'.repeat(65537), EVERY_CONTROL, hugeString()]),
          ];
        case 'GetSecret':
        case 'DeleteSecret':
          return [rng.chance(0.8) ? rng.pick(SECRET_NAMES) : hostileString(rng)];
        case 'ReportStatus':
          return [
            rng.chance(0.6) ? rng.pick(['online', 'offline', 'error', 'none']) : hostileString(rng),
            hostileString(rng),
          ];
        case 'Update':
          return [optionsDict(rng)];
        case 'CheckAccounts':
          return [
            Array.from({ length: rng.range(1, 4) }, () =>
              rng.chance(0.5)
                ? idOf(rng.pick(verifyTargets))
                : rng.chance(0.5)
                  ? 'nope'
                  : hostileString(rng).slice(0, 300),
            ),
          ];
        case 'Get':
          return [
            rng.pick([ACCOUNT, ...PROTOCOL_IFACES, MANAGER, '', NOPE, hostileString(rng)]),
            rng.chance(0.8) ? rng.pick(PROPERTY_NAMES) : hostileString(rng),
          ];
        case 'GetAll':
          return [rng.pick([ACCOUNT, ...PROTOCOL_IFACES, MANAGER, '', NOPE, hostileString(rng)])];
        case 'Set': {
          const value = rng.chance(0.5)
            ? new Variant('s', hostileString(rng))
            : rng.chance(0.3)
              ? intVariant(rng)
              : randomVariant(rng);
          return [
            rng.pick([ACCOUNT, ACCOUNT, ...PROTOCOL_IFACES, '', NOPE]),
            rng.chance(0.85) ? rng.pick(PROPERTY_NAMES) : hostileString(rng),
            value,
          ];
        }
        default:
          void path;
          return [];
      }
    }

    function generate(): Call {
      const r = rng.next();
      let path =
        r < 0.3
          ? ROOT
          : r < 0.75
            ? rng.pick([...mutable, ...predicted.slice(-20)])
            : r < 0.9
              ? rng.pick(verifyTargets)
              : rng.pick(ghosts);
      const iface = pickIface(path);
      const own = MEMBERS[iface] ?? (iface === '' ? { ...MEMBERS[MANAGER], ...MEMBERS[ACCOUNT] } : undefined);
      const member =
        own && rng.chance(0.9) ? rng.pick(Object.keys(own)) : rng.pick([...Object.keys(SIG_OF), ...UNKNOWN_MEMBERS]);
      // Verification connects to servers: only loopback accounts are ever verified.
      if (member === 'Verify' && !verifyTargets.includes(path) && !ghosts.includes(path))
        path = rng.pick(verifyTargets);
      if ((member === 'Update' || member === 'Remove') && verifyTargets.includes(path)) path = rng.pick(mutable);
      const correct = SIG_OF[member];
      const x = rng.next();
      let signature: string;
      let body: unknown[];
      if (correct !== undefined && x < 0.6) {
        signature = correct;
        body = bodyFor(member, path);
      } else {
        signature =
          correct !== undefined && x < 0.85
            ? nearMiss(correct)
            : Array.from({ length: rng.int(5) }, () => randomType(rng)).join('');
        body = splitSignature(signature).map((t) => valueOf(rng, t));
        if (member === 'CheckAccounts' && signature === 'as') body = [['nope']];
        if (signature === 'ssa{ss}a{sv}' && (member === 'AddAccount' || member === 'ValidateCredentials'))
          keepLocal(body);
      }
      return { path, iface, member, signature, body };
    }

    /** The accounts the fuzzer aims at, re-created under the same path when a fuzzed Remove took them. */
    const MUTABLE: Array<() => [string, string, Record<string, string>, Record<string, V>]> = [
      () => ['fastmail', 'mutable1@example.org', { password: newSecret(), smtp: newSecret() }, {}],
      () => ['imap', 'mutable2@example.org', { password: newSecret() }, { 'imap.host': s('127.0.0.1') }],
      () => ['caldav', 'mutable3@example.org', { caldav: newSecret() }, { 'caldav.url': s('http://127.0.0.1:1/dav/') }],
    ];
    async function restoreTargets(): Promise<void> {
      const objects = await fs.client.managedObjects();
      for (const [i, path] of mutable.entries()) {
        if (path in objects) continue;
        const r = await outcome(fs.client.addAccount(...at(MUTABLE, i)()));
        if (r.name !== 'ok' && r.name !== E + 'Duplicate')
          throw new Error(`cannot re-create ${path}: ${r.name} ${r.text}`);
      }
    }

    before(async function () {
      rng = new Rng(seedFromEnv('fuzz'));
      fs = await openSession('unlocked');
      fs.extraText.push({ where: 'D-Bus replies to the fuzzer (GetSecret excluded)', text: () => replies.join('\n') });
      const c = fs.client;
      verifyTargets.push(
        await c.addAccount(
          'imap',
          'verify-imap@example.org',
          { password: newSecret() },
          { 'imap.host': s('127.0.0.1'), 'imap.port': q(1) },
        ),
        await c.addAccount(
          'sftp',
          'verify-sftp@example.org',
          { password: newSecret() },
          { 'sftp.host': s('127.0.0.1'), 'sftp.port': q(1) },
        ),
      );
      for (const make of MUTABLE) mutable.push(await c.addAccount(...make()));
      fuzzer = await connectTracked(fs, false);
      treeBefore = snapshotTree(fs.session.dir, excluded());
    });

    after(async function () {
      console.log(
        `      [fuzz] ${calls} calls; outcomes: ${[...outcomes]
          .sort((a, b) => b[1] - a[1])
          .map(([n, k]) => `${n.replace(/^org\.(pantherx\.Accounts|freedesktop\.DBus)\.Error\./, '')} ${k}`)
          .join(', ')}`,
      );
      await closeSession(fs);
    });

    it('answers the edge cases with the documented typed errors', async () => {
      const c = fuzzer;
      const add = (
        opts: Record<string, V>,
        user = `edge${++counter}@example.org`,
        secrets: Record<string, string> = {},
      ) => ({
        path: ROOT,
        iface: MANAGER,
        member: 'AddAccount',
        signature: 'ssa{ss}a{sv}',
        body: ['imap', user, secrets, { 'imap.host': s('127.0.0.1'), ...opts }],
      });
      const acc = at(mutable, 1);
      const withKey = (k: string, v: V) => {
        const o: Record<string, V> = { 'imap.host': s('127.0.0.1') };
        setOwn(o, k, v);
        return {
          path: ROOT,
          iface: MANAGER,
          member: 'AddAccount',
          signature: 'ssa{ss}a{sv}',
          body: ['imap', `edge${++counter}@example.org`, {}, o],
        };
      };
      const IA = [E + 'InvalidArgument'];
      const cases: Array<[string, Call, string[]]> = [
        ['port 0 (q)', add({ 'imap.port': q(0) }), IA],
        ['port 65536 (i)', add({ 'imap.port': new Variant('i', 65536) }), IA],
        ['port -1 (i)', add({ 'imap.port': new Variant('i', -1) }), IA],
        ['port 2^32-1 (u)', add({ 'imap.port': new Variant('u', 4294967295) }), IA],
        ['port -1 (x)', add({ 'imap.port': new Variant('x', -1n) }), IA],
        ['port 2^64-1 (t)', add({ 'imap.port': new Variant('t', 2n ** 64n - 1n) }), IA],
        ['port 0 (y)', add({ 'imap.port': new Variant('y', 0) }), IA],
        ['port as double', add({ 'imap.port': new Variant('d', 993) }), IA],
        ['port as string', add({ 'imap.port': s('993') }), IA],
        ['port in a nested variant', add({ 'imap.port': new Variant('v', q(993)) }), IA],
        ['port 65535 (q) is fine', add({ 'imap.port': q(65535) }), ['ok']],
        ['port 143 (i) is fine: any integer type', add({ 'imap.port': new Variant('i', 143) }), ['ok']],
        ['unknown option key', add({ colour: s('green') }), IA],
        ['unknown option key "__proto__" is refused, not ignored', withKey('__proto__', s('x')), IA],
        ['unknown option key "toString"', withKey('toString', s('x')), IA],
        ['setting of a protocol that is not enabled', add({ 'smtp.host': s('127.0.0.1') }), IA],
        ['name with every control character', add({ name: s(`a${EVERY_CONTROL}b`) }), IA],
        ['name of 1 MiB', add({ name: s(hugeString()) }), IA],
        ['host with a control character', add({ 'imap.host': s('127.0.0.1\n') }), IA],
        ['host "../../x"', add({ 'imap.host': s('../../x') }), IA],
        ['ca "../../x" (not absolute)', add({ 'imap.ca': s('../../x') }), IA],
        ['account of 1 MiB', { ...add({}), body: ['imap', hugeString(), {}, { 'imap.host': s('127.0.0.1') }] }, IA],
        [
          'account with control characters',
          { ...add({}), body: ['imap', `x${EVERY_CONTROL}@example.org`, {}, { 'imap.host': s('127.0.0.1') }] },
          IA,
        ],
        [
          'account "../../x" becomes a safe id',
          { ...add({}), body: ['imap', '../../x', {}, { 'imap.host': s('127.0.0.1') }] },
          ['ok'],
        ],
        [
          'account "/etc/passwd" becomes a safe id',
          { ...add({}), body: ['imap', '/etc/passwd', {}, { 'imap.host': s('127.0.0.1') }] },
          ['ok'],
        ],
        ['provider "../../x"', { ...add({}), body: ['../../x', 'p@example.org', {}, {}] }, [E + 'UnknownProvider']],
        [
          'provider "/etc/passwd"',
          { ...add({}), body: ['/etc/passwd', 'p@example.org', {}, {}] },
          [E + 'UnknownProvider'],
        ],
        ['protocols with an unknown one', add({ protocols: as(['imap', 'gopher']) }), [E + 'UnsupportedProtocol']],
        ['protocols empty', add({ protocols: as([]) }), IA],
        ['protocols of the wrong type', add({ protocols: s('imap') }), IA],
        ['secret name "../../x"', add({}, undefined, { '../../x': newSecret() }), IA],
        ['secret name "/etc/passwd"', add({}, undefined, { '/etc/passwd': newSecret() }), IA],
        [
          'secret name "__proto__" is stored or refused, never dropped',
          (() => {
            const sec: Record<string, string> = {};
            setOwn(sec, '__proto__', newSecret());
            return add({}, 'protosecret@example.org', sec);
          })(),
          ['ok', ...IA],
        ],
        ['secret value empty', add({}, undefined, { password: '' }), IA],
        ['secret value of 1 MiB', add({}, undefined, { password: hugeString() }), IA],
        [
          'huge options dict (5000 unknown keys)',
          add(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, s('x')]))),
          IA,
        ],
        [
          'huge secrets dict (5000 invalid names)',
          add({}, undefined, Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`bad name ${i}`, 'x']))),
          IA,
        ],
        ['empty dicts are fine', add({}), ['ok']],
        [
          'wrong signature (a{ss} options)',
          {
            path: ROOT,
            iface: MANAGER,
            member: 'AddAccount',
            signature: 'ssa{ss}a{ss}',
            body: ['imap', 'w@example.org', {}, {}],
          },
          IA,
        ],
        ['no arguments', { path: ROOT, iface: MANAGER, member: 'AddAccount', signature: '', body: [] }, IA],
        [
          'Update with an empty dict',
          { path: acc, iface: ACCOUNT, member: 'Update', signature: 'a{sv}', body: [{}] },
          ['ok'],
        ],
        [
          'Update port 0',
          { path: acc, iface: ACCOUNT, member: 'Update', signature: 'a{sv}', body: [{ 'imap.port': q(0) }] },
          IA,
        ],
        [
          'Update with verify',
          {
            path: acc,
            iface: ACCOUNT,
            member: 'Update',
            signature: 'a{sv}',
            body: [{ verify: new Variant('b', false) }],
          },
          IA,
        ],
        [
          'SetSecret name "../../x"',
          { path: acc, iface: ACCOUNT, member: 'SetSecret', signature: 'ss', body: ['../../x', newSecret()] },
          IA,
        ],
        [
          'SetSecret name "/etc/passwd"',
          { path: acc, iface: ACCOUNT, member: 'SetSecret', signature: 'ss', body: ['/etc/passwd', newSecret()] },
          IA,
        ],
        [
          'SetSecret value of 1 MiB',
          { path: acc, iface: ACCOUNT, member: 'SetSecret', signature: 'ss', body: ['password', hugeString()] },
          IA,
        ],
        [
          'GetSecret ""',
          { path: acc, iface: ACCOUNT, member: 'GetSecret', signature: 's', body: [''] },
          [...IA, E + 'NotFound'],
        ],
        [
          'ReportStatus message of 1 MiB',
          { path: acc, iface: ACCOUNT, member: 'ReportStatus', signature: 'ss', body: ['online', hugeString()] },
          IA,
        ],
        [
          'ReportStatus unknown status',
          { path: acc, iface: ACCOUNT, member: 'ReportStatus', signature: 'ss', body: ['../../x', ''] },
          IA,
        ],
        [
          'CheckAccounts of an unknown id',
          { path: ROOT, iface: MANAGER, member: 'CheckAccounts', signature: 'as', body: [['../../x']] },
          [E + 'NotFound'],
        ],
        [
          'Set Name of 1 MiB',
          { path: acc, iface: PROPS, member: 'Set', signature: 'ssv', body: [ACCOUNT, 'Name', s(hugeString())] },
          IA,
        ],
        [
          'Set Name with control characters',
          { path: acc, iface: PROPS, member: 'Set', signature: 'ssv', body: [ACCOUNT, 'Name', s(EVERY_CONTROL)] },
          IA,
        ],
        [
          'Set Name of the wrong type',
          { path: acc, iface: PROPS, member: 'Set', signature: 'ssv', body: [ACCOUNT, 'Name', as(['x'])] },
          IA,
        ],
        [
          'Set a read-only property',
          { path: acc, iface: PROPS, member: 'Set', signature: 'ssv', body: [ACCOUNT, 'Status', s('online')] },
          [DE + 'PropertyReadOnly'],
        ],
        [
          'Set a protocol property',
          { path: acc, iface: PROPS, member: 'Set', signature: 'ssv', body: [IFACE('Imap'), 'Port', q(1)] },
          [DE + 'PropertyReadOnly'],
        ],
        [
          'Get an unknown property',
          { path: acc, iface: PROPS, member: 'Get', signature: 'ss', body: [ACCOUNT, 'Password'] },
          [DE + 'UnknownProperty'],
        ],
        [
          'GetAll of an unknown interface',
          { path: acc, iface: PROPS, member: 'GetAll', signature: 's', body: [NOPE] },
          [DE + 'UnknownInterface'],
        ],
        [
          'Get with the wrong signature',
          { path: acc, iface: PROPS, member: 'Get', signature: 'sv', body: [ACCOUNT, s('Name')] },
          [DE + 'InvalidArgs'],
        ],
        [
          'an unknown method',
          { path: acc, iface: ACCOUNT, member: 'Nope', signature: '', body: [] },
          [DE + 'UnknownMethod'],
        ],
        [
          'an unknown interface',
          { path: acc, iface: NOPE, member: 'Update', signature: 'a{sv}', body: [{}] },
          [DE + 'UnknownInterface'],
        ],
        [
          'an unknown object',
          { path: P + 'nope', iface: ACCOUNT, member: 'Remove', signature: '', body: [] },
          [DE + 'UnknownObject'],
        ],
      ];
      const wrong: string[] = [];
      for (const [what, call, expected] of cases) {
        const r = await send(c, call);
        if (!r) {
          wrong.push(`${what}: could not be sent`);
          continue;
        }
        if (!expected.includes(r.name))
          wrong.push(`${what}: got ${r.name} (${r.text.slice(0, 160)}), expected ${expected.join(' or ')}`);
        if (what.includes('safe id') && r.name === 'ok') {
          const id = idOf(String((r.value as unknown[])[0]));
          if (!/^[a-z0-9_]+$/.test(id) || !existsSync(join(fs.session.accountsDir, `${id}.ini`)))
            wrong.push(`${what}: id ${id} is not a file in the accounts directory`);
        }
        if (what.startsWith('secret name "__proto__"') && r.name === 'ok') {
          const path = String((r.value as unknown[])[0]);
          const creds = (await c.get(path, ACCOUNT, 'Credentials')) as string[];
          if (!creds.includes('__proto__'))
            wrong.push(
              `${what}: AddAccount succeeded but the secret '__proto__' was silently dropped (Credentials ${JSON.stringify(creds)})`,
            );
        }
      }
      assert.deepEqual(wrong, []);
    });

    it('answers thousands of generated calls with a success or a typed error', async function () {
      // The whole plan is drawn from the seed first, so PX_FAULTS_SEED replays the same calls
      // (16 at a time over 4 connections: their interleaving is up to the scheduler).
      const plan: Call[] = [];
      while (plan.length < CALLS) {
        const call = generate();
        if (sendable(call)) plan.push(call);
      }
      const t0 = Date.now();
      let next = 0;
      const worker = async (client: TestClient) => {
        while (next < plan.length) {
          const n = next++;
          if (n % 250 === 0) await restoreTargets();
          await send(client, at(plan, n));
          if (!alive(fs.service.pid)) return;
        }
      };
      const clients = [
        fuzzer,
        await connectTracked(fs, false),
        await connectTracked(fs, false),
        await connectTracked(fs, false),
      ];
      await Promise.all(Array.from({ length: 16 }, (_, i) => worker(at(clients, i % clients.length))));
      console.log(
        `      [fuzz] ${calls} calls in ${Date.now() - t0} ms (${badCount} answered wrongly, ${dropped} client connections dropped)`,
      );
      assert.ok(alive(fs.service.pid), `the service died:\n${fs.service.log().slice(-3000)}`);
      assert.deepEqual(bad, [], `${badCount} calls were not answered with a typed error or a success`);
      assert.ok(calls >= CALLS, `only ${calls} calls fuzzed`);
    });

    it('never died, still answers, and logged no internal error', async () => {
      assert.ok(alive(fs.service.pid));
      assert.equal(
        await Promise.race([
          fs.service.exited.then(() => 'exited'),
          new Promise((r) => setTimeout(() => r('running'), 50)),
        ]),
        'running',
      );
      await within(fs.client.call(ROOT, PEER, 'Ping'), 2000, 'Ping');
      await within(fs.client.managedObjects(), 5000, 'GetManagedObjects');
      assert.deepEqual(
        fs.service
          .log()
          .split('\n')
          .filter((l) => /internal error|fatal|Uncaught|TypeError|RangeError/.test(l))
          .map((l) => l.slice(0, 300)),
        [],
      );
    });

    it('never wrote outside its directory (session dir compared, accounts dir and bus/keyring runtime excluded)', () => {
      const after = snapshotTree(fs.session.dir, excluded());
      assert.deepEqual(diffTrees(treeBefore, after), []);
      for (const n of readdirSync(fs.session.accountsDir))
        assert.match(n, /^[a-z0-9_]+\.ini$/, `unexpected entry ${n} in the accounts directory`);
    });

    describe('over a raw connection (what dbus-next will not send)', () => {
      const raw = (member: string, args: RawArg[], path = mutable[1], iface = ACCOUNT): RawMessage => ({
        type: 1,
        path,
        iface,
        member,
        destination: NAME,
        args,
      });

      it('strings that are not valid UTF-8 or hold NUL: the daemon drops the sender; the service survives and stored nothing', async () => {
        const bytes: Array<[string, number[]]> = [
          ['C3 28 (bad continuation)', [0x61, 0xc3, 0x28]],
          ['C0 AF (overlong "/")', [0xc0, 0xaf]],
          ['ED A0 80 (UTF-16 surrogate)', [0xed, 0xa0, 0x80]],
          ['80 (lone continuation)', [0x80]],
          ['FF', [0xff]],
          ['E2 82 (truncated)', [0x61, 0xe2, 0x82]],
          ['NUL inside', [0x61, 0x00, 0x62]],
          ['F4 90 80 80 (above U+10FFFF)', [0xf4, 0x90, 0x80, 0x80]],
        ];
        const count = Object.keys(await fs.client.managedObjects()).length;
        const outcomes: string[] = [];
        for (const [what, b] of bytes) {
          for (const m of [
            raw('SetSecret', [
              { t: 's', v: 'password' },
              { t: 's', v: Buffer.from(b) },
            ]),
            raw(
              'AddAccount',
              [
                { t: 's', v: 'imap' },
                { t: 's', v: Buffer.from(b) },
                { t: 'a{ss}', v: [] },
                { t: 'a{sv}', v: [] },
              ],
              ROOT,
              MANAGER,
            ),
          ]) {
            const bus = await RawBus.connect(fs.session.address);
            const r = await bus.call(m, 'l', 3000);
            calls++;
            FIGURES.callsFuzzed++;
            outcomes.push(
              `${what} ${m.member}: ${r ? (r.errorName ?? 'success') : bus.closed ? 'dropped by the daemon' : 'no answer'}`,
            );
            bus.close();
          }
        }
        console.log(
          `      [raw] ${outcomes.filter((o) => o.endsWith('dropped by the daemon')).length}/${outcomes.length} dropped by the daemon`,
        );
        assert.deepEqual(
          outcomes.filter((o) => /success|no answer/.test(o)),
          [],
        );
        assert.ok(alive(fs.service.pid));
        await within(fs.client.call(ROOT, PEER, 'Ping'), 2000, 'Ping');
        assert.equal(Object.keys(await fs.client.managedObjects()).length, count);
      });

      it('a big-endian message, a bad object path and an unknown message type: answered or refused, the service survives', async () => {
        const bus = await RawBus.connect(fs.session.address);
        const be = await bus.call(
          raw(
            'AddAccount',
            [
              { t: 's', v: 'imap' },
              { t: 's', v: 'bigendian@example.org' },
              { t: 'a{ss}', v: [] },
              { t: 'a{sv}', v: [] },
            ],
            ROOT,
            MANAGER,
          ),
          'B',
        );
        calls++;
        FIGURES.callsFuzzed++;
        assert.ok(be, 'no answer to a big-endian call');
        assert.equal(be.errorName, E + 'InvalidArgument', firstString(be)); // a manual account needs a host
        const ping = await bus.call({ type: 1, path: ROOT, iface: PEER, member: 'Ping', destination: NAME }, 'B');
        assert.ok(ping && ping.type === 2);
        const unknownType = await bus.call(
          { type: 9, path: ROOT, iface: MANAGER, member: 'ListProviders', destination: NAME },
          'l',
          2000,
        );
        assert.ok(!unknownType || unknownType.type === 3);
        bus.close();
        const bus2 = await RawBus.connect(fs.session.address);
        const badPath = await bus2.call(
          { type: 1, path: '/org//pantherx', iface: PEER, member: 'Ping', destination: NAME },
          'l',
          2000,
        );
        assert.ok(!badPath || badPath.type === 3);
        bus2.close();
        calls += 3;
        FIGURES.callsFuzzed += 3;
        assert.ok(alive(fs.service.pid));
        await within(fs.client.call(ROOT, PEER, 'Ping'), 2000, 'Ping');
      });

      it('an fd argument (h) without an fd does not kill the service: it answers InvalidArgument', async () => {
        const bus = await RawBus.connect(fs.session.address);
        const pid = fs.service.pid;
        const r = await bus.call(raw('CheckAccounts', [{ t: 'h', v: 0 }], ROOT, MANAGER), 'l', 5000);
        calls++;
        FIGURES.callsFuzzed++;
        const closed = bus.closed;
        bus.close();
        let survived = alive(pid);
        for (let i = 0; i < 20 && survived; i++) {
          await new Promise((res) => setTimeout(res, 50));
          survived = alive(pid);
        }
        const log = fs.service.log();
        if (!survived) await startTracked(fs); // so the rest of the run has a service
        assert.ok(survived, `the service died:\n${log.slice(-1500)}`);
        assert.equal(
          r?.errorName,
          E + 'InvalidArgument',
          r ? firstString(r) : `no reply (raw connection ${closed ? 'closed by the daemon' : 'open'})`,
        );
      });

      it('a huge secrets dict with valid names (500 secrets) is answered within 25 s (the usual D-Bus call timeout)', async () => {
        const secrets: Record<string, string> = {};
        for (let i = 0; i < 500; i++) secrets[`s${i}`] = newSecret();
        const t0 = Date.now();
        const r = await send(fuzzer, {
          path: ROOT,
          iface: MANAGER,
          member: 'AddAccount',
          signature: 'ssa{ss}a{sv}',
          body: ['imap', 'manysecrets@example.org', secrets, { 'imap.host': s('127.0.0.1') }],
        });
        assert.ok(r);
        assert.ok(r.name === 'ok' || ALLOWED.has(r.name), `${r.name}: ${r.text} after ${Date.now() - t0} ms`);
      });
    });
  });
}
