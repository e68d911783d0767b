import { strict as assert } from 'node:assert';
import type { RawSettings } from '../../src/protocols/plugin.js';
import { requireProtocol } from '../../src/protocols/registry.js';
import { parseOptions } from '../../src/accounts/options.js';
import { checkStatus, INITIAL_STATUS, nextStatus } from '../../src/status/status.js';

const label = (k: string) => `option imap.${k}`;
const resolveSettings = (id: string, layers: RawSettings[], l: (k: string) => string) =>
  requireProtocol(id, 'test').resolve(layers, l);

describe('settings resolution', () => {
  it('derives the default port from security', () => {
    assert.equal(resolveSettings('imap', [{ host: 'h', security: 'starttls' }], label).port, 143);
    assert.equal(resolveSettings('smtp', [{ host: 'h', security: 'starttls' }], label).port, 587);
    assert.equal(resolveSettings('pop3', [{ host: 'h' }], label).port, 995);
    assert.equal(resolveSettings('sftp', [{ host: 'h' }], label).port, 22);
  });

  it('moves a default port along with security, but keeps an explicit one', () => {
    assert.equal(
      resolveSettings('imap', [{ host: 'h', port: 993, security: 'tls' }, { security: 'none' }], label).port,
      143,
    );
    assert.equal(
      resolveSettings('imap', [{ host: 'h', port: 1993, security: 'tls' }, { security: 'none' }], label).port,
      1993,
    );
    assert.equal(
      resolveSettings(
        'imap',
        [
          { host: 'h', port: 993 },
          { security: 'starttls', port: 2143 },
        ],
        label,
      ).port,
      2143,
    );
  });

  it('derives DAV host, port, security and path from the URL, and the URL from host settings', () => {
    const fromUrl = resolveSettings('caldav', [{ url: 'https://[::1]:8443/dav/' }], label);
    assert.deepEqual([fromUrl.host, fromUrl.port, fromUrl.security, fromUrl.path], ['::1', 8443, 'tls', '/dav/']);
    const fromHost = resolveSettings(
      'carddav',
      [{ url: 'https://old.example.org/' }, { host: '127.0.0.1', port: 5232, security: 'none' }],
      label,
    );
    assert.equal(fromHost.url, 'http://127.0.0.1:5232/');
  });

  it('refuses what makes no sense, naming the key', () => {
    assert.throws(() => resolveSettings('imap', [{}], label), /option imap\.host is required/);
    assert.throws(() => resolveSettings('imap', [{ host: 'h', port: '0' }], label), /option imap\.port must be a port/);
    assert.throws(
      () => resolveSettings('caldav', [{ host: 'h', security: 'starttls' }], label),
      /supports tls or none/,
    );
  });
});

describe('options', () => {
  const v = (signature: string, value: unknown) => ({ signature, value });
  it('parses typed options and refuses unknown keys and wrong types', () => {
    const parsed = parseOptions(
      { name: v('s', 'Work'), protocols: v('as', ['imap', 'imap', 'smtp']), 'imap.port': v('u', 993) },
      'add',
    );
    assert.deepEqual(parsed, {
      name: 'Work',
      protocols: ['imap', 'smtp'],
      settings: { imap: { port: 993 } },
      secrets: {},
    });
    assert.throws(() => parseOptions({ verify: v('b', true) }, 'update'), /unknown option 'verify'/);
    assert.throws(() => parseOptions({ 'imap.port': v('d', 1.5) }, 'add'), /must be an integer/);
    assert.throws(() => parseOptions({ 'imap.host.x': v('s', 'h') }, 'add'), /not a setting of IMAP/);
  });
});

describe('status', () => {
  it('changes only on a real change and stamps the time', () => {
    const online = nextStatus(INITIAL_STATUS, { status: 'online', message: '' });
    assert.equal(online.status, 'online');
    assert.ok(online.time > 0n);
    assert.equal(nextStatus(online, { status: 'online', message: '' }), online);
    const attention = nextStatus(online, { attentionNeeded: true });
    assert.equal(attention.time, online.time, 'AttentionNeeded alone does not move StatusTime');
    assert.throws(() => checkStatus('great', ''), /status must be one of/);
  });
});
