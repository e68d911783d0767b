/**
 * The window's first page, in a network namespace of its own (netns.ts), in Chromium: an e-mail
 * address and a password → what was found and from where → (untrusted: the person confirms the
 * domain) → checked against the real Dovecot → saved. Nothing found offers set-up by hand.
 */
import { strict as assert } from 'node:assert';
import { nsTest as test, useDiscoveryWorld } from './fixture.js';
import { configXml, MAIL, SELF, WEB, type Zone } from './world.js';

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
    'autoconfig.self.test': WEB,
    'mail.self.test': SELF,
  },
  srv: [],
  mx: { 'custom.test': 'mx.hoster.test' },
  txt: {},
  web: {
    'https://autoconfig.ok.test/mail/config-v1.1.xml': xml('ok.test'),
    'https://autoconfig.hoster.test/mail/config-v1.1.xml': xml('hoster.test'),
    // A self-hosted server: Dovecot on SELF with a certificate of a CA the service does not know.
    'https://autoconfig.self.test/mail/config-v1.1.xml': {
      body: configXml(
        ['self.test'],
        [
          { type: 'imap', host: 'mail.self.test', port: 993, socket: 'SSL' },
          { type: 'smtp', host: 'mail.self.test', port: 587, socket: 'STARTTLS' },
        ],
      ),
    },
  },
};
const USERS = { 'alice@ok.test': PASSWORD, 'carol@custom.test': PASSWORD, 'gus@self.test': PASSWORD };

describe('the window adds an account from an address and a password (own network namespace, Chromium)', function () {
  const f = useDiscoveryWorld(import.meta.filename, ZONE, USERS, { window: true });

  const start = async (address: string) => {
    const page = f.win.page;
    await page.goto(new URL('/#/add', page.url()).href);
    await page.getByLabel('E-mail address').fill(address);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    return page;
  };

  test('trusted settings: found, where from, checked with the server, saved, the account page opens', async function () {
    this.timeout(30_000);
    const page = await start('alice@ok.test');
    await page
      .getByText("Found the settings of ok.test in the domain's own configuration file.")
      .waitFor({ timeout: 15_000 });
    await page.getByRole('list', { name: 'Servers found' }).getByText('IMAP: imap.ok.test:993 (TLS)').waitFor();
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.waitForURL(/#\/account\/imap_alice_at_ok_test/, { timeout: 20_000 });
    const objects = await f.client.managedObjects();
    assert.ok(Object.keys(objects).some((p) => p.endsWith('/imap_alice_at_ok_test')));
  });

  test("a self-hosted server's certificate: its fingerprint shown, accepted only after the person confirms, pinned to the account", async function () {
    this.timeout(40_000);
    const page = await start('gus@self.test');
    await page
      .getByRole('list', { name: 'Servers found' })
      .getByText('IMAP: mail.self.test:993 (TLS)')
      .waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Add account' }).click();
    const accept = page.getByRole('button', { name: 'Accept this certificate and add' });
    await accept.waitFor({ timeout: 20_000 });
    const fingerprints = await page.locator('.fingerprint').allTextContents();
    assert.equal(fingerprints.length, 2, 'IMAP and SMTP, each named');
    assert.ok(
      fingerprints.every((fp) => /^sha256:[0-9a-f]{64}$/.test(fp)),
      fingerprints.join(),
    );
    assert.equal(await accept.isDisabled(), true, 'not before the person confirms');
    await page.getByLabel(/I compared the fingerprint/).check();
    await accept.click();
    await page.waitForURL(/#\/account\/imap_gus_at_self_test/, { timeout: 20_000 });
    const objects = await f.client.managedObjects();
    const path = Object.keys(objects).find((p) => p.endsWith('/imap_gus_at_self_test'))!;
    const pinned = objects[path]!['org.pantherx.Accounts.Account']!.PinnedCertificates!.value as Record<string, string>;
    assert.deepEqual(Object.keys(pinned).sort(), ['mail.self.test:587', 'mail.self.test:993']);
    assert.deepEqual(Object.values(pinned).sort(), [...fingerprints].sort());
  });

  test('untrusted settings: named with their domain and a warning; added only after the person confirms', async function () {
    this.timeout(30_000);
    const page = await start('carol@custom.test');
    await page
      .getByRole('alert')
      .filter({ hasText: 'These settings are published by hoster.test, not by custom.test' })
      .waitFor({ timeout: 15_000 });
    const add = page.getByRole('button', { name: 'Add account' });
    assert.equal(await add.isDisabled(), true, 'not before the person confirms');
    await page.getByLabel('hoster.test is my mail provider: use its settings for custom.test').check();
    await add.click();
    await page.waitForURL(/#\/account\/imap_carol_at_custom_test/, { timeout: 20_000 });
  });

  test('nothing found: says so and offers set-up by hand', async function () {
    this.timeout(30_000);
    const page = await start('nobody@nothing.test');
    await page
      .getByRole('alert')
      .filter({ hasText: 'No settings were found for nothing.test.' })
      .waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: 'Set up the servers by hand' }).click();
    await page.waitForURL(/#\/add\/manual-mail/);
  });
});
