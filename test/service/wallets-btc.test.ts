/**
 * Watch-only Bitcoin wallets through the bus, against the Bitcoin test chain (a test server of
 * ours: no Bitcoin node exists on these machines) served both as an Esplora REST API and as an
 * Electrum server — every case runs on both backends. Addresses and extended keys per network,
 * the first sync quiet, mempool transactions unsettled until mined, then announced once (signal
 * and notification) with exact amounts; an extended key's addresses derived past the gap limit;
 * outgoing payments with their fee; a reorg and an evicted transaction corrected, never counted
 * twice; a backend that goes away, and hostile ones, typed in the status.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HDKey } from '@scure/bip32';
import * as btc from '@scure/btc-signer';
import { ACCOUNT, MANAGER, ROOT, Variant, errorOf, s, type V } from '../harness/client.js';
import { useFixture } from '../harness/fixture.js';
import { nextLook } from '../harness/wallet-looks.js';
import { REGTEST, startTestBitcoin, type TestBitcoin } from '../harness/peers/bitcoin/index.js';
import { cli } from '../cli/helpers.js';
import { readTree, waitFor } from '../harness/session.js';
import { logBarrier } from '../harness/log-barrier.js';

const WALLET = 'org.pantherx.Accounts.Wallet';
const BTC_IFACE = 'org.pantherx.Accounts.Btc';
const ERR = 'org.pantherx.Accounts.Error.';
/** vpub / vprv: BIP-84 keys of the test networks. */
const VERSIONS = { public: 0x045f1cf6, private: 0x045f18bc };

/** A key the test holds, and its P2WPKH address on regtest. */
function newKey(): { key: Uint8Array; address: string } {
  const node = HDKey.fromMasterSeed(randomBytes(32));
  return { key: node.privateKey!, address: btc.p2wpkh(node.publicKey!, REGTEST).address };
}

/** A BIP-84 account key (m/84'/1'/0'): its vpub, and the address at chain/index. */
function newAccountKey(): { vpub: string; address(chain: number, index: number): string } {
  const account = HDKey.fromMasterSeed(randomBytes(32), VERSIONS).derive("m/84'/1'/0'");
  return {
    vpub: account.publicExtendedKey,
    address: (c, i) => btc.p2wpkh(account.deriveChild(c).deriveChild(i).publicKey!, REGTEST).address,
  };
}

