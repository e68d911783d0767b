/** ProviderIcon on accounts and icon in ListProviders, for catalogue, third-party and manual providers, over the bus. */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, MANAGER, ROOT, s, type V } from '../harness/client.js';
import { ROOT as REPO, startService, startSession, type ServiceProcess, type Session } from '../harness/session.js';
import { TestClient } from '../harness/client.js';
import { testSecret, uniqueUser } from './fixture.js';

describe('provider icons over the bus', function () {
  this.timeout(30_000);
  let session: Session;
  let service: ServiceProcess;
  let client: TestClient;
  let png: string;

  before(async () => {
    session = await startSession();
    const dir = join(session.dir, 'data', 'px-accounts', 'providers');
    mkdirSync(dir, { recursive: true });
    png = join(session.dir, 'third.png');
    writeFileSync(png, Buffer.from('89504e470d0a1a0a', 'hex'));
    const provider = (name: string, icon: string) =>
      `[provider]\nname = ${name}\n${icon ? `icon = ${icon}\n` : ''}[imap]\nhost = imap.example.org\nport = 993\nsecurity = tls\n`;
    writeFileSync(join(dir, 'themed.ini'), provider('Themed', 'mail-unread'));
    writeFileSync(join(dir, 'drawn.ini'), provider('Drawn', png));
    writeFileSync(join(dir, 'plain.ini'), provider('Plain', ''));
    writeFileSync(join(dir, 'broken.ini'), provider('Broken', 'icons/broken.svg'));
    service = await startService(session);
    client = await TestClient.connect(session.address);
  });
  after(async () => {
    client?.disconnect();
    await service?.stop();
    await session?.stop();
  });

  it('ListProviders: icon of every provider; a provider file with a bad icon is skipped, saying why', async () => {
    const [list] = (await client.call(ROOT, MANAGER, 'ListProviders')) as [Array<Record<string, V>>];
    const icons = Object.fromEntries(list.map((p) => [p.id!.value, p.icon!.value]));
    assert.equal(icons.google, join(REPO, 'providers', 'icons', 'google.svg'));
    assert.equal(icons.fastmail, join(REPO, 'providers', 'icons', 'fastmail.svg'));
    assert.equal(icons.themed, 'mail-unread');
    assert.equal(icons.drawn, png);
    assert.equal(icons.plain, '');
    assert.equal(icons.broken, undefined);
    assert.match(service.log(), /broken\.ini skipped: \[provider\] icon must be an icon name/);
  });

  it("Account.ProviderIcon: the provider's, and an icon of the theme for manual accounts", async () => {
    const fastmail = await client.addAccount('fastmail', uniqueUser('icon'), { password: testSecret() });
    const drawn = await client.addAccount('drawn', uniqueUser('icon'), { password: testSecret() });
    const manual = await client.addAccount(
      'caldav',
      uniqueUser('icon'),
      { password: testSecret() },
      { 'caldav.url': s('https://dav.example.org/') },
    );
    assert.equal(await client.get(fastmail, ACCOUNT, 'ProviderIcon'), join(REPO, 'providers', 'icons', 'fastmail.svg'));
    assert.equal(await client.get(drawn, ACCOUNT, 'ProviderIcon'), png);
    assert.equal(await client.get(manual, ACCOUNT, 'ProviderIcon'), 'x-office-calendar');
  });
});
