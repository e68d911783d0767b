/**
 * age for Export and Import (docs/export.md), through age-encryption (by age's author), loaded
 * on first use. Two jobs:
 * - the passphrase key: an X25519 identity made on first use and kept in memory; callers
 *   encrypt the passphrase to its recipient, so it never crosses the bus in the clear;
 * - the file: encrypted and decrypted with the passphrase (scrypt) on a thread of its own
 *   (age-worker.ts), one at a time: each takes about 2 s and 300 MB.
 */
import { Worker } from 'node:worker_threads';
import { AccountsError, invalidArgument } from '../errors.js';
import type { AgeJob, AgeResult } from './age-worker.js';

/** A passphrase is typed or kept in a file: 1 KiB is plenty. */
export const MAX_PASSPHRASE = 1024;
const MAX_SEALED = 64 * 1024;
/** age's own default; PX_ACCOUNTS_SCRYPT_WORK_FACTOR (10 to 20) makes test suites faster. */
const DEFAULT_WORK_FACTOR = 18;

type AgeLib = typeof import('age-encryption');
let lib: Promise<AgeLib> | undefined;
const age = (): Promise<AgeLib> => (lib ??= import('age-encryption'));

let key: Promise<{ identity: string; recipient: string }> | undefined;

/** The recipient (age1...) callers encrypt the passphrase to. */
export async function passphraseKey(): Promise<string> {
  key ??= age().then(async (a) => {
    const identity = await a.generateX25519Identity();
    return { identity, recipient: await a.identityToRecipient(identity) };
  });
  return (await key).recipient;
}

/** The passphrase inside a sealed one; InvalidArgument when it was not sealed to this service's key, or is empty or too long. */
export async function unseal(sealed: Uint8Array): Promise<string> {
  const stale = () =>
    invalidArgument(
      "passphrase: not encrypted to this service's key; ask Manager.GetPassphraseKey (again, if the service restarted) and encrypt the passphrase to it",
    );
  if (!key || sealed.length === 0 || sealed.length > MAX_SEALED) throw stale();
  const { identity } = await key;
  const d = new (await age()).Decrypter();
  d.addIdentity(identity);
  let bytes: Uint8Array;
  try {
    bytes = await d.decrypt(sealed);
  } catch {
    throw stale();
  }
  if (bytes.length === 0) throw invalidArgument('passphrase: empty');
  if (bytes.length > MAX_PASSPHRASE) throw invalidArgument(`passphrase: longer than ${MAX_PASSPHRASE} bytes`);
  const text = new TextDecoder('utf-8', { fatal: true });
  try {
    return text.decode(bytes);
  } catch {
    throw invalidArgument('passphrase: not UTF-8 text');
  }
}

function workFactor(): number {
  const n = Number(process.env.PX_ACCOUNTS_SCRYPT_WORK_FACTOR);
  return Number.isInteger(n) && n >= 10 && n <= 20 ? n : DEFAULT_WORK_FACTOR;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs one job on a new thread, after the jobs before it. */
function onThread(job: AgeJob): Promise<Uint8Array> {
  const next = queue
    .catch(() => undefined)
    .then(
      () =>
        new Promise<Uint8Array>((resolve, reject) => {
          const w = new Worker(new URL('./age-worker.js', import.meta.url), { workerData: job });
          let settled = false;
          w.once('message', (r: AgeResult) => {
            settled = true;
            void w.terminate();
            if (r.ok) resolve(r.data);
            else reject(new AccountsError(r.kind, r.message));
          });
          w.once('error', (err) => {
            settled = true;
            reject(new AccountsError('Io', `the encryption thread failed: ${err.message}`));
          });
          w.once('exit', (code) => {
            if (!settled) reject(new AccountsError('Io', `the encryption thread exited with status ${code}`));
          });
        }),
    );
  queue = next;
  return next;
}

/** An age file of `plaintext`, encrypted with the passphrase (scrypt). */
export function encryptWithPassphrase(plaintext: string, passphrase: string): Promise<Uint8Array> {
  return onThread({ op: 'encrypt', passphrase, data: new TextEncoder().encode(plaintext), workFactor: workFactor() });
}

/** The plaintext of an age file encrypted with a passphrase; WrongPassphrase or InvalidArgument (not age, damaged, truncated, encrypted to keys). */
export async function decryptWithPassphrase(file: Uint8Array, passphrase: string): Promise<string> {
  const bytes = await onThread({ op: 'decrypt', passphrase, data: file, workFactor: workFactor() });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidArgument('the file decrypts, but not to text: not a px-accounts export');
  }
}
