/** Checking an Ethereum account: the backend answers, is on the network the account names, and knows the address's balance. */
import { VerifyFailure } from '../common/classify.js';
import type { VerifyOptions, VerifyResult, VerifySettings } from '../common/types.js';
import { hexQuantity } from '../common/units.js';
import { CHAIN_IDS } from './networks.js';
import { RpcInvalid, RpcRefused, RpcUnreachable } from '../common/backend-errors.js';
import { rpc } from './rpc.js';
import { backendUrl } from '../common/wallet-settings.js';

export async function verifyEth(settings: VerifySettings, options: VerifyOptions): Promise<VerifyResult> {
  const host = new URL(String(settings.url)).host;
  try {
    const url = backendUrl(String(settings.url), options.secrets ?? {});
    const chain = hexQuantity(await rpc(url, 'eth_chainId', []), 'the chain id');
    const expected = CHAIN_IDS[String(settings.network)];
    if (expected !== undefined && chain !== expected) {
      throw new VerifyFailure('ServerError', `${host} serves chain ${chain}, not ${settings.network} (${expected})`);
    }
    hexQuantity(await rpc(url, 'eth_getBalance', [settings.username, 'latest']), 'the balance');
    return { ok: true, code: 'Ok', message: `Ethereum backend ${host}: chain ${chain}, balance readable` };
  } catch (err) {
    if (err instanceof VerifyFailure)
      return { ok: false, code: err.code, message: `Ethereum backend ${host}: ${err.message}` };
    if (err instanceof RpcUnreachable) {
      const code = /ECONNREFUSED/.test(err.message)
        ? 'ConnectionRefused'
        : /ENOTFOUND|EAI_AGAIN/.test(err.message)
          ? 'HostNotFound'
          : /within/.test(err.message)
            ? 'Timeout'
            : 'ConnectionFailed';
      return { ok: false, code, message: `Ethereum backend ${host} ${err.message}` };
    }
    if (err instanceof RpcRefused)
      return { ok: false, code: 'Unauthorized', message: `Ethereum backend ${host}: ${err.message}` };
    if (err instanceof RpcInvalid)
      return { ok: false, code: 'ServerError', message: `Ethereum backend ${host}: ${err.message}` };
    return {
      ok: false,
      code: 'ServerError',
      message: `Ethereum backend ${host}: ${(err as Error).message.slice(0, 200)}`,
    };
  }
}
