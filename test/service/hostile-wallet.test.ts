/**
 * Red team: an Esplora backend that lies about addresses. What it calls an input's address becomes
 * the counterparty of a transfer — in TransferReceived, GetTransactions and the notification. A
 * NUL there failed the signal and, being kept in the wallet's book, every GetTransactions of the
 * wallet from then on; escape sequences went to whoever prints it.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HDKey } from '@scure/bip32';
import * as btc from '@scure/btc-signer';
import { ACCOUNT, MANAGER, ROOT, s, type V } from '../harness/client.js';
import { useFixture } from '../harness/fixture.js';
import { REGTEST, startTestBitcoin, type TestBitcoin } from '../harness/peers/bitcoin/index.js';
import { waitFor } from '../harness/session.js';

const WALLET = 'org.pantherx.Accounts.Wallet';
/** As JSON text: NUL, a title-setting OSC, a screen clear. */
const HOSTILE_JSON = JSON.stringify('bc1q\u0000\u001b]0;owned\u0007\u001b[2J');

describe('red team: an Esplora backend that lies about addresses', function () {
  this.timeout(60_000);
  let chain: TestBitcoin;
  let liar: http.Server;
  const fx = useFixture({
    start: async (fx) => void (chain = fx.own(await startTestBitcoin())),
    notifications: true,
    service: { env: { PX_ACCOUNTS_WALLET_POLL_MS: '300', PX_ACCOUNTS_WALLET_RPC_TIMEOUT_MS: '1500' } },
  });
  after(() => liar?.close());

  it('a NUL and escape sequences as a sender’s address: the transfer is announced, GetTransactions answers, no control character anywhere', async () => {
    const me = btc.p2wpkh(HDKey.fromMasterSeed(randomBytes(32)).publicKey!, REGTEST).address;
    // In front of the test chain's Esplora: every address but ours replaced by the hostile one.
    liar = http.createServer((req, res) => {
      http.get(`${chain.esploraUrl}${req.url}`, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          const body = Buffer.concat(chunks)
            .toString('utf8')
            .replace(/"scriptpubkey_address":"([^"]*)"/g, (all, a: string) =>
              a === me ? all : `"scriptpubkey_address":${HOSTILE_JSON}`,
            );
          res.writeHead(r.statusCode ?? 502, { 'content-type': r.headers['content-type'] ?? 'text/plain' });
          res.end(body);
        });
      });
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
    const [path] = (await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
      'btc',
      me,
      {},
      { 'btc.network': s('regtest'), 'btc.url': s(url) },
    ])) as [string];
    await waitFor('online', async () => (await fx.client.get(path, ACCOUNT, 'Status')) === 'online', 10_000);

    const mark = fx.client.signals.length;
    const txid = chain.pay([{ address: me, sats: 50_000n }]);
    chain.mine();
    const sig = await fx.client.waitSignal((x) => x.member === 'TransferReceived' && x.path === path, 20_000, mark);
    assert.equal(sig.body[0], txid);
    assert.doesNotMatch(String(sig.body[2]), /\p{Cc}/u);

    const [list] = await fx.client.call(path, WALLET, 'GetTransactions', 'uu', [0, 10]);
    const t = (list as Array<Record<string, V>>).find((x) => x.txid?.value === txid);
    assert.ok(t, 'the transfer is listed');
    assert.doesNotMatch(String(t.counterparty?.value), /\p{Cc}/u);
    const note = await fx.notes.waitFor(1);
    assert.doesNotMatch(JSON.stringify(note), /\\u0000|\\u001b/);
    assert.equal(await fx.client.get(path, ACCOUNT, 'Status'), 'online');
  });
});
