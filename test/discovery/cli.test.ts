/**
 * px-accounts with an address only, in a network namespace of its own (netns.ts): discover
 * shows what was found and from where; add checks against the real Dovecot and saves, asks on a
 * terminal for settings that are not trusted, takes --yes, and without a terminal saves nothing.
 */
import { strict as assert } from 'node:assert';
import { cli } from '../cli/helpers.js';
import { onTerminal } from './terminal.js';
import { nsTest as test, useDiscoveryWorld } from './fixture.js';
import { configXml, MAIL, WEB, type Zone } from './world.js';

const PASSWORD = `pw-${Math.random().toString(36).slice(2)}`;
const xml = (d: string) => ({
  body: configXml(
    [d],
    [
      { type: 'imap', host: `imap.${d}`, port: 993, socket: 'SSL' },
      { type: 'smtp', host: `smtp.${d}`, port: 465, socket: 'SSL' },
    ],
  ),
});
const ZONE: Zone = {
  hosts: {
    'autoconfig.ok.test': WEB,
    'autoconfig.hoster.test': WEB,
    'imap.ok.test': MAIL,
    'smtp.ok.test': MAIL,
    'imap.hoster.test': MAIL,
    'smtp.hoster.test': MAIL,
  },
  srv: [],
  mx: { 'custom.test': 'mx.hoster.test' },
  txt: {},
  web: {
    'https://autoconfig.ok.test/mail/config-v1.1.xml': xml('ok.test'),
    'https://autoconfig.hoster.test/mail/config-v1.1.xml': xml('hoster.test'),
  },
};
const USERS = {
  'alice@ok.test': PASSWORD,
  'carol@custom.test': PASSWORD,
  'dan@custom.test': PASSWORD,
  'erin@custom.test': PASSWORD,
};

describe('px-accounts with an address only (own network namespace: dnsmasq, HTTPS, Dovecot)', function () {
  const f = useDiscoveryWorld(import.meta.filename, ZONE, USERS);
  const accounts = async () => await f.client.managedObjects();

  test('discover shows the servers, where they came from and whether to trust them (and --json)', async () => {
    const human = await cli(f.session.env, ['discover', 'alice@ok.test']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      /^Settings for alice@ok\.test, from the domain's autoconfig file \(ok\.test\): trusted$/m,
    );
    assert.match(human.stdout, /^imap +imap\.ok\.test:993 +tls +alice@ok\.test$/m);
    const json = await cli(f.session.env, ['discover', 'carol@custom.test', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const found = JSON.parse(json.stdout) as {
      source: string;
      domain: string;
      trusted: boolean;
      settings: { imap: { host: string } };
    };
    assert.deepEqual(
      [found.source, found.domain, found.trusted, found.settings.imap.host],
      ['mx', 'hoster.test', false, 'imap.hoster.test'],
    );
    const none = await cli(f.session.env, ['discover', 'nobody@nothing.test', '--no-probe']);
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stderr, /nothing\.test/);
  });

  test('add with an address and a password: checked with the server, then saved', async () => {
    const r = await cli(f.session.env, ['add', '-account', 'alice@ok.test', '--password-stdin'], PASSWORD);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /from the domain's autoconfig file \(ok\.test\): trusted/);
    assert.match(r.stdout, /^Added imap_alice_at_ok_test: /m);
  });

  test('settings that are not trusted: without a terminal nothing is saved unless --yes', async () => {
    const refused = await cli(f.session.env, ['add', '-account', 'carol@custom.test', '--password-stdin'], PASSWORD);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /NOT TRUSTED/);
    assert.match(refused.stderr, /hoster\.test.*nothing was saved.*--yes/s);
    assert.ok(!Object.keys(await accounts()).some((p) => p.includes('carol')), 'nothing saved');
    const yes = await cli(
      f.session.env,
      ['add', '-account', 'carol@custom.test', '--password-stdin', '--yes'],
      PASSWORD,
    );
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stdout, /^Added imap_carol_at_custom_test: /m);
  });

  test('on a terminal the person is asked: yes adds (after the password prompt), anything else saves nothing', async () => {
    const no = await onTerminal(f.session.env, ['add', '-account', 'dan@custom.test'], [['[y/N]', 'n\r']]);
    assert.equal(no.code, 1, no.output);
    assert.match(no.output, /Use the settings of hoster\.test for dan@custom\.test\?/);
    assert.ok(!Object.keys(await accounts()).some((p) => p.includes('dan')), 'nothing saved');
    const yes = await onTerminal(
      f.session.env,
      ['add', '-account', 'erin@custom.test'],
      [
        ['[y/N]', 'y\r'],
        ['Password:', `${PASSWORD}\r`],
      ],
    );
    assert.equal(yes.code, 0, yes.output);
    assert.match(yes.output, /Added imap_erin_at_custom_test: /);
    assert.ok(!yes.output.includes(PASSWORD), 'the password is not echoed');
  });
});
