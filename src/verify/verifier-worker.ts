/**
 * Runs the built-in protocols' verifiers on a worker thread. Loading imapflow, nodemailer, tsdav
 * and ssh2 blocks a thread for ~200 ms, and TLS handshakes, SSH key exchange and DAV XML parsing
 * cost CPU per check: on the thread that serves D-Bus, a start-up sweep of 1 000 accounts made
 * Properties.Get wait up to ~190 ms. Here they use the second core and never delay a call.
 */
import { parentPort } from 'node:worker_threads';
import type { ProxyRoute, Verifier, VerifyResult, VerifySettings } from '../protocols/common/types.js';
import { findProtocol } from '../protocols/registry.js';

export interface VerifierRequest {
  id: number;
  protocol: string;
  settings: VerifySettings;
  secret: string;
  timeoutMs: number;
  secrets: Record<string, string>;
  auth: 'password' | 'oauth2';
  proxy?: ProxyRoute;
}
export interface VerifierReply {
  id: number;
  result: VerifyResult;
}

const loaded = new Map<string, Promise<Verifier>>();

function verifierOf(protocol: string): Promise<Verifier> {
  let v = loaded.get(protocol);
  if (!v) {
    const plugin = findProtocol(protocol);
    v = plugin?.loadVerifier
      ? plugin.loadVerifier()
      : Promise.reject(new Error(`no verifier for ${protocol} on the verifier thread`));
    loaded.set(protocol, v);
  }
  return v;
}

parentPort?.on('message', (req: VerifierRequest) => {
  verifierOf(req.protocol)
    .then((verify) =>
      verify(req.settings, req.secret, {
        timeoutMs: req.timeoutMs,
        secrets: req.secrets,
        auth: req.auth,
        ...(req.proxy ? { proxy: req.proxy } : {}),
      }),
    )
    .then(
      (result) => parentPort?.postMessage({ id: req.id, result } satisfies VerifierReply),
      // Verifiers never throw by contract; if one does, say so without its text (it could quote input).
      (err: Error) =>
        parentPort?.postMessage({
          id: req.id,
          result: { ok: false, code: 'Unknown', message: `check failed unexpectedly (${err?.name})` },
        } satisfies VerifierReply),
    );
});
