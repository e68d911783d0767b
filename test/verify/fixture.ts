// The assertions every verifier test makes; the real servers are the run's shared ones.
import { strict as assert } from 'node:assert';

import type { Verifier, VerifyCode, VerifyResult, VerifySettings } from '../../src/protocols/common/types.js';
import { sharedPeers } from '../harness/fixture.js';

/** The run's real servers (all of them, harness/fixture.ts): a suite uses them, never stops them. */
export const peers = sharedPeers;

export const LOCAL = '127.0.0.1';
export const DEFAULT_TIMEOUT_MS = 8000;

export interface Expect {
  timeoutMs?: number;
  /** the host:port the message must name, when it is not settings.host/port (DAV with a url) */
  shownHost?: string;
  shownPort?: number;
}

/**
 * Runs one verification and asserts what holds for every outcome: the exact code, `ok` matching
 * it, resolution within timeoutMs + 1 s, a message naming the server and never the secret.
 */
export async function expectCode(
  verify: Verifier,
  settings: VerifySettings,
  secret: string,
  code: VerifyCode,
  opts: Expect = {},
): Promise<VerifyResult & { elapsedMs: number }> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const t0 = performance.now();
  const r = await verify(settings, secret, { timeoutMs });
  const elapsedMs = performance.now() - t0;
  assert.equal(r.code, code, `expected ${code}, got ${r.code}: ${r.message}`);
  assert.equal(r.ok, code === 'Ok', `ok must be ${code === 'Ok'} for ${code}`);
  assert.ok(elapsedMs <= timeoutMs + 1000, `resolved after ${elapsedMs.toFixed(0)} ms, limit ${timeoutMs} + 1000 ms`);
  assert.equal(typeof r.message, 'string');
  const host = opts.shownHost ?? settings.host;
  const port = opts.shownPort ?? settings.port;
  assert.ok(r.message.includes(host), `the message names the host ${host}: ${r.message}`);
  assert.ok(r.message.includes(String(port)), `the message names the port ${port}: ${r.message}`);
  assertNoSecret(r.message, secret);
  return { ...r, elapsedMs };
}

export function assertNoSecret(message: string, secret: string): void {
  if (!secret) return;
  assert.ok(!message.includes(secret), `the message contains the secret: ${message}`);
  if (secret.includes('\n')) {
    for (const line of secret.split('\n')) {
      if (line.length >= 12 && !line.startsWith('-----'))
        assert.ok(!message.includes(line), `the message contains a line of the key: ${message}`);
    }
  }
}

/** A wrong password that looks like a password, never the right one. */
export const wrong = (secret: string) => `${secret}-wrong`;

/** Open TCP/TLS sockets of this process. */
export function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;
}

/** Waits (up to `ms`) until no more sockets are open than `baseline`; returns the final count. */
export async function socketsSettle(baseline: number, ms = 2000): Promise<number> {
  const until = Date.now() + ms;
  while (openSockets() > baseline && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  return openSockets();
}
