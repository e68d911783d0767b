/**
 * Runs the protocol verifiers on a worker thread. Loading imapflow, nodemailer, tsdav and
 * ssh2 blocks a thread for ~200 ms, and TLS handshakes, SSH key exchange and DAV XML parsing
 * cost CPU per check: on the thread that serves D-Bus, a start-up sweep of 1 000 accounts made
 * Properties.Get wait up to ~190 ms. Here they use the second core and never delay a call.
 */
import { parentPort } from 'node:worker_threads';
import { verifiers, type VerifiableProtocol, type VerifyResult, type VerifySettings } from '../protocols/index.js';

export interface VerifierRequest { id: number; protocol: VerifiableProtocol; settings: VerifySettings; secret: string; timeoutMs: number }
export interface VerifierReply { id: number; result: VerifyResult }

parentPort?.on('message', (req: VerifierRequest) => {
  verifiers[req.protocol](req.settings, req.secret, { timeoutMs: req.timeoutMs }).then(
    (result) => parentPort?.postMessage({ id: req.id, result } satisfies VerifierReply),
    // Verifiers never throw by contract; if one does, say so without its text (it could quote input).
    (err: Error) => parentPort?.postMessage({ id: req.id, result: { ok: false, code: 'Unknown', message: `check failed unexpectedly (${err?.name})` } } satisfies VerifierReply),
  );
});
