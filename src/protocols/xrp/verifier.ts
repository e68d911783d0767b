/** Checking an XRP account: the server answers over WebSocket and knows the account (or says it is not funded yet). */
import { webSocket, wsText } from './connection.js';
import type { VerifyOptions, VerifyResult, VerifySettings } from '../common/types.js';
import { xrpTarget } from './address.js';
import { backendUrl } from '../common/wallet-settings.js';

export function verifyXrp(settings: VerifySettings, options: VerifyOptions): Promise<VerifyResult> {
  const host = new URL(String(settings.url)).host;
  let url: string;
  try {
    url = backendUrl(String(settings.url), options.secrets ?? {});
  } catch (err) {
    return Promise.resolve({
      ok: false,
      code: 'Unauthorized',
      message: `XRP Ledger server ${host}: ${(err as Error).message}`,
    });
  }
  const timeoutMs = Math.min(options.timeoutMs, 15_000);
  return new Promise((resolve) => {
    const done = (r: VerifyResult) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    const ws = new (webSocket())(url, { maxPayload: 1024 * 1024, handshakeTimeout: timeoutMs });
    const timer = setTimeout(
      () =>
        done({
          ok: false,
          code: 'Timeout',
          message: `XRP Ledger server ${host} did not answer within ${timeoutMs / 1000} s`,
        }),
      timeoutMs,
    );
    ws.on('error', (err: NodeJS.ErrnoException) =>
      done({
        ok: false,
        code:
          err.code === 'ECONNREFUSED'
            ? 'ConnectionRefused'
            : err.code === 'ENOTFOUND'
              ? 'HostNotFound'
              : 'ConnectionFailed',
        message: `XRP Ledger server ${host} cannot be reached (${err.code ?? err.name})`,
      }),
    );
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          id: 1,
          command: 'account_info',
          account: xrpTarget(String(settings.username)).classic,
          ledger_index: 'validated',
        }),
      ),
    );
    ws.on('message', (data) => {
      let m: { status?: string; error?: string; result?: { account_data?: { Balance?: unknown } } };
      try {
        m = JSON.parse(wsText(data)) as typeof m;
      } catch {
        return done({ ok: false, code: 'ServerError', message: `XRP Ledger server ${host} does not speak JSON` });
      }
      if (m.status === 'success' && typeof m.result?.account_data?.Balance === 'string')
        return done({ ok: true, code: 'Ok', message: `XRP Ledger server ${host}: account found` });
      if (m.error === 'actNotFound')
        return done({ ok: true, code: 'Ok', message: `XRP Ledger server ${host}: the account is not funded yet` });
      done({
        ok: false,
        code: 'ServerError',
        message: `XRP Ledger server ${host} answered ${String(m.error ?? 'something unexpected').slice(0, 80)}`,
      });
    });
  });
}
