// A real Ethereum node for the wallet tests: anvil (Foundry) from npm, on 127.0.0.1 with a free
// port, its dev accounts unlocked for eth_sendTransaction, started and stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../session.js';
import { stopPid } from '../process.js';

export const ANVIL_BIN = join(ROOT, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');

export interface Anvil {
  readonly url: string;
  readonly port: number;
  pid(): number;
  /** The unlocked dev accounts (lower case). */
  accounts: string[];
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  /** Sends `wei` from dev account `from` (index) to `to`; resolves with the transaction hash. */
  send(to: string, wei: bigint, from?: number): Promise<string>;
  /** Stops the node (its chain is gone) and starts a new one on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startAnvil(): Promise<Anvil> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  let child: ChildProcess | undefined;
  let id = 0;
  const rpc = async (method: string, params: unknown[] = []) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) });
    const body = await res.json() as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  const anvil: Anvil = {
    url, port, accounts: [],
    pid: () => child?.pid ?? 0,
    rpc,
    async send(to, wei, from = 0) {
      return await rpc('eth_sendTransaction', [{ from: anvil.accounts[from], to, value: `0x${wei.toString(16)}` }]) as string;
    },
    async start() {
      child = spawn(ANVIL_BIN, ['--host', '127.0.0.1', '--port', String(port), '--silent'], { stdio: 'ignore' });
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          anvil.accounts = (await rpc('eth_accounts') as string[]).map((a) => a.toLowerCase());
          return;
        } catch {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error('anvil did not start');
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async stop() {
      const pid = child?.pid;
      child = undefined;
      await stopPid(pid);
    },
  };
  await anvil.start();
  return anvil;
}
