/** The Bitcoin test chain and its Esplora and Electrum test servers: real transactions and blocks, the published shapes, the misbehaviours. */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Address, NETWORK, OutScript, p2pkh, p2sh, p2tr, p2wpkh, p2wsh, Transaction, utils } from '@scure/btc-signer';
import { pubECDSA } from '@scure/btc-signer/utils.js';
import { REGTEST, startTestBitcoin, type TestBitcoin } from '../harness/peers/bitcoin/index.js';
import { scriptHash } from '../harness/peers/bitcoin/chain.js';

const sha256d = (b: Uint8Array) => createHash('sha256').update(createHash('sha256').update(b).digest()).digest();
const hexToBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const newKey = () => {
  const key = utils.randomPrivateKeyBytes();
  const pay = p2wpkh(pubECDSA(key), REGTEST);
  return { key, address: pay.address, sh: scriptHash(Buffer.from(pay.script).toString('hex')) };
};

/** A minimal Electrum client: answers by id, notifications in order. */
async function electrum(url: string) {
  const { hostname, port } = new URL(url);
  const sock: Socket = connect(Number(port), hostname);
  await new Promise((r) => sock.once('connect', r));
  const waiting = new Map<unknown, (m: unknown) => void>();
  const notes: Array<{ method: string; params: unknown[] }> = [];
  const noteWaiters: Array<() => void> = [];
  let buf = '';
  let id = 0;
  sock.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const m = JSON.parse(buf.slice(0, nl)) as
        { id?: unknown; method?: string; params?: unknown[] } | Array<{ id: unknown }>;
      buf = buf.slice(nl + 1);
      if (Array.isArray(m)) waiting.get(m[0]!.id)!(m);
      else if (m.method) {
        notes.push(m as { method: string; params: unknown[] });
        noteWaiters.splice(0).forEach((f) => f());
      } else waiting.get(m.id)!(m);
    }
  });
  const raw = (msg: unknown, key: unknown) =>
    new Promise<unknown>((resolve) => {
      waiting.set(key, resolve);
      sock.write(`${JSON.stringify(msg)}\n`);
    });
  return {
    sock,
    notes,
    raw,
    async call(method: string, ...params: unknown[]) {
      const m = (await raw({ jsonrpc: '2.0', id: ++id, method, params }, id)) as {
        result?: unknown;
        error?: { code: number; message: string };
      };
      if (m.error) throw Object.assign(new Error(m.error.message), { code: m.error.code });
      return m.result;
    },
    /** Waits until `n` notifications arrived in all. */
    async notified(n: number) {
      while (notes.length < n) await new Promise<void>((r) => noteWaiters.push(r));
      await new Promise((r) => setTimeout(r, 20)); // and none more
      return notes.splice(0);
    },
    close: () => sock.destroy(),
  };
}

