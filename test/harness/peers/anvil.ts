// A real Ethereum node for the wallet tests: anvil (Foundry) from npm, on 127.0.0.1 with a free
// port, its dev accounts unlocked for eth_sendTransaction, started and stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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
  /** Installs a test token (6 decimals, balances kept) at a new address; resolves with it (lower case). */
  installToken(): Promise<string>;
  /** Credits `to` with `amount` (in the token's smallest unit) from dev account `from`; emits Transfer. */
  mintToken(token: string, to: string, amount: bigint, from?: number): Promise<string>;
  /** Stops the node (its chain is gone) and starts a new one on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** keccak256("Transfer(address,address,uint256)") */
const TRANSFER_TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const hex1 = (n: number) => n.toString(16).padStart(2, '0');
/** CALLDATASIZE == size → JUMP to `to` (7 bytes). */
const ifSize = (size: number, to: number) => `3660${hex1(size)}1460${hex1(to)}57`;
/** Any other call (64 bytes: to, amount): storage[to] += amount; LOG3 Transfer(caller, to, amount); STOP. */
const CREDIT = [
  '602035',
  '80',
  '600035',
  '80',
  '54',
  '82',
  '01',
  '90',
  '55',
  '600052',
  '50',
  '600035',
  '33',
  `7f${TRANSFER_TOPIC}`,
  '6020',
  '6000',
  'a3',
  '00',
].join('');
/** balanceOf(address), 36 bytes: JUMPDEST; SLOAD(calldata[4..36]); RETURN 32 bytes. */
const BALANCE_OF = ['5b', '600435', '54', '600052', '6020', '6000', 'f3'].join('');
/** decimals(), 4 bytes: JUMPDEST; RETURN 6. */
const DECIMALS = ['5b', '6006', '600052', '6020', '6000', 'f3'].join('');
/**
 * A test token as EVM code written by hand (no compiler here): enough ERC-20 for a watcher —
 * balanceOf, decimals (6) and Transfer events. The selector is not looked at: the call's size
 * decides. Two ifSize first (14 bytes), then the three blocks.
 */
export const TEST_TOKEN_CODE = `0x${ifSize(36, 14 + CREDIT.length / 2)}${ifSize(4, 14 + (CREDIT.length + BALANCE_OF.length) / 2)}${CREDIT}${BALANCE_OF}${DECIMALS}`;

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
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  const anvil: Anvil = {
    url,
    port,
    accounts: [],
    pid: () => child?.pid ?? 0,
    rpc,
    async send(to, wei, from = 0) {
      return (await rpc('eth_sendTransaction', [
        { from: anvil.accounts[from], to, value: `0x${wei.toString(16)}` },
      ])) as string;
    },
    async installToken() {
      const token = `0x${randomBytes(20).toString('hex')}`;
      await rpc('anvil_setCode', [token, TEST_TOKEN_CODE]);
      return token;
    },
    async mintToken(token, to, amount, from = 0) {
      const word = (x: string) => x.replace(/^0x/, '').toLowerCase().padStart(64, '0');
      return (await rpc('eth_sendTransaction', [
        { from: anvil.accounts[from], to: token, data: `0x${word(to)}${word(amount.toString(16))}` },
      ])) as string;
    },
    async start() {
      child = spawn(ANVIL_BIN, ['--host', '127.0.0.1', '--port', String(port), '--silent'], { stdio: 'ignore' });
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          anvil.accounts = ((await rpc('eth_accounts')) as string[]).map((a) => a.toLowerCase());
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