describe('Bitcoin wallets over the bus (the Bitcoin test chain: Esplora and Electrum test servers)', function () {
  this.timeout(30_000);
  let chain: TestBitcoin;

  const fx = useFixture({
    start: async (fx) => void (chain = fx.own(await startTestBitcoin())),
    notifications: true,
    // A click on a notification runs the window's command: here one that writes down its arguments.
    windowRecorder: true,
    service: { env: { PX_ACCOUNTS_WALLET_POLL_MS: '300', PX_ACCOUNTS_WALLET_RPC_TIMEOUT_MS: '1500' } },
  });

  const status = (path: string) => fx.client.get(path, ACCOUNT, 'Status');
  const balances = async (path: string) => [
    await fx.client.get(path, WALLET, 'Balance'),
    await fx.client.get(path, WALLET, 'PendingBalance'),
  ];
  const transactions = async (path: string) =>
    ((await fx.client.call(path, WALLET, 'GetTransactions', 'uu', [0, 100]))[0] as Array<Record<string, V>>).map((t) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.value])),
    );
  const received = (path: string, mark: number) =>
    fx.client.signals.slice(mark).filter((x) => x.member === 'TransferReceived' && x.path === path);

  it('identifiers: checked against the network, private keys refused and never kept', async () => {
    const add = (account: string, network = 'regtest') =>
      fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'btc',
        account,
        {},
        { 'btc.network': s(network), 'btc.url': s(chain.esploraUrl) },
      ]);
    const mainnet = await errorOf(add('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'));
    assert.equal(mainnet.type, ERR + 'InvalidArgument');
    assert.match(mainnet.text, /network mainnet, but the account's network is regtest/);
    const wif = btc.WIF(REGTEST).encode(randomBytes(32));
    const refused = await errorOf(add(wif));
    assert.equal(refused.type, ERR + 'InvalidArgument');
    assert.match(refused.text, /private key \(WIF\)/);
    assert.equal(
      (await errorOf(add(newKey().address, 'local'))).type,
      ERR + 'InvalidArgument',
      'btc has no network local',
    );
    const noUrl = await errorOf(
      fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'btc',
        newKey().address,
        {},
        { 'btc.network': s('regtest') },
      ]),
    );
    assert.match(noUrl.text, /url is required for network regtest/);
    // Every line logged so far is read (the files were written before the calls replied).
    await logBarrier(fx.client, fx.service);
    assert.ok(!(readTree(fx.session.dir) + fx.service.log()).includes(wif), 'a private key was kept');
  });

  for (const backend of ['Esplora', 'Electrum'] as const) {
    describe(`through ${backend}`, () => {
      const url = () => (backend === 'Esplora' ? chain.esploraUrl : chain.electrumUrl);
      const addWallet = async (account: string, extra: Record<string, V> = {}) =>
        (
          await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
            'btc',
            account,
            {},
            { 'btc.network': s('regtest'), 'btc.url': s(url()), ...extra },
          ])
        )[0] as string;
      const online = (path: string) => waitFor('online', async () => (await status(path)) === 'online', 10_000);

      it('the first sync is history and quiet; a payment is pending in the mempool, then announced once when mined, to the satoshi', async () => {
        const me = newKey();
        const sender = newKey();
        chain.pay([{ address: sender.address, sats: 5_000_000n }]);
        const old = chain.pay([{ address: me.address, sats: 100_000_000n }]);
        chain.mine();
        const mark0 = fx.client.signals.length;
        const path = await addWallet(me.address);
        // The object appears with its wallet's values, not empty ones to be filled in later.
        const appeared = await fx.client.waitSignal(
          (x) => x.member === 'InterfacesAdded' && x.body[0] === path,
          5000,
          mark0,
        );
        const wallet = (appeared.body[1] as Record<string, Record<string, V>>)[WALLET]!;
        assert.deepEqual(
          [wallet.Currency!.value, wallet.Network!.value, wallet.Address!.value],
          ['BTC', 'regtest', me.address],
        );
        await online(path);
        assert.deepEqual(await balances(path), ['1', '1']);
        assert.deepEqual(
          (await transactions(path)).map((t) => [t.txid, t.direction, t.amount, t.confirmations]),
          [[old, 'in', '1', 1]],
        );
        assert.equal(await fx.client.get(path, BTC_IFACE, 'Network'), 'regtest');
        // A whole look after the first sync told nothing either.
        await nextLook(fx.client, path, backend === 'Esplora' ? 'poll' : 'refresh');
        const before = fx.notes.received.length;
        assert.equal(received(path, 0).length, 0, 'the first sync is quiet');

        const mark = fx.client.signals.length;
        const txid = chain.send(sender.key, me.address, 12_345n);
        await waitFor('pending', async () => (await balances(path))[1] === '1.00012345', 10_000);
        assert.equal((await balances(path))[0], '1', 'a mempool transaction is not in the balance');
        assert.deepEqual((await transactions(path))[0], {
          txid,
          direction: 'in',
          amount: '0.00012345',
          asset: '',
          counterparty: sender.address,
          time: (await transactions(path))[0]!.time,
          confirmations: 0,
        });
        assert.equal(received(path, mark).length, 0, 'nothing is announced before it is mined');
        chain.mine();
        const sig = await fx.client.waitSignal((x) => x.member === 'TransferReceived' && x.path === path, 10_000, mark);
        assert.deepEqual(sig.body, [txid, '0.00012345', sender.address]);
        assert.deepEqual(await balances(path), ['1.00012345', '1.00012345']);
        const [n] = (await fx.notes.waitFor(before + 1)).slice(before);
        assert.equal(n!.summary, 'Received 0.00012345 BTC');
        // A click on it opens the account in the Online Accounts window; a click on another's does nothing.
        fx.notes.invoke(n!.id + 1000, 'default');
        fx.notes.invoke(n!.id, 'default');
        const id = path.split('/').pop()!;
        await waitFor('the window opened', () => fx.windowOpenedWith().includes(`--account ${id}`), 5000);
        assert.equal(fx.windowOpenedWith().filter((l) => l === `--account ${id}`).length, 1);
        chain.mine(2);
        await waitFor('confirmations', async () => (await transactions(path))[0]!.confirmations === 3, 10_000);
        assert.equal(received(path, mark).length, 1, 'announced once');
        await fx.client.call(path, ACCOUNT, 'Remove');
      });

      it('an extended key: receive and change addresses derived past the gap limit; an outgoing payment counts with its fee', async () => {
        const account = newAccountKey();
        // Index 5, then 22: beyond the first 20, found because 5 is used.
        chain.pay([
          { address: account.address(0, 5), sats: 30_000n },
          { address: account.address(0, 22), sats: 40_000n },
        ]);
        chain.pay([{ address: account.address(1, 2), sats: 50_000n }]);
        chain.mine();
        const path = await addWallet(account.vpub);
        await online(path);
        assert.equal(await fx.client.get(path, BTC_IFACE, 'ScriptType'), '', 'what the prefix says: vpub is p2wpkh');
        assert.equal(await fx.client.get(path, BTC_IFACE, 'GapLimit'), 20);
        assert.deepEqual(await balances(path), ['0.0012', '0.0012']);
        assert.equal((await transactions(path)).length, 2, 'one transaction paying two of its addresses is one');

        // A payment to itself moves nothing but the fee.
        const single = newKey();
        const mark = fx.client.signals.length;
        const single_ = await addWallet(single.address);
        await online(single_);
        chain.pay([{ address: single.address, sats: 200_000n }]);
        chain.mine();
        await waitFor('funded', async () => (await balances(single_))[0] === '0.002', 10_000);
        const out = chain.send(single.key, account.address(0, 7), 150_000n, { fee: 1_000n });
        chain.mine();
        await waitFor('spent', async () => (await balances(single_))[0] === '0.00049', 10_000);
        const sent = (await transactions(single_)).find((t) => t.txid === out)!;
        assert.deepEqual([sent.direction, sent.amount, sent.counterparty], ['out', '0.00151', account.address(0, 7)]);
        const sig = await fx.client.waitSignal((x) => x.member === 'TransferReceived' && x.path === path, 10_000, mark);
        assert.deepEqual(sig.body, [out, '0.0015', single.address]);
        assert.deepEqual(await balances(path), ['0.0027', '0.0027']);
        await fx.client.call(path, ACCOUNT, 'Remove');
        await fx.client.call(single_, ACCOUNT, 'Remove');
      });

      it('a reorg that drops a mined payment, and a mempool transaction evicted: corrected, not counted twice', async () => {
        const me = newKey();
        chain.pay([{ address: me.address, sats: 1_000_000n }]);
        chain.mine();
        const path = await addWallet(me.address);
        await online(path);
        const mark = fx.client.signals.length;
        const dropped = chain.pay([{ address: me.address, sats: 7_000n }]);
        chain.mine();
        await fx.client.waitSignal(
          (x) => x.member === 'TransferReceived' && x.path === path && x.body[0] === dropped,
          10_000,
          mark,
        );
        assert.equal((await balances(path))[0], '0.01007');
        chain.reorg(1, [dropped]);
        await waitFor('reorg corrected', async () => (await balances(path))[0] === '0.01', 10_000);
        assert.ok(!(await transactions(path)).some((t) => t.txid === dropped));

        const evicted = chain.pay([{ address: me.address, sats: 9_000n }]);
        await waitFor('pending', async () => (await balances(path))[1] === '0.01009', 10_000);
        chain.evict(evicted);
        await waitFor('evicted', async () => (await balances(path))[1] === '0.01', 10_000);
        assert.ok(!(await transactions(path)).some((t) => t.txid === evicted));
        chain.mine(3);
        // A whole look at the three new blocks.
        await nextLook(fx.client, path, backend === 'Esplora' ? 'poll' : 'refresh');
        assert.equal(received(path, mark).length, 1, 'nothing told twice, nothing told that did not stay');
        await fx.client.call(path, ACCOUNT, 'Remove');
      });

      it('confirmations 2: a one-block-old payment is pending, not in Balance, not announced; what the first sync found unsettled is never announced', async () => {
        const me = newKey();
        const early = chain.pay([{ address: me.address, sats: 40_000n }]); // in the mempool when the wallet appears
        const path = await addWallet(me.address, { 'btc.confirmations': new Variant('u', 2) });
        await online(path);
        assert.deepEqual(await balances(path), ['0', '0.0004']);
        const mark = fx.client.signals.length;
        chain.mine();
        await waitFor('one confirmation', async () => (await transactions(path))[0]?.confirmations === 1, 10_000);
        assert.deepEqual(await balances(path), ['0', '0.0004'], 'younger than 2 blocks: pending');
        chain.mine();
        await waitFor('two confirmations', async () => (await balances(path))[0] === '0.0004', 10_000);
        const later = chain.pay([{ address: me.address, sats: 2_000n }]);
        chain.mine();
        // A whole look at the new block.
        await nextLook(fx.client, path, backend === 'Esplora' ? 'poll' : 'refresh');
        assert.equal(received(path, mark).length, 0, 'one block is not enough');
        chain.mine();
        const sig = await fx.client.waitSignal((x) => x.member === 'TransferReceived' && x.path === path, 10_000, mark);
        assert.equal(sig.body[0], later);
        assert.ok(!received(path, mark).some((x) => x.body[0] === early), 'the first sync found it: history, not news');
        await fx.client.call(path, ACCOUNT, 'Remove');
      });

      it('a long history is read in pages (Esplora: 25 a page), every transaction counted once', async () => {
        const me = newKey();
        const ids: string[] = [];
        for (let i = 1; i <= 60; i++) ids.push(chain.pay([{ address: me.address, sats: BigInt(i) }]));
        chain.mine();
        const path = await addWallet(me.address);
        await online(path);
        const all = (await fx.client.call(path, WALLET, 'GetTransactions', 'uu', [0, 1000]))[0] as unknown[];
        assert.equal(all.length, 60);
        assert.equal((await balances(path))[0], '0.0000183'); // 1 + 2 + … + 60 satoshis
        const page = (await fx.client.call(path, WALLET, 'GetTransactions', 'uu', [50, 20]))[0] as unknown[];
        assert.equal(page.length, 10);
        await fx.client.call(path, ACCOUNT, 'Remove');
      });

      it('a backend that goes away: offline, the data kept; back: online and caught up', async function () {
        this.timeout(60_000);
        const me = newKey();
        chain.pay([{ address: me.address, sats: 300_000n }]);
        chain.mine();
        const path = await addWallet(me.address);
        await online(path);
        await chain.stop();
        await waitFor('offline', async () => (await status(path)) === 'offline', 15_000);
        assert.equal((await balances(path))[0], '0.003', 'the data stays');
        await chain.start();
        chain.pay([{ address: me.address, sats: 100_000n }]);
        chain.mine();
        await waitFor(
          'online and caught up',
          async () => (await status(path)) === 'online' && (await balances(path))[0] === '0.004',
          40_000,
        );
        await fx.client.call(path, ACCOUNT, 'Remove');
      });

      it('hostile answers (not JSON, huge, negative, 10^80, silence) give a typed status with a message; the data stays; back to normal: online', async function () {
        this.timeout(180_000);
        const me = newKey();
        chain.pay([{ address: me.address, sats: 1_000n }]);
        chain.mine();
        const path = await addWallet(me.address);
        await online(path);
        const cases: Array<[TestBitcoin['mode'], string, RegExp]> = [
          ['garbage', 'error', /not JSON|not a height/],
          ['huge', 'error', backend === 'Esplora' ? /larger than 8 MB/ : /longer than 8 MB/],
          ['negative', 'error', /negative/],
          ['overflow', 'error', /satoshis|21 million/],
          ['silent', 'offline', /within 1.5 s/],
        ];
        try {
          for (const [mode, expected, message] of cases) {
            chain.mode = mode;
            chain.mine(); // something happens: an Electrum server pushes it
            await fx.client.call(path, WALLET, 'Refresh').catch(() => undefined);
            await waitFor(`${mode} → ${expected}`, async () => (await status(path)) === expected, 30_000).catch(
              async (err: Error) =>
                assert.fail(
                  `${err.message}: ${String(await status(path))} ${String(await fx.client.get(path, ACCOUNT, 'StatusMessage'))}`,
                ),
            );
            assert.match(String(await fx.client.get(path, ACCOUNT, 'StatusMessage')), message);
            assert.equal((await balances(path))[0], '0.00001', 'the data stays');
            chain.mode = 'normal';
            chain.mine();
            await fx.client.call(path, WALLET, 'Refresh').catch(() => undefined);
            await waitFor(`${mode} over → online`, async () => (await status(path)) === 'online', 40_000);
          }
        } finally {
          chain.mode = 'normal';
        }
        await fx.client.call(path, ACCOUNT, 'Remove');
      });
    });
  }

  it('an API key in the query of an Esplora URL ({api_key}): used for every request, never shown, not even when the server echoes it', async function () {
    this.timeout(30_000);
    const key = randomBytes(12).toString('hex');
    let good = key;
    // A hosted Esplora's gate: the key as ?key=…; anything else is 404 with the request echoed.
    const gate = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.get('key') !== good || !url.pathname.startsWith('/api/'))
        return res.writeHead(404).end(`Cannot GET ${req.url}`);
      http.get(`${chain.esploraUrl}${url.pathname.slice(4)}`, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
    });
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', () => r()));
    try {
      const me = newKey();
      chain.pay([{ address: me.address, sats: 5_000n }]);
      chain.mine();
      const [path] = await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'btc',
        me.address,
        { api_key: key },
        {
          'btc.network': s('regtest'),
          'btc.url': s(`http://127.0.0.1:${(gate.address() as AddressInfo).port}/api?key={api_key}`),
        },
      ]);
      const p = path as string;
      await waitFor(
        'online through the gate',
        async () => (await status(p)) === 'online' && (await balances(p))[0] === '0.00005',
        10_000,
      );
      good = 'another';
      await fx.client.call(p, WALLET, 'Refresh').catch(() => undefined);
      await waitFor('refused', async () => (await status(p)) === 'error', 10_000);
      const message = String(await fx.client.get(p, ACCOUNT, 'StatusMessage'));
      assert.match(message, /HTTP 404/);
      assert.ok(!message.includes(key), 'the echoed key is cut out of the message');
      // The failed look logged what it did before its status changed (and a look writes its files
      // before its status): every line logged so far is read now.
      await logBarrier(fx.client, fx.service);
      assert.ok(!(readTree(fx.session.dir) + fx.service.log()).includes(key), 'the key is in no file and no log line');
      await fx.client.call(p, ACCOUNT, 'Remove');
    } finally {
      gate.closeAllConnections();
      await new Promise((r) => gate.close(r));
    }
  });

  it('the command line: add with -network and -url, show with the balance, transactions', async () => {
    const me = newKey();
    const txid = chain.pay([{ address: me.address, sats: 250_000_000n }]);
    chain.mine();
    const added = await cli(fx.session.env, [
      'add',
      '-protocol',
      'btc',
      '-account',
      me.address.toUpperCase(),
      '-network',
      'regtest',
      '-url',
      chain.electrumUrl,
      '--json',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const created = JSON.parse(added.stdout) as { id: string; username: string; wallet: { currency: string } };
    assert.equal(created.username, me.address, 'bech32 stored in lower case');
    assert.equal(created.wallet.currency, 'BTC');
    await waitFor(
      'online',
      async () => (await cli(fx.session.env, ['show', created.id])).stdout.includes('2.5 BTC'),
      10_000,
    );
    const listed = await cli(fx.session.env, ['transactions', created.id, '--json']);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as Array<{ txid: string; amount: string; direction: string }>).map((t) => [
        t.txid,
        t.amount,
        t.direction,
      ]),
      [[txid, '2.5', 'in']],
    );
    assert.equal((await cli(fx.session.env, ['remove', created.id])).code, 0);
  });
});
