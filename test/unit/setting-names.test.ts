/**
 * Setting names (src/contract/setting-names.ts): one mapping from ListProtocols' key to the D-Bus
 * property and to the client's field, both ways, for every built-in protocol; the registry
 * refuses keys and properties outside it; the client reads and writes by it.
 */
import { strict as assert } from 'node:assert';
import dbus from 'dbus-next';
import { accountOf, addOptions, fieldOf, protocolInfoOf, updateChanges } from '../../src/client/convert.js';
import {
  SETTING_KEY,
  isSettingKey,
  settingField,
  settingFieldOfProperty,
  settingKeyOfField,
  settingKeyOfProperty,
  settingProperty,
} from '../../src/contract/setting-names.js';
import { BUILTIN_PROTOCOLS } from '../../src/protocols/builtin.js';
import { propertyName, type ProtocolPlugin } from '../../src/protocols/plugin.js';
import { registerProtocol, unregisterProtocol } from '../../src/protocols/registry.js';

const { Variant } = dbus;
const BTC = 'org.pantherx.Accounts.Btc';

describe('setting names: key ↔ property ↔ client field', () => {
  it('every built-in setting goes key → property → key and key → field → key', () => {
    let count = 0;
    for (const p of BUILTIN_PROTOCOLS) {
      for (const s of p.settings) {
        const where = `${p.id}.${s.key}`;
        assert.ok(isSettingKey(s.key), `${where} is a valid key`);
        assert.equal(settingProperty(s.key), s.property, `${where}: key → property`);
        assert.equal(propertyName(s.key), s.property, `${where}: the service's propertyName is the same rule`);
        assert.equal(settingKeyOfProperty(s.property), s.key, `${where}: property → key`);
        const field = settingField(s.key);
        assert.equal(
          field,
          settingFieldOfProperty(s.property),
          `${where}: the field of the key is the field of the property`,
        );
        assert.equal(settingKeyOfField(field), s.key, `${where}: field → key`);
        assert.equal(settingKeyOfField(s.key), s.key, `${where}: a key given as the field stays the key`);
        count++;
      }
    }
    assert.ok(count > 40, `${count} settings checked`);
  });

  it('names the underscore settings and the one irregular name as published', () => {
    const names = (key: string) => [settingProperty(key), settingField(key)];
    assert.deepEqual(names('gap_limit'), ['GapLimit', 'gapLimit']);
    assert.deepEqual(names('script_type'), ['ScriptType', 'scriptType']);
    assert.deepEqual(names('extra_certs'), ['ExtraCerts', 'extraCerts']);
    assert.deepEqual(names('client_id'), ['ClientId', 'clientId']);
    assert.deepEqual(names('ip4_addr'), ['Ip4Addr', 'ip4Addr']);
    assert.deepEqual(names('hostkey'), ['HostKey', 'hostKey'], 'SFTP: published before the rule');
    assert.equal(settingKeyOfField('hostKey'), 'hostkey');
    assert.equal(settingKeyOfField('gapLimit'), 'gap_limit');
    assert.equal(settingKeyOfField('ip4Addr'), 'ip4_addr');
  });

  it('refuses keys the mapping cannot take back', () => {
    for (const key of [
      'client-id',
      'a__b',
      'ip_4',
      '_x',
      'x_',
      'Gap',
      'gapLimit',
      '4x',
      '',
      'a'.repeat(33),
      'host_key',
    ]) {
      assert.ok(!isSettingKey(key), `'${key}' refused`);
    }
    assert.ok(isSettingKey('a'.repeat(32)));
    assert.ok(
      SETTING_KEY.test('host_key') && settingKeyOfProperty(settingProperty('host_key')) === 'hostkey',
      'host_key is refused because HostKey is hostkey',
    );
  });

  describe('the registry holds every protocol to it', () => {
    const shape = (id: string, settings: ProtocolPlugin['settings']): ProtocolPlugin => ({
      id,
      title: id,
      iface: `org.example.Names.${id}`,
      settings,
      secrets: [],
      needsLoginSecret: true,
      resolve: () => ({}),
      stored: (x) => x,
      verifier: { thread: false, verify: async () => ({ ok: true, code: 'Ok', message: '' }) },
    });
    afterEach(() => unregisterProtocol('names'));

    it('a plugin key outside the rule is refused, with the rule in the message', () => {
      for (const key of ['client-id', 'a__b', 'ip_4', 'host_key']) {
        assert.throws(
          () => registerProtocol(shape('names', [{ key, property: propertyName(key), kind: 'text', doc: '' }])),
          /is not a valid key \(lower-case words/,
          key,
        );
      }
    });

    it("a property other than the key's is refused", () => {
      assert.throws(
        () => registerProtocol(shape('names', [{ key: 'gap_limit', property: 'Gaplimit', kind: 'count', doc: '' }])),
        /setting 'gap_limit': its property must be 'GapLimit', not 'Gaplimit'/,
      );
      registerProtocol(shape('names', [{ key: 'gap_limit', property: 'GapLimit', kind: 'count', doc: '' }]));
    });
  });

  describe('the client reads and writes by it', () => {
    it('reads GapLimit as settings.btc.gapLimit, in accounts, changes and ListProtocols', () => {
      const known = new Map([[BTC, 'btc']]);
      const obj = new Map<string, Record<string, unknown>>([
        ['org.pantherx.Accounts.Account', { Id: 'btc_x', Protocols: ['btc'] }],
        [BTC, { Network: 'regtest', GapLimit: 30, ScriptType: 'p2tr' }],
      ]);
      const a = accountOf('/org/pantherx/Accounts/account/btc_x', obj, known)!;
      assert.equal(a.settings.btc!.gapLimit, 30);
      assert.equal(a.settings.btc!.scriptType, 'p2tr');
      assert.equal(fieldOf(BTC, 'GapLimit', known), 'settings.btc.gapLimit');
      const info = protocolInfoOf({
        id: new Variant('s', 'btc'),
        interface: new Variant('s', BTC),
        settings: new Variant('aa{sv}', [
          { key: new Variant('s', 'gap_limit'), property: new Variant('s', 'GapLimit'), type: new Variant('s', 'u') },
        ]),
      });
      assert.deepEqual(
        info.settings.map((x) => [x.key, x.property, x.field]),
        [['gap_limit', 'GapLimit', 'gapLimit']],
      );
    });

    it('writes a field back as its key, and a key as itself', () => {
      const sent = (settings: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(updateChanges({ settings: { btc: settings as never } })).map(([k, v]) => [
            k,
            [v.signature, v.value],
          ]),
        );
      assert.deepEqual(sent({ gapLimit: 30, scriptType: 'p2tr' }), {
        'btc.gap_limit': ['u', 30],
        'btc.script_type': ['s', 'p2tr'],
      });
      assert.deepEqual(sent({ gap_limit: 31 }), { 'btc.gap_limit': ['u', 31] });
      const sftp = addOptions({ provider: 'sftp', account: 'abc', settings: { sftp: { hostKey: '' } } });
      assert.deepEqual(Object.keys(sftp), ['sftp.hostkey']);
      assert.throws(() => sent({ gapLimit: 30, gap_limit: 31 }), /btc\.gap_limit is given twice/);
    });
  });
});
