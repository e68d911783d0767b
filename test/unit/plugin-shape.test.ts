/**
 * A protocol registered in-process goes through the whole core with no edit anywhere else:
 * options, planning, the account file, the catalogue's manual provider and checks.
 */
import { strict as assert } from 'node:assert';
import { parseOptions } from '../../src/accounts/options.js';
import { planNewAccount, planUpdate } from '../../src/accounts/plan.js';
import type { ProtocolPlugin } from '../../src/protocols/plugin.js';
import { allProtocols, registerProtocol, unregisterProtocol } from '../../src/protocols/registry.js';
import { checkAll, mergeLayers, nonEmpty } from '../../src/protocols/settings.js';
import { Catalogue } from '../../src/providers/catalogue.js';
import { parseAccountFile, serializeAccount } from '../../src/store/account-file.js';
import { checkProtocols } from '../../src/verify/check.js';

const v = (signature: string, value: unknown) => ({ signature, value });

const settings = [
  { key: 'host', property: 'Host', kind: 'host', doc: 'Server.' },
  { key: 'mode', property: 'Mode', kind: 'enum', values: ['fast', 'safe'], doc: 'How.' },
  { key: 'token_id', property: 'TokenId', kind: 'text', doc: 'Learned on the first check.' },
] as const;

const demo: ProtocolPlugin = {
  id: 'demo',
  title: 'Demo',
  iface: 'org.example.Accounts.Demo',
  settings,
  secrets: ['apikey'],
  needsLoginSecret: true,
  resolve: (layers, label) => ({ mode: 'safe', ...nonEmpty(checkAll(settings, mergeLayers(settings, layers), label)) }),
  stored: nonEmpty,
  verifier: {
    thread: false,
    verify: async (s, secret, options) =>
      secret === 'pw' && options.secrets?.apikey === 'k'
        ? { ok: true, code: 'Ok' as const, message: `demo ${s.host} ${s.mode} ok` }
        : { ok: false, code: 'Unauthorized' as const, message: 'no' },
  },
  learn: (r, s) => (r.ok && !s.token_id ? { ...s, token_id: 't-1' } : undefined),
};

describe('a protocol registered in-process', () => {
  before(() => registerProtocol(demo));
  after(() => unregisterProtocol('demo'));

  it('is listed after the built-ins and refuses a second registration of its id or interface', () => {
    assert.equal(allProtocols().at(-1), demo);
    assert.throws(() => registerProtocol(demo), /already taken/);
    assert.throws(() => registerProtocol({ ...demo, id: 'demo2' }), /already used by protocol demo/);
    assert.throws(() => registerProtocol({ ...demo, id: 'Bad-Id' }), /not a valid protocol id/);
  });

  it('is planned, stored, read back, checked and updated through the core', async () => {
    const catalogue = Catalogue.load([]);
    const provider = catalogue.get('demo')!;
    assert.deepEqual([provider.name, provider.manual, provider.protocols], ['Demo', true, ['demo']]);
    assert.throws(
      () => parseOptions({ 'demo.mode': v('s', 'slow') }, 'add'),
      /option demo\.mode must be one of fast, safe/,
    );
    const plan = planNewAccount(provider, 'me', parseOptions({ 'demo.host': v('s', '127.0.0.1') }, 'add'));
    assert.deepEqual(plan.settings.demo, { mode: 'safe', host: '127.0.0.1' });

    const config = { ...plan, id: 'demo_me', credentials: ['apikey', 'password'] };
    const text = serializeAccount(config);
    assert.match(text, /\[demo\]\nmode = safe\nhost = 127\.0\.0\.1\n/);
    assert.deepEqual(parseAccountFile('demo_me', text, catalogue).config, config);

    const secrets: Record<string, string> = { password: 'pw', apikey: 'k' };
    const results = await checkProtocols(config, { names: Object.keys(secrets), get: async (n) => secrets[n] ?? null });
    assert.deepEqual({ ...results }, { demo: { ok: true, code: 'Ok', message: 'demo 127.0.0.1 safe ok' } });
    assert.deepEqual(demo.learn!(results.demo!, config.settings.demo!), {
      mode: 'safe',
      host: '127.0.0.1',
      token_id: 't-1',
    });

    const updated = planUpdate(config, provider, parseOptions({ 'demo.mode': v('s', 'fast') }, 'update'));
    assert.equal(updated.settings.demo!.mode, 'fast');
  });
});
