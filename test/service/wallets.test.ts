/**
 * Watch-only Ethereum wallets through the bus, against a real node (anvil) the tests send money
 * on: addresses checked (EIP-55, private keys refused and never kept), the first sync quiet,
 * transfers seen with no call (TransferReceived, Balance, one desktop notification per batch),
 * exact amounts, nothing told twice across a restart, a reorg corrected, a node that goes away
 * offline and back online, and hostile backends typed, never crashing or blocking the bus.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toChecksumAddress } from '@ethereumjs/util';
import { ACCOUNT, MANAGER, ROOT, Variant, errorOf, s, type V } from '../harness/client.js';
import { startAnvil, type Anvil } from '../harness/peers/anvil.js';
import { startTestRippled, type TestRippled } from '../harness/peers/rippled.js';
import { rippleCodec } from '../../src/protocols/xrp/address.js';
import { cli, spawnCli } from '../cli/helpers.js';
import { useFixture } from '../harness/fixture.js';
import { nextLook } from '../harness/wallet-looks.js';
import { readTree, waitFor } from '../harness/session.js';
import { logBarrier } from '../harness/log-barrier.js';

const WALLET = 'org.pantherx.Accounts.Wallet';
const ETH_IFACE = 'org.pantherx.Accounts.Eth';
const ERR = 'org.pantherx.Accounts.Error.';
const WEI = 10n ** 18n;
const newAddress = () => toChecksumAddress(`0x${randomBytes(20).toString('hex')}`);

describe('Ethereum wallets over the bus (anvil)', function () {
  this.timeout(30_000);
  let anvil: Anvil;
  const env = {
    PX_ACCOUNTS_WALLET_POLL_MS: '300',
    PX_ACCOUNTS_WALLET_RPC_TIMEOUT_MS: '1500',
    PX_ACCOUNTS_ETH_BACKFILL: '5',
  };
  const fx = useFixture({
    start: async (fx) => void (anvil = fx.own(await startAnvil())),
    notifications: true,
    service: { env },
  });

  const addWallet = async (address: string, url = anvil.url) =>
    (
      await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'eth',
        address,
        {},
        { 'eth.network': s('local'), 'eth.url': s(url) },
      ])
    )[0] as string;
  const balance = (path: string) => fx.client.get(path, WALLET, 'Balance');
  const transactions = async (path: string) =>
    ((await fx.client.call(path, WALLET, 'GetTransactions', 'uu', [0, 100]))[0] as Array<Record<string, V>>).map((t) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.value])),
    );

  it('addresses: EIP-55 checked, one case accepted and stored checksummed, a wrong checksum, a private key or a seed phrase refused and never kept', async () => {
    // The EIP-55 test vectors.
    for (const a of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ]) {
      const path = await addWallet(a.toLowerCase());
      assert.equal(await fx.client.get(path, ACCOUNT, 'Username'), a);
      assert.equal(await fx.client.get(path, WALLET, 'Address'), a);
      assert.equal(await fx.client.get(path, WALLET, 'Currency'), 'ETH');
      assert.equal(await fx.client.get(path, ETH_IFACE, 'Network'), 'local');
      await fx.client.call(path, ACCOUNT, 'Remove');
    }
    const wrong = await errorOf(addWallet('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAEd'));
    assert.equal(wrong.type, ERR + 'InvalidArgument');
    assert.match(wrong.text, /EIP-55 checksum/);
    const key = randomBytes(32).toString('hex');
    const phrase = 'abandon ability able about above absent absorb abstract absurd abuse access accident';
    for (const secret of [key, `0x${key}`, phrase]) {
      const err = await errorOf(addWallet(secret));
      assert.equal(err.type, ERR + 'InvalidArgument');
      assert.match(err.text, /private key|seed phrase/);
      assert.ok(!err.text.includes(key) && !err.text.includes('abandon'), 'the error quotes the secret');
    }
    // Every line logged so far is read (the files were written before the calls replied).
    await logBarrier(fx.client, fx.service);
    const everything = readTree(fx.session.dir) + fx.service.log();
    assert.ok(!everything.includes(key) && !everything.includes(phrase), 'a private key or seed phrase was kept');
    assert.equal((await errorOf(addWallet('0x1234'))).type, ERR + 'InvalidArgument');
  });

  it('a wallet is an account of its own: not next to other protocols, not added to another account', async () => {
    const phrase = 'abandon ability able about above absent absorb abstract absurd abuse access accident';
    for (const [identifier, protocols] of [
      [newAddress(), ['eth', 'imap']],
      [phrase, ['imap', 'eth']],
    ] as const) {
      const err = await errorOf(
        fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
          protocols[0],
          identifier,
          {},
          {
            protocols: new Variant('as', [...protocols]),
            'imap.host': s('127.0.0.1'),
            'eth.network': s('local'),
            'eth.url': s(anvil.url),
          },
        ]),
      );
      assert.equal(err.type, ERR + 'UnsupportedProtocol', err.text);
      assert.ok(!err.text.includes('abandon'));
    }
    const mail = (
      await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'imap',
        'someone@example.org',
        {},
        { 'imap.host': s('127.0.0.1') },
      ])
    )[0] as string;
    const err = await errorOf(
      fx.client.call(mail, ACCOUNT, 'Update', 'a{sv}', [
        { protocols: new Variant('as', ['imap', 'eth']), 'eth.network': s('local'), 'eth.url': s(anvil.url) },
      ]),
    );
    assert.equal(err.type, ERR + 'UnsupportedProtocol');
    await fx.client.call(mail, ACCOUNT, 'Remove');
  });

  it('the first sync looks back a few blocks only, and a backend on another chain than the account names is an error', async () => {
    const old = newAddress();
    await anvil.send(old, WEI); // then 10 more blocks: older than the backfill (5 here)
    for (let i = 0; i < 10; i++) await anvil.rpc('evm_mine');
    const p = await addWallet(old);
    await waitFor(
      'first sync',
      async () => (await balance(p)) === '1' && (await fx.client.get(p, ACCOUNT, 'Status')) === 'online',
      10_000,
    );
    assert.deepEqual(await transactions(p), [], 'the old transfer is older than the backfill');
    await fx.client.call(p, ACCOUNT, 'Remove');
    const wrong = (
      await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'eth',
        newAddress(),
        {},
        { 'eth.network': s('sepolia'), 'eth.url': s(anvil.url) },
      ])
    )[0] as string;
    await waitFor('chain mismatch', async () => (await fx.client.get(wrong, ACCOUNT, 'Status')) === 'error', 10_000);
    assert.match(String(await fx.client.get(wrong, ACCOUNT, 'StatusMessage')), /chain 31337, not sepolia/);
    await fx.client.call(wrong, ACCOUNT, 'Remove');
  });

  let path = '';
  let address = '';

  it('the first sync finds earlier transfers as history and tells nobody; a new transfer shows with no call: Balance, TransferReceived, one notification', async () => {
    address = newAddress();
    await anvil.send(address, WEI);
    const mark = fx.client.signals.length;
    path = await addWallet(address);
    await waitFor(
      'first sync',
      async () => (await balance(path)) === '1' && (await fx.client.get(path, ACCOUNT, 'Status')) === 'online',
      10_000,
    );
    const history = await transactions(path);
    assert.equal(history.length, 1);
    assert.equal(history[0]!.direction, 'in');
    assert.equal(history[0]!.amount, '1');
    assert.equal(history[0]!.counterparty, anvil.accounts[0]);
    assert.equal(await fx.client.get(path, ACCOUNT, 'Status'), 'online');
    // A whole poll after the first sync: it found nothing to tell either.
    await nextLook(fx.client, path);
    assert.equal(
      fx.client.signals.slice(mark).filter((x) => x.member === 'TransferReceived').length,
      0,
      'the first sync is quiet',
    );
    assert.equal(fx.notes.received.length, 0);

    const txid = await anvil.send(address, (15n * WEI) / 10n);
    const sig = await fx.client.waitSignal((x) => x.member === 'TransferReceived' && x.path === path, 10_000, mark);
    assert.deepEqual(sig.body, [txid, '1.5', anvil.accounts[0]]);
    assert.equal(await balance(path), '2.5');
    const [n] = await fx.notes.waitFor(1);
    assert.equal(n!.appName, 'Online Accounts');
    assert.equal(n!.summary, 'Received 1.5 ETH');
    assert.ok(n!.actions.includes('default'));
    assert.equal(n!.hints['desktop-entry'], 'px-accounts-ui');
    const changed = fx.client.signals
      .slice(mark)
      .find((x) => x.member === 'PropertiesChanged' && x.path === path && x.body[0] === WALLET);
    assert.ok(changed, 'Balance changes are announced');
  });

  it('several transfers in one block: a TransferReceived each, one notification; exact amounts to the wei', async () => {
    const before = fx.notes.received.length;
    const mark = fx.client.signals.length;
    await anvil.rpc('evm_setAutomine', [false]);
    try {
      await anvil.send(address, WEI / 10n, 1);
      await anvil.send(address, (2n * WEI) / 10n, 2);
      await anvil.send(address, 1n, 3);
      await anvil.rpc('evm_mine');
    } finally {
      await anvil.rpc('evm_setAutomine', [true]);
    }
    await waitFor(
      'three transfers',
      () =>
        fx.client.signals.slice(mark).filter((x) => x.member === 'TransferReceived' && x.path === path).length === 3,
      10_000,
    );
    const all = await fx.notes.waitFor(before + 1);
    // A whole poll later: nothing more was told.
    await nextLook(fx.client, path);
    assert.equal(fx.notes.received.length, before + 1, 'one notification for the batch');
    assert.equal(all[before]!.summary, 'Received 3 transfers');
    assert.match(all[before]!.body, /^0\.300000000000000001 ETH in total/);
    assert.equal(await balance(path), '2.800000000000000001');
  });

  it('the command line: add with -network and -url, show with the balance, transactions, watch prints transfers', async function () {
    this.timeout(30_000);
    const other = newAddress();
    const added = await cli(fx.session.env, [
      'add',
      '-protocol',
      'eth',
      '-account',
      other.toLowerCase(),
      '-network',
      'local',
      '-url',
      anvil.url,
      '--json',
    ]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stderr, '', 'no note about a missing password for a wallet');
    const created = JSON.parse(added.stdout) as { id: string; username: string; wallet: { currency: string } };
    assert.equal(created.username, other);
    assert.equal(created.wallet.currency, 'ETH');
    const watcher = spawnCli(fx.session.env, ['watch', created.id, '--json']);
    await watcher.line(/(watching)/);
    const txid = await anvil.send(other, 3n * WEI);
    const line = await watcher.line(/^(\{"event":"transfer".*)$/m);
    assert.deepEqual(JSON.parse(line), {
      event: 'transfer',
      id: created.id,
      txid,
      amount: '3',
      currency: 'ETH',
      counterparty: anvil.accounts[0],
    });
    watcher.child.kill('SIGINT');
    await watcher.done;
    const shown = await cli(fx.session.env, ['show', created.id]);
    assert.match(shown.stdout, /^Balance:\s+3 ETH$/m);
    const listed = await cli(fx.session.env, ['transactions', created.id, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as Array<{ txid: string; amount: string; direction: string }>).map((t) => [
        t.txid,
        t.amount,
        t.direction,
      ]),
      [[txid, '3', 'in']],
    );
    const table = await cli(fx.session.env, ['transactions', created.id]);
    assert.match(table.stdout, /^TIME +DIRECTION +AMOUNT/);
    assert.match(table.stdout, /in +3 ETH/);
    assert.equal((await cli(fx.session.env, ['remove', created.id])).code, 0);
  });

  it('ERC-20: transfers of a listed token (a contract installed from its bytecode) are watched too', async () => {
    // Minimal token code: every call emits Transfer(caller, calldata[0..32], calldata[32..64]).
    const TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
    const code = `0x602035600052600035337f${TOPIC}60206000a300`;
    const token = newAddress();
    await anvil.rpc('anvil_setCode', [token, code]);
    const holder = newAddress();
    const p = (
      await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'eth',
        holder,
        {},
        {
          'eth.network': s('local'),
          'eth.url': s(anvil.url),
          'eth.tokens': new Variant('as', [token.toLowerCase()]),
        },
      ])
    )[0] as string;
    assert.deepEqual(await fx.client.get(p, ETH_IFACE, 'Tokens'), [token]);
    await waitFor('first sync', async () => (await fx.client.get(p, ACCOUNT, 'Status')) === 'online', 10_000);
    const before = fx.notes.received.length;
    const mark = fx.client.signals.length;
    const pad = (x: string) => x.replace(/^0x/, '').padStart(64, '0');
    const txid = (await anvil.rpc('eth_sendTransaction', [
      { from: anvil.accounts[4], to: token, data: `0x${pad(holder.toLowerCase())}${pad((5n * WEI).toString(16))}` },
    ])) as string;
    const sig = await fx.client.waitSignal((x) => x.member === 'TransferReceived' && x.path === p, 10_000, mark);
    assert.deepEqual(sig.body, [txid, `5 ${token.toLowerCase()}`, anvil.accounts[4]]);
    const [t] = await transactions(p);
    assert.equal(t!.asset, token.toLowerCase());
    assert.equal(t!.amount, '5');
    const all = await fx.notes.waitFor(before + 1);
    assert.match(all[before]!.summary, /^Received 5 of token 0x/);
    await fx.client.call(p, ACCOUNT, 'Remove');
  });

  it("ERC-20 balances: AssetBalances follows each listed token's balanceOf exactly; listed contracts that are not tokens are left out", async () => {
    // A token that keeps balances, with 6 decimals (test/harness/peers/anvil.ts).
    const token = await anvil.installToken();
    const notToken = newAddress(); // an address without code: balanceOf answers nothing
    const reverts = newAddress();
    await anvil.rpc('anvil_setCode', [reverts, '0x60006000fd']); // every call reverts
    const holder = newAddress();
    const p = (
      await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'eth',
        holder,
        {},
        {
          'eth.network': s('local'),
          'eth.url': s(anvil.url),
          'eth.tokens': new Variant(
            'as',
            [token, notToken, reverts].map((t) => t.toLowerCase()),
          ),
        },
      ])
    )[0] as string;
    await waitFor('first sync', async () => (await fx.client.get(p, ACCOUNT, 'Status')) === 'online', 10_000);
    assert.deepEqual(await fx.client.get(p, WALLET, 'AssetBalances'), { [token.toLowerCase()]: '0' });
    const mark = fx.client.signals.length;
    await anvil.mintToken(token, holder, 1_234_500_001n, 4); // 1234.500001 in a token of 6 decimals: exact, no float
    const changed = await fx.client.waitSignal(
      (x) =>
        x.member === 'PropertiesChanged' &&
        x.path === p &&
        x.body[0] === WALLET &&
        'AssetBalances' in (x.body[1] as Record<string, V>),
      10_000,
      mark,
    );
    assert.deepEqual((changed.body[1] as Record<string, V>).AssetBalances!.value, {
      [token.toLowerCase()]: '1234.500001',
    });
    assert.equal(
      await fx.client.get(p, ACCOUNT, 'Status'),
      'online',
      'listed contracts that are not tokens break nothing',
    );
    const id = p.split('/').pop()!;
    const shown = await cli(fx.session.env, ['show', id]);
    assert.match(shown.stdout, new RegExp(`Asset: +1234\\.500001 of ${token.toLowerCase()}`));
    const json = JSON.parse((await cli(fx.session.env, ['show', id, '--json'])).stdout) as {
      wallet: { assetBalances: Record<string, string> };
    };
    assert.deepEqual(json.wallet.assetBalances, { [token.toLowerCase()]: '1234.500001' });
    const [t] = await transactions(p);
    assert.deepEqual(
      [t!.amount, t!.asset],
      ['1234.500001', token.toLowerCase()],
      "the history uses the token's decimals too",
    );
    await fx.client.call(p, ACCOUNT, 'Remove');
  });

  it('GetTransactions pages newest first; a restart keeps the history and tells nobody again', async function () {
    this.timeout(40_000);
    const all = await transactions(path);
    assert.equal(all.length, 5);
    const [page] = await fx.client.call(path, WALLET, 'GetTransactions', 'uu', [1, 2]);
    assert.deepEqual(
      (page as Array<Record<string, V>>).map((t) => t.txid!.value),
      all.slice(1, 3).map((t) => t.txid),
    );
    assert.ok((all[0]!.confirmations as number) >= 1);
    const notified = fx.notes.received.length;
    await fx.restartService();
    await waitFor(
      'balance after restart',
      async () => (await balance(path).catch(() => '')) === '2.800000000000000001',
      10_000,
    );
    // A whole poll after the restart's first one: nothing told again.
    await nextLook(fx.client, path);
    assert.equal(fx.notes.received.length, notified, 'nothing told twice');
    assert.equal((await transactions(path)).length, 5);
  });

  it('a reorg that drops a transfer is corrected, not double-counted', async () => {
    const snapshot = await anvil.rpc('evm_snapshot');
    const mark = fx.client.signals.length;
    const txid = await anvil.send(address, 7n * WEI);
    await fx.client.waitSignal((x) => x.member === 'TransferReceived' && x.body[0] === txid, 10_000, mark);
    assert.equal(await balance(path), '9.800000000000000001');
    await anvil.rpc('evm_revert', [snapshot]);
    await anvil.rpc('evm_mine');
    await anvil.rpc('evm_mine');
    await waitFor('reorg corrected', async () => (await balance(path)) === '2.800000000000000001', 10_000);
    await waitFor('transfer forgotten', async () => !(await transactions(path)).some((t) => t.txid === txid), 5000);
  });

  it('an API key is a secret: put into the URL at {api_key} for requests only; missing or refused → error; a new key → online', async function () {
    this.timeout(40_000);
    const key = randomBytes(12).toString('hex');
    const seen: string[] = [];
    // A gate like a hosted node's: JSON-RPC at /v3/<key> only, 401 otherwise.
    const gate = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url !== `/v3/${key}`) {
        res.writeHead(401).end('invalid project id');
        return req.resume();
      }
      const upstream = http.request(
        anvil.url,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (r) => r.pipe(res),
      );
      req.pipe(upstream);
    });
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', () => r()));
    const template = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/v3/{api_key}`;
    try {
      const me = newAddress();
      await anvil.send(me, 2n * WEI);
      const checked = await fx.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
        'eth',
        me,
        { api_key: 'wrong' },
        { 'eth.network': s('local'), 'eth.url': s(template) },
      ]);
      assert.equal(
        ((checked[0] as Record<string, V>).eth!.value as Record<string, V>).code!.value,
        'Unauthorized',
        'a refused key is a refused login',
      );
      const [path] = await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'eth',
        me,
        { api_key: key },
        { 'eth.network': s('local'), 'eth.url': s(template) },
      ]);
      const p = path as string;
      await waitFor(
        'online through the gate',
        async () => (await fx.client.get(p, ACCOUNT, 'Status')) === 'online' && (await balance(p)) === '2',
        10_000,
      );
      assert.equal(await fx.client.get(p, ETH_IFACE, 'Url'), template, 'the property shows the placeholder');
      await fx.client.call(p, ACCOUNT, 'SetSecret', 'ss', ['api_key', 'expired']);
      await waitFor('refused', async () => (await fx.client.get(p, ACCOUNT, 'Status')) === 'error', 10_000);
      assert.match(
        String(await fx.client.get(p, ACCOUNT, 'StatusMessage')),
        /refused access \(HTTP 401\): check the API key/,
      );
      await fx.client.call(p, ACCOUNT, 'DeleteSecret', 's', ['api_key']);
      await waitFor(
        'missing',
        async () =>
          /needs an API key: store it as the secret 'api_key'/.test(
            String(await fx.client.get(p, ACCOUNT, 'StatusMessage')),
          ),
        10_000,
      );
      await fx.client.call(p, ACCOUNT, 'SetSecret', 'ss', ['api_key', key]);
      await waitFor('online again', async () => (await fx.client.get(p, ACCOUNT, 'Status')) === 'online', 10_000);
      assert.ok(seen.includes(`/v3/${key}`) && seen.includes('/v3/expired'));
      // A whole poll after it came back: what the service wrote with the key at hand is written.
      await nextLook(fx.client, p);
      assert.ok(!(readTree(fx.session.dir) + fx.service.log()).includes(key), 'the key is in no file and no log line');
      await fx.client.call(p, ACCOUNT, 'Remove');
    } finally {
      gate.closeAllConnections();
      await new Promise((r) => gate.close(r));
    }
  });

  it('a node that goes away: offline, the data kept; back: online', async function () {
    this.timeout(40_000);
    await anvil.stop();
    await waitFor('offline', async () => (await fx.client.get(path, ACCOUNT, 'Status')) === 'offline', 10_000);
    assert.match(String(await fx.client.get(path, ACCOUNT, 'StatusMessage')), /cannot be reached|no answer/);
    assert.equal(await balance(path), '2.800000000000000001', 'the last balance stays');
    await anvil.start();
    await waitFor('online', async () => (await fx.client.get(path, ACCOUNT, 'Status')) === 'online', 10_000);
    // a new chain: the address has nothing on it
    await waitFor('new chain', async () => (await balance(path)) === '0', 10_000);
    await fx.client.call(path, ACCOUNT, 'Remove');
  });

  it('hostile backends (not JSON, huge, 10^80 or negative balances, silence) give a typed status; the bus stays responsive', async function () {
    this.timeout(60_000);
    let mode = 'garbage';
    const hostile = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const { id, method } = JSON.parse(body) as { id: number; method: string };
        const answer = (result: unknown) => res.end(JSON.stringify({ jsonrpc: '2.0', id, result }));
        if (mode === 'silent') return; // never answers
        if (method === 'eth_blockNumber') return answer('0x10');
        if (mode === 'garbage') return res.end('<html>not json');
        if (mode === 'huge') return res.end(`{"jsonrpc":"2.0","id":${id},"result":"${'0'.repeat(9 * 1024 * 1024)}"}`);
        if (method === 'eth_getBlockByNumber')
          return answer({ hash: `0x${'ab'.repeat(32)}`, timestamp: '0x1', transactions: [] });
        if (mode === 'e80') return answer(`0x${(10n ** 80n).toString(16)}`);
        if (mode === 'negative') return answer('-0x1');
        return answer('0x0');
      });
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`;
    try {
      const p = await addWallet(newAddress(), url);
      for (const [m, status] of [
        ['garbage', 'error'],
        ['huge', 'error'],
        ['e80', 'error'],
        ['negative', 'error'],
        ['silent', 'offline'],
        ['fine', 'online'],
      ] as const) {
        mode = m;
        await waitFor(`${m} → ${status}`, async () => (await fx.client.get(p, ACCOUNT, 'Status')) === status, 15_000);
        const t = performance.now();
        await fx.client.get(p, WALLET, 'Balance');
        assert.ok(performance.now() - t < 1000, 'the bus stays responsive');
      }
      assert.equal(await balance(p), '0');
      await fx.client.call(p, ACCOUNT, 'Remove');
    } finally {
      hostile.closeAllConnections();
      await new Promise((r) => hostile.close(r));
    }
  });
});

describe('XRP Ledger wallets over the bus (a rippled test server)', function () {
  this.timeout(30_000);
  let rippled: TestRippled;
  const codec = rippleCodec();
  const newAccount = () => codec.encodeAccountID(randomBytes(20));
  const SOURCE = newAccount();
  const fx = useFixture({
    start: async (fx) => {
      rippled = fx.own(await startTestRippled());
      rippled.fund(SOURCE, 10n ** 15n);
    },
    notifications: true,
    service: { env: { PX_ACCOUNTS_WALLET_RPC_TIMEOUT_MS: '2000' } },
  });

  const addWallet = async (address: string) =>
    (
      await fx.client.call(ROOT, MANAGER, 'AddAccount', 'ssa{ss}a{sv}', [
        'xrp',
        address,
        {},
        { 'xrp.network': s('local'), 'xrp.url': s(rippled.url) },
      ])
    )[0] as string;
  const status = (path: string) => fx.client.get(path, ACCOUNT, 'Status');
  const transactions = async (path: string) =>
    ((await fx.client.call(path, WALLET, 'GetTransactions', 'uu', [0, 100]))[0] as Array<Record<string, V>>).map((t) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.value])),
    );

  it('addresses: classic and X-addresses (the XLS-5d vectors) accepted; a bad checksum or a secret refused and never kept', async () => {
    assert.equal(
      codec.classicAddressToXAddress('rGWrZyQqhTp9Xu7G5Pkayo7bXjH4k4QYpf', false, false),
      'XVLhHMPHU98es4dbozjVtdWzVrDjtV5fdx1mHp98tDMoQXb',
    );
    assert.equal(
      codec.classicAddressToXAddress('rGWrZyQqhTp9Xu7G5Pkayo7bXjH4k4QYpf', 1, false),
      'XVLhHMPHU98es4dbozjVtdWzVrDjtV8xvjGQTYPiAx6gwDC',
    );
    for (const a of ['rGWrZyQqhTp9Xu7G5Pkayo7bXjH4k4QYpf', 'XVLhHMPHU98es4dbozjVtdWzVrDjtV8xvjGQTYPiAx6gwDC']) {
      const p = await addWallet(a);
      assert.equal(await fx.client.get(p, ACCOUNT, 'Username'), a);
      assert.equal(await fx.client.get(p, WALLET, 'Currency'), 'XRP');
      await fx.client.call(p, ACCOUNT, 'Remove');
    }
    assert.equal((await errorOf(addWallet('rGWrZyQqhTp9Xu7G5Pkayo7bXjH4k4QYpg'))).type, ERR + 'InvalidArgument');
    const seed = codec.encodeSeed(randomBytes(16), 'secp256k1');
    const err = await errorOf(addWallet(seed));
    assert.equal(err.type, ERR + 'InvalidArgument');
    assert.match(err.text, /XRP secret/);
    assert.ok(!err.text.includes(seed));
    // Every line logged so far is read (the files were written before the calls replied).
    await logBarrier(fx.client, fx.service);
    assert.ok(!(readTree(fx.session.dir) + fx.service.log()).includes(seed), 'a secret was kept');
  });

  it('history on the first sync (quiet, paged), payments as validated with delivered_amount only (a partial payment), a notification', async () => {
    const me = newAccount();
    rippled.fund(me, 20_000_000n);
    for (let i = 0; i < 3; i++) rippled.pay(SOURCE, me, 1_000_000n, { quiet: true });
    const path = await addWallet(me);
    await waitFor('first sync', async () => (await status(path)) === 'online', 10_000);
    assert.equal(await fx.client.get(path, WALLET, 'Balance'), '23');
    assert.equal((await transactions(path)).length, 3);
    // The XRP Ledger is not polled: a look of its own (Refresh) after the first sync told nothing either.
    await nextLook(fx.client, path, 'refresh');
    assert.equal(fx.notes.received.length, 0, 'the first sync is quiet');

    const mark = fx.client.signals.length;
    // A partial payment: Amount says 1000 XRP, 1 drop arrived.
    const partial = rippled.pay(SOURCE, me, 1_000_000_000n, { delivered: 1n });
    const sig = await fx.client.waitSignal((x) => x.member === 'TransferReceived' && x.path === path, 10_000, mark);
    assert.deepEqual(sig.body, [partial, '0.000001', SOURCE]);
    await waitFor('balance', async () => (await fx.client.get(path, WALLET, 'Balance')) === '23.000001', 5000);
    const [n] = await fx.notes.waitFor(1);
    assert.equal(n!.summary, 'Received 0.000001 XRP');
    const first = (await transactions(path))[0]!;
    assert.deepEqual(
      [first.txid, first.amount, first.direction, first.counterparty],
      [partial, '0.000001', 'in', SOURCE],
    );
  });

  it('issued currencies held (trust lines, read in pages) are AssetBalances, named as the history names them, and follow payments', async () => {
    const me = newAccount();
    const issuer = newAccount();
    const hex = '0158415500000000C1F76FF6ECB0BAC600000000'; // a 160-bit currency code
    rippled.fund(me, 10_000_000n);
    rippled.trust(me, 'USD', issuer, '10.5');
    for (let i = 0; i < 450; i++) rippled.trust(me, `Z${i.toString(36).padStart(2, '0')}`, SOURCE, '0'); // more than a page of 400
    rippled.trust(me, hex, issuer, '1e-6'); // the Ledger's notation: a plain decimal on the bus
    rippled.trust(me, 'EUR', issuer, '-3'); // below zero: the account is the issuer's side, it owes
    const path = await addWallet(me);
    await waitFor('first sync', async () => (await status(path)) === 'online', 10_000);
    const assets = (await fx.client.get(path, WALLET, 'AssetBalances')) as Record<string, string>;
    assert.equal(Object.keys(assets).length, 452);
    assert.equal(assets[`USD.${issuer}`], '10.5');
    assert.equal(assets[`${hex}.${issuer}`], '0.000001', 'the last page was read too');
    assert.equal(assets[`EUR.${issuer}`], undefined, 'what it owes is not what it holds');
    const mark = fx.client.signals.length;
    rippled.trust(me, 'USD', issuer, '11');
    rippled.pay(SOURCE, me, 1_000_000n);
    const changed = await fx.client.waitSignal(
      (x) =>
        x.member === 'PropertiesChanged' &&
        x.path === path &&
        x.body[0] === WALLET &&
        'AssetBalances' in (x.body[1] as Record<string, V>),
      10_000,
      mark,
    );
    assert.equal(
      ((changed.body[1] as Record<string, V>).AssetBalances!.value as Record<string, string>)[`USD.${issuer}`],
      '11',
    );
    // A line a backend makes up (NUL in a currency code) is an error status, and never reaches the bus.
    rippled.trust(me, 'U\u0000D', issuer, '1');
    rippled.pay(SOURCE, me, 1_000_000n);
    await waitFor('error', async () => (await status(path)) === 'error', 10_000);
    assert.match((await fx.client.get(path, ACCOUNT, 'StatusMessage')) as string, /malformed currency or issuer/);
    assert.equal(
      ((await fx.client.get(path, WALLET, 'AssetBalances')) as Record<string, string>)[`USD.${issuer}`],
      '11',
      'the data stays',
    );
    await fx.client.call(path, ACCOUNT, 'Remove');
  });

  it('an X-address with a tag counts only payments with that tag as received', async () => {
    const me = newAccount();
    rippled.fund(me, 10_000_000n);
    const path = await addWallet(codec.classicAddressToXAddress(me, 7, false));
    await waitFor('first sync', async () => (await status(path)) === 'online', 10_000);
    const mark = fx.client.signals.length;
    rippled.pay(SOURCE, me, 5_000_000n, { tag: 8 });
    const right = rippled.pay(SOURCE, me, 2_000_000n, { tag: 7 });
    const sig = await fx.client.waitSignal((x) => x.member === 'TransferReceived' && x.path === path, 10_000, mark);
    assert.deepEqual(sig.body, [right, '2', SOURCE]);
    // A look after both payments (the history read again) counts the tag-8 one as nothing received either.
    await nextLook(fx.client, path, 'refresh');
    assert.equal(
      fx.client.signals.slice(mark).filter((x) => x.member === 'TransferReceived' && x.path === path).length,
      1,
    );
    await fx.client.call(path, ACCOUNT, 'Remove');
  });

  it('a server that goes away: offline; back: online and caught up; one that answers nonsense: error', async function () {
    this.timeout(40_000);
    const me = newAccount();
    rippled.fund(me, 1_000_000n);
    const path = await addWallet(me);
    await waitFor('online', async () => (await status(path)) === 'online', 10_000);
    await rippled.stop();
    await waitFor('offline', async () => (await status(path)) === 'offline', 10_000);
    rippled.pay(SOURCE, me, 3_000_000n, { quiet: true }); // while away
    await rippled.start();
    await waitFor(
      'online again',
      async () => (await status(path)) === 'online' && (await fx.client.get(path, WALLET, 'Balance')) === '4',
      15_000,
    );
    assert.equal((await transactions(path)).length, 1, 'the payment made while away is in the history');
    rippled.mode = 'garbage';
    try {
      await fx.client.call(path, WALLET, 'Refresh').catch(() => undefined);
      await waitFor('error', async () => (await status(path)) === 'error', 10_000);
    } finally {
      rippled.mode = 'normal';
    }
    await fx.client.call(path, ACCOUNT, 'Remove');
  });

  it("the saved LastUpdated is the last look's own: after a restart whose first look fails, it is what the bus said before", async function () {
    this.timeout(40_000);
    const me = newAccount();
    rippled.fund(me, 1_000_000n);
    const path = await addWallet(me);
    await waitFor('first sync', async () => (await status(path)) === 'online', 10_000);
    // A second look: the state it saves must carry its time, not the first sync's.
    await nextLook(fx.client, path, 'refresh');
    const before = (await fx.client.get(path, WALLET, 'LastUpdated')) as bigint;
    assert.ok(before > 0n);
    await fx.stopService();
    rippled.mode = 'garbage';
    try {
      await fx.startService();
      // The first look after the restart fails: LastUpdated is what the state file held.
      await waitFor('error', async () => (await status(path).catch(() => '')) === 'error', 10_000);
      assert.equal(await fx.client.get(path, WALLET, 'LastUpdated'), before);
    } finally {
      rippled.mode = 'normal';
    }
    await fx.client.call(path, ACCOUNT, 'Remove');
  });
});