const get = async (btc: TestBitcoin, path: string) => {
  const res = await fetch(`${btc.esploraUrl}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};
/** The parts of Esplora's answers these tests read. */
interface EsploraBlock {
  id: string;
  height: number;
  bits: number;
  version: number;
  timestamp: number;
  previousblockhash?: string;
  tx_count: number;
  merkle_root: string;
}
interface EsploraTx {
  vin: Array<{
    txid: string;
    vout: number;
    is_coinbase: boolean;
    prevout: { scriptpubkey_type: string } | null;
    scriptsig: string;
    witness?: string[];
  }>;
  vout: Array<{ scriptpubkey_type: string; scriptpubkey_address?: string; value: number }>;
  status: { confirmed: boolean };
  fee: number;
}
interface EsploraAddress {
  mempool_stats: { funded_txo_sum: number };
}

const getJson = async <T>(btc: TestBitcoin, path: string): Promise<T> => {
  const r = await get(btc, path);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  assert.equal(r.type, 'application/json');
  return JSON.parse(r.text) as T;
};

describe('Bitcoin test chain and servers', function () {
  this.timeout(20_000);
  let btc: TestBitcoin;
  before(async () => {
    btc = await startTestBitcoin();
  });
  after(async () => {
    await btc.stop();
  });
  afterEach(() => {
    btc.mode = 'normal';
  });

  it('blocks are real: 80-byte headers linked by prev hash, merkle root of the txids, hash = reversed double SHA-256; coinbases with BIP34 heights', async () => {
    assert.ok(btc.height >= 100);
    const tip = await getJson<EsploraBlock>(btc, `/block/${(await get(btc, '/blocks/tip/hash')).text}`);
    assert.ok(Math.abs(tip.timestamp - Date.now() / 1000) < 60, 'the tip is about now');
    assert.equal((await get(btc, '/blocks/tip/height')).text, String(btc.height));
    const to = newKey();
    btc.pay([{ address: to.address, sats: 12_345n }]);
    const h = btc.mine();
    let prev = '';
    for (const height of [h - 1, h]) {
      const hash = (await get(btc, `/block-height/${height}`)).text;
      const header = hexToBytes((await get(btc, `/block/${hash}/header`)).text);
      assert.equal(header.length, 80);
      assert.equal(Buffer.from(sha256d(header)).reverse().toString('hex'), hash);
      if (prev) assert.equal(Buffer.from(header.subarray(4, 36)).reverse().toString('hex'), prev);
      const block = await getJson<EsploraBlock>(btc, `/block/${hash}`);
      assert.equal(block.id, hash);
      assert.equal(block.height, height);
      assert.equal(block.bits, 0x207fffff);
      assert.equal(block.version, 0x20000000);
      if (prev) assert.equal(block.previousblockhash, prev);
      const txids = await getJson<string[]>(btc, `/block/${hash}/txids`);
      assert.equal(block.tx_count, txids.length);
      let level = txids.map((t) => Buffer.from(t, 'hex').reverse());
      while (level.length > 1) {
        if (level.length % 2) level.push(level.at(-1)!);
        level = Array.from({ length: level.length / 2 }, (_, i) =>
          sha256d(Buffer.concat([level[2 * i]!, level[2 * i + 1]!])),
        );
      }
      assert.equal(Buffer.from(level[0]!).reverse().toString('hex'), block.merkle_root);
      assert.equal(Buffer.from(header.subarray(36, 68)).reverse().toString('hex'), block.merkle_root);
      const coinbase = await getJson<EsploraTx>(btc, `/tx/${txids[0]}`);
      const [input] = coinbase.vin;
      assert.ok(input, 'the coinbase has an input');
      assert.equal(input.is_coinbase, true);
      assert.equal(input.prevout, null);
      assert.equal(input.txid, '0'.repeat(64));
      assert.equal(input.vout, 0xffffffff);
      const push = hexToBytes(input.scriptsig); // BIP34: the height, little-endian, first push
      assert.equal(Buffer.from(push.subarray(1, 1 + push[0]!)).readUIntLE(0, push[0]!), height);
      prev = hash;
    }
  });

  it('transactions are real: parsed back by btc-signer, txid = reversed double SHA-256 of the non-witness serialization, paying every kind of address', async () => {
    const pub = pubECDSA(utils.randomPrivateKeyBytes());
    const addresses = [
      p2pkh(pub, REGTEST),
      p2sh(p2wpkh(pub, REGTEST), REGTEST),
      p2wpkh(pub, REGTEST),
      p2wsh(p2pkh(pub, REGTEST), REGTEST),
      p2tr(pub.subarray(1), undefined, REGTEST),
    ].map((p) => p.address);
    const txid = btc.pay(addresses.map((address, i) => ({ address, sats: 1000n + BigInt(i) })));
    const hex = (await get(btc, `/tx/${txid}/hex`)).text;
    const tx = Transaction.fromRaw(hexToBytes(hex));
    assert.equal(tx.id, txid);
    assert.equal(
      Buffer.from(sha256d(tx.toBytes(true, false)))
        .reverse()
        .toString('hex'),
      txid,
    );
    const json = await getJson<EsploraTx>(btc, `/tx/${txid}`);
    assert.deepEqual(
      json.vout.slice(0, 5).map((o) => o.scriptpubkey_type),
      ['p2pkh', 'p2sh', 'v0_p2wpkh', 'v0_p2wsh', 'v1_p2tr'],
    );
    assert.deepEqual(
      json.vout.slice(0, 5).map((o) => o.scriptpubkey_address),
      addresses,
    );
    assert.equal(json.status.confirmed, false);
    assert.equal(json.fee, 1000);
    assert.equal(json.vin[0]?.prevout?.scriptpubkey_type, 'v0_p2wpkh');
    assert.equal(json.vin[0]?.witness?.length, 2);
    btc.mine();
    const status = await getJson<{ block_time?: number }>(btc, `/tx/${txid}/status`);
    assert.deepEqual(status, {
      confirmed: true,
      block_height: btc.height,
      block_hash: (await get(btc, '/blocks/tip/hash')).text,
      block_time: status.block_time,
    });
  });

  it('the Electrum script hash of the published vector', () => {
    assert.equal(
      Buffer.from(OutScript.encode(Address(NETWORK).decode('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'))).toString('hex'),
      '76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac',
    );
    assert.equal(
      scriptHash('76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac'),
      '8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161',
    );
  });

  it('Esplora: address stats, transactions newest first, paging by last seen txid, mempool; errors', async () => {
    const a = newKey();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(btc.pay([{ address: a.address, sats: 10_000n }]));
    btc.mine();
    ids.push(btc.pay([{ address: a.address, sats: 5_000n }]));
    const spend = btc.send(a.key, newKey().address, 7_000n);
    const info = await getJson<unknown>(btc, `/address/${a.address}`);
    assert.deepEqual(info, {
      address: a.address,
      chain_stats: {
        funded_txo_count: 30,
        funded_txo_sum: 300_000,
        spent_txo_count: 0,
        spent_txo_sum: 0,
        tx_count: 30,
      },
      // confirmed coins first: one 10 000 output is spent, change 2 000 back
      mempool_stats: {
        funded_txo_count: 2,
        funded_txo_sum: 7_000,
        spent_txo_count: 1,
        spent_txo_sum: 10_000,
        tx_count: 2,
      },
    });
    const first = await getJson<Array<{ txid: string }>>(btc, `/address/${a.address}/txs`);
    assert.deepEqual(
      first.map((t) => t.txid),
      [spend, ids[30], ...ids.slice(0, 30).reverse().slice(0, 25)],
    );
    const next = await getJson<Array<{ txid: string }>>(btc, `/address/${a.address}/txs/chain/${first.at(-1)!.txid}`);
    assert.deepEqual(
      next.map((t) => t.txid),
      ids.slice(0, 5).reverse(),
    );
    assert.deepEqual(await getJson<unknown>(btc, `/address/${a.address}/txs/chain/${ids[0]}`), []);
    assert.deepEqual(
      (await getJson<Array<{ txid: string }>>(btc, `/address/${a.address}/txs/mempool`)).map((t) => t.txid),
      [spend, ids[30]],
    );
    const bad = await get(btc, '/address/1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'); // mainnet, not regtest
    assert.equal(bad.status, 400);
    assert.equal(bad.type, 'text/plain');
    assert.equal((await get(btc, `/tx/${'ab'.repeat(32)}`)).status, 404);
    assert.equal((await get(btc, `/block/${'ab'.repeat(32)}`)).status, 404);
    assert.equal((await get(btc, '/blocks/tip/hash')).type, 'text/plain');
  });

  it('Electrum: version, headers, history in chain order then mempool, status hash, balance, errors, batches', async () => {
    const c = await electrum(btc.electrumUrl);
    try {
      assert.deepEqual(await c.call('server.version', 'px-accounts', '1.4'), ['TestElectrum 0', '1.4']);
      assert.equal(await c.call('server.ping'), null);
      const tip = (await c.call('blockchain.headers.subscribe')) as { height: number; hex: string };
      assert.equal(tip.height, btc.height);
      assert.equal(await c.call('blockchain.block.header', btc.height), tip.hex);
      const a = newKey();
      assert.equal(await c.call('blockchain.scripthash.subscribe', a.sh), null);
      const t1 = btc.pay([{ address: a.address, sats: 50_000n }]);
      const h1 = btc.mine();
      const t2 = btc.pay([{ address: a.address, sats: 20_000n }]);
      const t3 = btc.send(a.key, newKey().address, 30_000n); // spends t1 (confirmed)
      const t4 = btc.send(a.key, newKey().address, 1_000n); // spends t3's change: an unconfirmed parent
      const history = (await c.call('blockchain.scripthash.get_history', a.sh)) as Array<{
        height: number;
        tx_hash: string;
        fee?: number;
      }>;
      assert.deepEqual(history, [
        { height: h1, tx_hash: t1 },
        { height: 0, tx_hash: t2, fee: 1000 },
        { height: 0, tx_hash: t3, fee: 1000 },
        { height: -1, tx_hash: t4, fee: 1000 },
      ]);
      const status = createHash('sha256')
        .update(history.map((h) => `${h.tx_hash}:${h.height}:`).join(''))
        .digest('hex');
      assert.equal(await c.call('blockchain.scripthash.subscribe', a.sh), status);
      assert.deepEqual(await c.call('blockchain.scripthash.get_balance', a.sh), {
        confirmed: 50_000,
        unconfirmed: 20_000 - 30_000 - 1000 - 1000 - 1000,
      });
      assert.deepEqual(((await c.call('blockchain.scripthash.get_mempool', a.sh)) as unknown[]).length, 3);
      assert.equal(await c.call('blockchain.transaction.get', t3), (await get(btc, `/tx/${t3}/hex`)).text);
      await assert.rejects(c.call('blockchain.transaction.get', 'ab'.repeat(32)), { code: 2 });
      await assert.rejects(c.call('blockchain.scripthash.get_history', 'nope'), { code: 1 });
      await assert.rejects(c.call('no.such.method'), { code: -32601 });
      const batch = (await c.raw(
        [
          { jsonrpc: '2.0', id: 'b1', method: 'server.ping', params: [] },
          { jsonrpc: '2.0', id: 'b2', method: 'blockchain.block.header', params: [0] },
        ],
        'b1',
      )) as Array<{ id: string; result: unknown }>;
      assert.deepEqual(
        batch.map((r) => r.id),
        ['b1', 'b2'],
      );
      assert.equal((batch[1]!.result as string).length, 160);
    } finally {
      c.close();
    }
  });

  it('Electrum notifications: mempool entry, confirmation, eviction, reorg; headers on every new tip', async () => {
    const c = await electrum(btc.electrumUrl);
    try {
      const a = newKey();
      await c.call('blockchain.headers.subscribe');
      await c.call('blockchain.scripthash.subscribe', a.sh);
      const status = async () => (await c.call('blockchain.scripthash.get_history', a.sh)) as unknown[];
      const t1 = btc.pay([{ address: a.address, sats: 1_000n }]);
      let notes = await c.notified(1);
      assert.equal(notes[0]!.method, 'blockchain.scripthash.subscribe');
      assert.equal(notes[0]!.params[0], a.sh);
      const h = btc.mine();
      notes = await c.notified(2);
      assert.deepEqual(notes.map((n) => n.method).sort(), [
        'blockchain.headers.subscribe',
        'blockchain.scripthash.subscribe',
      ]);
      assert.equal(
        (notes.find((n) => n.method === 'blockchain.headers.subscribe')!.params[0] as { height: number }).height,
        h,
      );
      const t2 = btc.pay([{ address: a.address, sats: 2_000n }]);
      await c.notified(1);
      btc.evict(t2);
      await c.notified(1);
      assert.deepEqual(await status(), [{ height: h, tx_hash: t1 }]);
      assert.equal((await get(btc, `/tx/${t2}`)).status, 404);
      const t3 = btc.pay([{ address: a.address, sats: 3_000n }]);
      btc.mine(2);
      await c.notified(3); // mempool, confirmation, one new tip
      btc.reorg(3, [t1]); // blocks h, h+1 (t3) and h+2 replaced by four
      notes = await c.notified(2);
      assert.equal(
        (notes.find((n) => n.method === 'blockchain.headers.subscribe')!.params[0] as { height: number }).height,
        h + 3,
      );
      assert.deepEqual(await status(), [{ height: h, tx_hash: t3 }]); // t1 dropped, t3 confirmed again in the first new block
      assert.equal((await get(btc, `/tx/${t1}`)).status, 404);
      assert.equal(btc.height, h + 3);
      btc.mode = 'silent';
      btc.pay([{ address: a.address, sats: 4_000n }]);
      btc.mode = 'normal';
      assert.equal(c.notes.length, 0);
    } finally {
      c.close();
    }
  });

  it('send(): change to the own address by default or to `change`; a key without coins throws', async () => {
    const a = newKey();
    const b = newKey();
    btc.pay([{ address: a.address, sats: 100_000n }]);
    const txid = btc.send(a.key, b.address, 40_000n, { change: b.address, fee: 500n });
    const tx = await getJson<EsploraTx>(btc, `/tx/${txid}`);
    assert.deepEqual(
      tx.vout.map((o) => [o.scriptpubkey_address, o.value]),
      [
        [b.address, 40_000],
        [b.address, 59_500],
      ],
    );
    assert.equal(tx.fee, 500);
    assert.throws(() => btc.send(a.key, b.address, 1n), /needs/);
  });

  it('modes: garbage, huge, silent, negative, overflow', async () => {
    const a = newKey();
    btc.pay([{ address: a.address, sats: 1_000n }]);
    btc.mode = 'garbage';
    const garbage = await get(btc, `/address/${a.address}`);
    assert.throws(() => JSON.parse(garbage.text) as unknown);
    btc.mode = 'negative';
    assert.equal((await getJson<EsploraAddress>(btc, `/address/${a.address}`)).mempool_stats.funded_txo_sum, -5);
    btc.mode = 'overflow';
    const text = (await get(btc, `/address/${a.address}`)).text;
    assert.match(text, new RegExp(`"funded_txo_sum":1${'0'.repeat(80)}[,}]`));
    const c = await electrum(btc.electrumUrl);
    try {
      btc.mode = 'negative';
      assert.deepEqual(await c.call('blockchain.scripthash.get_balance', a.sh), { confirmed: -5, unconfirmed: -5 });
      btc.mode = 'huge';
      let got = 0;
      c.sock.removeAllListeners('data');
      await new Promise<void>((resolve) => {
        c.sock.on('data', (d: string) => {
          assert.ok(!d.includes('\n'));
          if ((got += d.length) >= 50 * 2 ** 20) resolve();
        });
        c.sock.write('{"jsonrpc":"2.0","id":1,"method":"server.ping","params":[]}\n');
      });
    } finally {
      c.close();
    }
    btc.mode = 'huge';
    const huge = await fetch(`${btc.esploraUrl}/blocks/tip/height`);
    assert.equal((await huge.arrayBuffer()).byteLength, 50 * 2 ** 20);
    btc.mode = 'silent';
    await assert.rejects(
      fetch(`${btc.esploraUrl}/blocks/tip/height`, { signal: AbortSignal.timeout(300) }),
      (err: Error) => err.name === 'TimeoutError',
    );
  });

  it('stop() drops connections, also silent ones; start() opens the same ports again', async () => {
    const { esploraUrl, electrumUrl } = btc;
    const c = await electrum(btc.electrumUrl);
    btc.mode = 'silent';
    const hanging = fetch(`${btc.esploraUrl}/blocks/tip/height`).then(
      () => 'answered',
      () => 'dropped',
    );
    const closed = new Promise((r) => c.sock.once('close', r));
    await new Promise((r) => setTimeout(r, 50));
    await btc.stop();
    assert.equal(await hanging, 'dropped');
    await closed;
    await assert.rejects(fetch(`${esploraUrl}/blocks/tip/height`));
    btc.mode = 'normal';
    await btc.start();
    assert.equal(btc.esploraUrl, esploraUrl);
    assert.equal(btc.electrumUrl, electrumUrl);
    assert.equal((await get(btc, '/blocks/tip/height')).text, String(btc.height));
  });
});
