/**
 * A wallet's looks at its backend as a test sees them: Wallet.LastUpdated changes, in one
 * PropertiesChanged, on every successful look (a poll, a push, Refresh), even one that found
 * nothing new — after whatever that look announced (TransferReceived, the notification).
 */
import type { Signal, TestClient } from './client.js';

const WALLET = 'org.pantherx.Accounts.Wallet';

const isLook = (path: string) => (x: Signal) =>
  x.path === path &&
  x.member === 'PropertiesChanged' &&
  x.body[0] === WALLET &&
  Object.hasOwn(x.body[1] as object, 'LastUpdated');

/**
 * Resolves once a whole successful look at the backend began and ended after this call, so a
 * test can then check that nothing more came. `poll` (Ethereum, Esplora): the second LastUpdated
 * change from now — the first may end a look begun before. `refresh` (a backend that pushes and
 * is not polled: Electrum, the XRP Ledger): Wallet.Refresh, whose look starts after the call,
 * and its LastUpdated change (the reply comes even when the look failed).
 */
export async function nextLook(
  client: TestClient,
  path: string,
  how: 'poll' | 'refresh' = 'poll',
  timeoutMs = 10_000,
): Promise<void> {
  const from = client.signals.length;
  if (how === 'refresh') {
    await client.call(path, WALLET, 'Refresh');
    await client.waitSignal(isLook(path), timeoutMs, from);
    return;
  }
  const first = await client.waitSignal(isLook(path), timeoutMs, from);
  await client.waitSignal(isLook(path), timeoutMs, client.signals.indexOf(first) + 1);
}
