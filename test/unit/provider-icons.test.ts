/** Provider icons (src/providers/icons.ts): every built-in provider has one drawn for the project; what provider files may name. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PROVIDER_DIR, Catalogue, parseProvider } from '../../src/providers/catalogue.js';
import { checkIcon } from '../../src/providers/icons.js';

describe('provider icons', () => {
  it('every catalogue provider has its own SVG (a rounded square with a letter), by absolute path', () => {
    const providers = Catalogue.load([BUILTIN_PROVIDER_DIR]).list();
    assert.ok(providers.length >= 10);
    for (const p of providers) {
      assert.equal(p.icon, join(BUILTIN_PROVIDER_DIR, 'icons', `${p.id}.svg`), p.id);
      const svg = readFileSync(p.icon, 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 64 64">/, p.id);
      assert.match(svg, /<rect [^>]*rx="14"/, p.id);
      assert.doesNotMatch(svg, /<script|href=|<image/i, `${p.id}: nothing but shapes and a letter`);
    }
    const manual = Catalogue.load([BUILTIN_PROVIDER_DIR]);
    assert.equal(manual.get('imap')!.icon, 'mail-unread');
    assert.equal(manual.get('caldav')!.icon, 'x-office-calendar');
  });

  it('a provider file may name an icon of the theme or an absolute path to an existing .svg/.png; anything else is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxa-icons-'));
    const png = join(dir, 'mine.png');
    writeFileSync(png, Buffer.from('89504e470d0a1a0a', 'hex'));
    const file = (icon: string) => `[provider]\nname = Mine\nicon = ${icon}\n[imap]\nhost = imap.example.org\n`;
    assert.equal(parseProvider('mine', file('mail-unread')).icon, 'mail-unread');
    assert.equal(parseProvider('mine', file('org.example.Mail')).icon, 'org.example.Mail');
    assert.equal(parseProvider('mine', file(png)).icon, png);
    for (const [bad, why] of [
      ['icons/mine.svg', /icon name .* or an absolute path/],
      ['mine.svg', /icon name/],
      [join(dir, 'missing.svg'), /not an existing file/],
      [join(dir, 'x.jpg'), /absolute path to an \.svg or \.png/],
      ['../x', /icon name/],
      [`${dir}/../x.svg`, /icon name|absolute/],
      ['a b', /icon name/],
    ] as const) {
      assert.throws(() => parseProvider('mine', file(bad)), why, bad);
      assert.throws(() => checkIcon(bad), why, bad);
    }
    // Without `icon`, icons/<id>.svg next to the file, if there is one; else none.
    assert.equal(parseProvider('mine', '[provider]\nname = Mine\n[imap]\nhost = imap.example.org\n', dir).icon, '');
    assert.equal(
      parseProvider('google', readFileSync(join(BUILTIN_PROVIDER_DIR, 'google.ini'), 'utf8'), BUILTIN_PROVIDER_DIR)
        .icon,
      join(BUILTIN_PROVIDER_DIR, 'icons', 'google.svg'),
    );
  });
});
