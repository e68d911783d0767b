/** What the running service exports must be exactly what interfaces/*.xml says. */
import { strict as assert } from 'node:assert';
import { declared, introspect as introspectOn, shape } from '../harness/contract.js';
import type { InterfaceSpec } from '../../src/bus/contract.js';
import { ACCOUNT, MANAGER, ROOT, errorOf, s, as, q } from '../harness/client.js';
import { ACCESS_ANNOTATION, ACCESS_LEVELS } from '../../src/contract/access.js';
import { signatureOf } from '../../src/protocols/plugin.js';
import { allProtocols } from '../../src/protocols/registry.js';
import { testSecret, useFixture } from '../harness/fixture.js';

const OAUTH2 = 'org.pantherx.Accounts.OAuth2';
const SIGN_IN = 'org.pantherx.Accounts.SignIn';
/** Interfaces on other objects: an OAuth2 account's, a sign-in request's (test/service/oauth2.test.ts checks them). */
const ELSEWHERE = [OAUTH2, SIGN_IN];

/** A signature's complete types: 'ssa{ss}a{sv}' → ['s', 's', 'a{ss}', 'a{sv}']. */
function splitSignature(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length;) {
    let j = i;
    while (sig[j] === 'a') j++;
    if (sig[j] === '{' || sig[j] === '(') {
      const close = sig[j] === '{' ? '}' : ')';
      for (let depth = 0; j < sig.length; j++) {
        if (sig[j] === '{' || sig[j] === '(') depth++;
        else if (sig[j] === '}' || sig[j] === ')') depth--;
        if (depth === 0 && sig[j] === close) break;
      }
    }
    out.push(sig.slice(i, j + 1));
    i = j + 1;
  }
  return out;
}

