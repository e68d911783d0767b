/**
 * Red team: a wallet server answering an Ethereum check with 8 MiB of the smallest JSON values
 * (`[{},{},…]`, ~190 MB once parsed) took the verifier thread past its heap cap, and every other
 * check in flight was answered Unknown with it. Replayed here in a thread with the service's own
 * limits: eight hostile checks at once beside an honest one that answers last.
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { VERIFIER_LIMITS } from '../../src/verify/verifier-thread.js';
import { ROOT } from '../harness/session.js';

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
};

describe('verify: a hostile wallet answer cannot take other checks down', () => {
  const hostileBody = Buffer.from('[' + '{},'.repeat(2_796_000) + '{}]'); // 8 388 004 bytes
  let hostileRequests = 0;
  let releaseHonest: () => void = () => undefined;
  const honestMayAnswer = new Promise<void>((resolve) => (releaseHonest = resolve));
  const hostile = createServer((_req, res) => {
    hostileRequests++;
    res.end(hostileBody);
  });
  // The honest server answers only once every hostile answer was sent: its check is in flight throughout.
  const honest = createServer((_req, res) => {
    void honestMayAnswer.then(() => res.end('{"jsonrpc":"2.0","id":1,"result":"0x1"}'));
  });
  const servers = [hostile, honest];
  let worker: Worker | undefined;

  after(async () => {
    await worker?.terminate();
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
  });

  it('eight hostile checks beside an honest one: the hostile ones are ServerError, the honest one Ok, the thread lives', async function () {
    this.timeout(60_000);
    const [hostileUrl, honestUrl] = [await listen(hostile), await listen(honest)];
    const verifier = join(ROOT, 'dist/src/protocols/eth/verifier.js');
    worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       import(${JSON.stringify(verifier)}).then(({ verifyEth }) => {
         parentPort.on('message', ({ id, url }) =>
           verifyEth({ url, network: 'mainnet', username: '0x' + '1'.repeat(40) }, { timeoutMs: 30000, secrets: {} })
             .then((r) => parentPort.postMessage({ id, r }), (e) => parentPort.postMessage({ id, r: { threw: String(e) } })));
         parentPort.postMessage('ready');
       });`,
      { eval: true, resourceLimits: VERIFIER_LIMITS },
    );
    const exited = new Promise<number>((resolve) => worker!.once('exit', resolve));
    const results = new Map<string, { code?: string; message?: string }>();
    const allAnswered = new Promise<void>((resolve, reject) => {
      worker!.on('error', reject);
      worker!.on('message', (m: 'ready' | { id: string; r: { code?: string; message?: string } }) => {
        if (m === 'ready') {
          worker!.postMessage({ id: 'honest', url: honestUrl });
          for (let i = 0; i < 8; i++) worker!.postMessage({ id: `hostile ${i}`, url: hostileUrl });
          return;
        }
        results.set(m.id, m.r);
        if (m.id.startsWith('hostile') && [...results.keys()].filter((k) => k.startsWith('hostile')).length === 8)
          releaseHonest();
        if (results.size === 9) resolve();
      });
    });
    await Promise.race([allAnswered, exited.then((code) => assert.fail(`the thread ended (exit ${code})`))]);
    assert.equal(hostileRequests, 8);
    for (let i = 0; i < 8; i++) {
      const r = results.get(`hostile ${i}`);
      assert.equal(r?.code, 'ServerError', JSON.stringify(r));
      assert.match(r?.message ?? '', /larger than 256 KiB/);
    }
    assert.equal(results.get('honest')?.code, 'Ok', JSON.stringify(results.get('honest')));
  });
});
