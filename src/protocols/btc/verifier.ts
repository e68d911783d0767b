/**
 * Checking a Bitcoin account: the backend answers, serves the network the account names (block 0
 * of the public networks is known), and can read the first watched address.
 */
import { RpcInvalid, RpcRefused, RpcUnreachable } from '../common/backend-errors.js';
import { backendUrl } from '../common/wallet-settings.js';
import type { VerifyOptions, VerifyResult, VerifySettings } from '../common/types.js';
import { GENESIS } from './backend.js';
import { watchTarget } from './keys.js';
import { backendFor } from './watcher.js';

export async function verifyBtc(settings: VerifySettings, options: VerifyOptions): Promise<VerifyResult> {
  const network = String(settings.network);
  let url: string;
  try {
    url = backendUrl(String(settings.url), options.secrets ?? {});
  } catch (err) {
    return {
      ok: false,
      code: 'Unauthorized',
      message: `Bitcoin backend ${new URL(String(settings.url)).host}: ${(err as Error).message}`,
    };
  }
  const backend = backendFor(url, network, { changed: () => undefined, lost: () => undefined });
  try {
    const genesis = await backend.genesis();
    const expected = GENESIS[network];
    if (expected && !expected.includes(genesis))
      return {
        ok: false,
        code: 'ServerError',
        message: `${backend.name} serves another chain than Bitcoin ${network}`,
      };
    const tip = await backend.tip();
    const first = watchTarget(String(settings.username), network, String(settings.script_type ?? '')).address(0, 0);
    await backend.address(first, undefined);
    return { ok: true, code: 'Ok', message: `${backend.name}: block ${tip.height}, the wallet is readable` };
  } catch (err) {
    const e = err as Error;
    if (e instanceof RpcUnreachable) {
      const code = /ECONNREFUSED/.test(e.message)
        ? 'ConnectionRefused'
        : /ENOTFOUND|EAI_AGAIN/.test(e.message)
          ? 'HostNotFound'
          : /within/.test(e.message)
            ? 'Timeout'
            : 'ConnectionFailed';
      return { ok: false, code, message: `${backend.name} ${e.message}` };
    }
    if (e instanceof RpcRefused) return { ok: false, code: 'Unauthorized', message: `${backend.name}: ${e.message}` };
    if (e instanceof RpcInvalid) return { ok: false, code: 'ServerError', message: `${backend.name}: ${e.message}` };
    return { ok: false, code: 'ServerError', message: `${backend.name}: ${e.message.slice(0, 200)}` };
  } finally {
    backend.close();
  }
}