describe('contract: exported interfaces match interfaces/*.xml', () => {
  const f = useFixture({ service: true });
  let accountPath: string;
  /** Wallets are accounts of their own: their interfaces are checked on one account each. */
  const walletPaths = new Map<string, string>();
  const own = allProtocols().filter((p) => p.live !== undefined || p.identifier !== undefined);
  /** An identifier, a backend (nothing listens on port 9) and a network of one's own of each wallet protocol. */
  const WALLETS: Record<string, [string, string, string]> = {
    btc: ['bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', 'tcp://127.0.0.1:9', 'regtest'],
    eth: ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'http://127.0.0.1:9/', 'local'],
    xrp: ['rGWrZyQqhTp9Xu7G5Pkayo7bXjH4k4QYpf', 'ws://127.0.0.1:9/', 'local'],
  };
  const pathOf = (iface: string) => {
    const p = own.find((x) => x.iface === iface || x.live?.iface === iface);
    return p ? walletPaths.get(p.id)! : accountPath;
  };

  before(async () => {
    assert.deepEqual(
      own.map((p) => p.id).sort(),
      Object.keys(WALLETS).sort(),
      'every wallet protocol has an example here',
    );
    for (const p of own) {
      const [identifier, url, network] = WALLETS[p.id]!;
      walletPaths.set(
        p.id,
        await f.client.addAccount(p.id, identifier, {}, { [`${p.id}.network`]: s(network), [`${p.id}.url`]: s(url) }),
      );
    }
    // Every other built-in protocol enabled at once, each with the least it needs.
    const options: Record<string, ReturnType<typeof s>> = {};
    for (const p of allProtocols().filter((x) => !own.includes(x))) {
      if (p.settings.some((x) => x.kind === 'url')) options[`${p.id}.url`] = s('http://127.0.0.1:5232/');
      else if (p.settings.some((x) => x.kind === 'host')) options[`${p.id}.host`] = s('127.0.0.1');
      else options[`${p.id}.remotes`] = s('127.0.0.1 1194 udp'); // OpenVPN: a server, no profile needed
    }
    accountPath = await f.client.addAccount(
      'imap',
      'contract@example.org',
      { password: testSecret() },
      {
        protocols: as(
          allProtocols()
            .filter((x) => !own.includes(x))
            .map((p) => p.id),
        ),
        ...options,
      },
    );
  });

  it('has one XML file per interface, each with documentation on every member', () => {
    const live = [...new Set(allProtocols().flatMap((p) => (p.live ? [p.live.iface] : [])))];
    assert.deepEqual(
      [...declared.keys()].sort(),
      [
        ACCOUNT,
        MANAGER,
        'org.pantherx.Accounts.Identity',
        ...ELSEWHERE,
        ...live,
        ...allProtocols().map((p) => p.iface),
      ].sort(),
    );
    for (const spec of declared.values()) {
      const members = [spec, ...spec.methods.values(), ...spec.properties.values(), ...spec.signals.values()];
      for (const m of members) {
        const doc = m.annotations.find((a) => a.name === 'org.gtk.GDBus.DocString');
        assert.ok(doc && doc.value.length > 10, `${spec.name} ${m.name} has no doc annotation`);
      }
    }
  });

  it("each protocol's interface has exactly one read-only property per setting, typed by its kind", () => {
    for (const p of allProtocols()) {
      const spec = declared.get(p.iface)!;
      const computed = (p.computed ?? []).map((c) => c.property);
      assert.deepEqual(
        [...spec.properties.keys()].sort(),
        [...p.settings.map((x) => x.property), ...computed].sort(),
        p.iface,
      );
      for (const x of p.settings) {
        const prop = spec.properties.get(x.property)!;
        assert.deepEqual([prop.type, prop.access], [signatureOf(x.kind), 'read'], `${p.iface}.${x.property}`);
      }
      for (const c of computed)
        assert.deepEqual([spec.properties.get(c)!.type, spec.properties.get(c)!.access], ['s', 'read']);
    }
  });

  const introspect = (path: string): Promise<Map<string, InterfaceSpec>> => introspectOn(f.client, path);

  it('the root object exports exactly Manager plus the standard interfaces', async () => {
    const got = await introspect(ROOT);
    assert.deepEqual(
      [...got.keys()].filter((n) => n.startsWith('org.pantherx.')),
      [MANAGER],
    );
    assert.ok(got.has('org.freedesktop.DBus.ObjectManager'));
    assert.deepEqual(shape(got.get(MANAGER)!), shape(declared.get(MANAGER)!));
  });

  it('an account object exports Account and every protocol interface exactly as declared', async () => {
    const got = new Map(await introspect(accountPath));
    for (const path of walletPaths.values()) for (const [k, v] of await introspect(path)) got.set(k, v);
    const ours = [...got.keys()].filter((n) => n.startsWith('org.pantherx.')).sort();
    assert.deepEqual(ours, [...declared.keys()].filter((n) => n !== MANAGER && !ELSEWHERE.includes(n)).sort());
    for (const name of ours) assert.deepEqual(shape(got.get(name)!), shape(declared.get(name)!), name);
  });

  it('every declared property is really served with its declared type', async () => {
    for (const [name, spec] of declared) {
      if (name === MANAGER || ELSEWHERE.includes(name)) continue;
      const [all] = await f.client.call(pathOf(name), 'org.freedesktop.DBus.Properties', 'GetAll', 's', [name]);
      const values = all as Record<string, { signature: string }>;
      assert.deepEqual(Object.keys(values).sort(), [...spec.properties.keys()].sort(), name);
      for (const [prop, p] of spec.properties) assert.equal(values[prop]?.signature, p.type, `${name}.${prop}`);
    }
  });

  it('every declared method is dispatched (a wrong signature is InvalidArgument, never UnknownMethod)', async () => {
    for (const [name, spec] of declared) {
      const path = name === MANAGER ? ROOT : accountPath;
      if (!(name === MANAGER || name === ACCOUNT)) continue;
      for (const m of spec.methods.values()) {
        const wrong = m.inSignature === 'b' ? 's' : 'b';
        const err = await errorOf(f.client.call(path, name, m.name, wrong, [wrong === 'b' ? true : 'x']));
        assert.equal(err.type, 'org.pantherx.Accounts.Error.InvalidArgument', `${name}.${m.name}: ${err.text}`);
        assert.match(err.text, new RegExp(`\\(${m.inSignature.replace(/[{}()]/g, '\\$&')}\\)`));
      }
    }
  });

  it('every method and writable property says who may call it (org.pantherx.Accounts.Access)', () => {
    for (const spec of declared.values()) {
      const members = [...spec.methods.values(), ...[...spec.properties.values()].filter((p) => p.access !== 'read')];
      for (const m of members) {
        const access = m.annotations.filter((a) => a.name === ACCESS_ANNOTATION);
        assert.equal(access.length, 1, `${spec.name}.${m.name} has no access annotation`);
        assert.ok(
          (ACCESS_LEVELS as readonly string[]).includes(access[0]!.value),
          `${spec.name}.${m.name}: ${access[0]!.value}`,
        );
      }
    }
  });

  it('every declared method has a handler: called with its real signature, it answers or fails with a typed error', async () => {
    const zero = (sig: string): unknown => {
      switch (sig[0]) {
        case 's':
        case 'o':
          return sig[0] === 'o' ? '/' : '';
        case 'b':
          return false;
        case 'a':
          return sig[1] === '{' ? {} : [];
        default:
          return 0;
      }
    };
    // A throwaway account: Remove is among the members, so it goes last.
    const scratch = await f.client.addAccount(
      'imap',
      'scratch@example.org',
      { password: testSecret() },
      { 'imap.host': s('127.0.0.1'), 'imap.port': q(9) },
    );
    const targets: Array<[string, string]> = [
      [MANAGER, ROOT],
      [ACCOUNT, scratch],
      ...[...walletPaths.values()].map((p): [string, string] => ['org.pantherx.Accounts.Wallet', p]),
    ];
    for (const [name, path] of targets) {
      const methods = [...declared.get(name)!.methods.values()].sort(
        (a, b) => Number(a.name === 'Remove') - Number(b.name === 'Remove'),
      );
      for (const m of methods) {
        const args = splitSignature(m.inSignature).map(zero);
        try {
          await f.client.call(path, name, m.name, m.inSignature, args);
        } catch (err) {
          const { type, text } = await errorOf(Promise.reject(err instanceof Error ? err : new Error(String(err))));
          assert.match(type, /^org\.pantherx\.Accounts\.Error\./, `${name}.${m.name}: ${type} ${text}`);
        }
      }
    }
    assert.doesNotMatch(f.service.log(), /internal error|no handler/);
  });

  it('an undeclared method is UnknownMethod', async () => {
    const err = await errorOf(f.client.call(accountPath, ACCOUNT, 'Explode'));
    assert.equal(err.type, 'org.freedesktop.DBus.Error.UnknownMethod');
  });
});
