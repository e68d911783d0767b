/** ProviderIcon on accounts and icon in ListProviders, for catalogue, third-party and manual providers, over the bus. */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, MANAGER, ROOT, s, type V } from '../harness/client.js';
import { ROOT as REPO } from '../harness/session.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

describe('provider icons over the bus', function () {
  this.timeout(30_000);
  let png: string;

  const fx = useFixture({
    prepare: (fx) => {
      png = join(fx.session.dir, 'third.png');
      writeFileSync(png, Buffer.from('89504e470d0a1a0a', 'hex'));
      const provider = (name: string, icon: string) =>
        `[provider]\nname = ${name}\n${icon ? `icon = ${icon}\n` : ''}[imap]\nhost = imap.example.org\nport = 993\nsecurity = tls\n`;
      fx.provider('themed', provider('Themed', 'mail-unread'));
      fx.provider('drawn', provider('Drawn', png));
      fx.provider('plain', provider('Plain', ''));
      fx.provider('broken', provider('Broken', 'icons/broken.svg'));
    },
    service: true,
  });

  it('ListProviders: icon of every provider; a provider file with a bad icon is skipped, saying why', async () => {
    const [list] = (await fx.client.call(ROOT, MANAGER, 'ListProviders')) as [Array<Record<string, V>>];
    const icons = Object.fromEntries(list.map((p) => [p.id!.value as string, p.icon!.value as string]));
    assert.equal(icons.google, join(REPO, 'providers', 'icons', 'google.svg'));
    assert.equal(icons.fastmail, join(REPO, 'providers', 'icons', 'fastmail.svg'));
    assert.equal(icons.themed, 'mail-unread');
    assert.equal(icons.drawn, png);
    assert.equal(icons.plain, '');
    assert.equal(icons.broken, undefined);
    assert.match(fx.service.log(), /broken\.ini skipped: \[provider\] icon must be an icon name/);
  });

  it("Account.ProviderIcon: the provider's, and an icon of the theme for manual accounts", async () => {
    const fastmail = await fx.client.addAccount('fastmail', uniqueUser('icon'), { password: testSecret() });
    const drawn = await fx.client.addAccount('drawn', uniqueUser('icon'), { password: testSecret() });
    const manual = await fx.client.addAccount(
      'caldav',
      uniqueUser('icon'),
      { password: testSecret() },
      { 'caldav.url': s('https://dav.example.org/') },
    );
    assert.equal(
      await fx.client.get(fastmail, ACCOUNT, 'ProviderIcon'),
      join(REPO, 'providers', 'icons', 'fastmail.svg'),
    );
    assert.equal(await fx.client.get(drawn, ACCOUNT, 'ProviderIcon'), png);
    assert.equal(await fx.client.get(manual, ACCOUNT, 'ProviderIcon'), 'x-office-calendar');
  });
});
