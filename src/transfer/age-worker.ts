/**
 * One passphrase encryption or decryption (age's scrypt recipient) on a thread of its own: the
 * library's scrypt is plain JavaScript, about 2 s and 300 MB at age's work factor, which would
 * otherwise stop the service from answering anyone meanwhile. The thread ends with its job, and
 * its memory with it. age-encryption is loaded here, on the first Export or Import, never at
 * start-up.
 */
import { parentPort, workerData } from 'node:worker_threads';

export interface AgeJob {
  op: 'encrypt' | 'decrypt';
  passphrase: string;
  data: Uint8Array;
  /** log2 of scrypt's N when encrypting (age's default is 18). */
  workFactor: number;
}

export type AgeResult =
  { ok: true; data: Uint8Array } | { ok: false; kind: 'WrongPassphrase' | 'InvalidArgument'; message: string };

const MAGIC = 'age-encryption.org/v1\n';
const ARMOR = '-----BEGIN AGE ENCRYPTED FILE-----';

async function run(job: AgeJob): Promise<AgeResult> {
  const age = await import('age-encryption');
  if (job.op === 'encrypt') {
    const e = new age.Encrypter();
    e.setPassphrase(job.passphrase);
    e.setScryptWorkFactor(job.workFactor);
    return { ok: true, data: await e.encrypt(job.data) };
  }
  let file = job.data;
  const start = Buffer.from(file.subarray(0, 64)).toString('latin1');
  if (start.trimStart().startsWith(ARMOR)) {
    try {
      file = age.armor.decode(Buffer.from(file).toString('utf8'));
    } catch (err) {
      return {
        ok: false,
        kind: 'InvalidArgument',
        message: `the file's ASCII armor is damaged (${(err as Error).message})`,
      };
    }
  } else if (!start.startsWith(MAGIC)) {
    return {
      ok: false,
      kind: 'InvalidArgument',
      message: 'the file is not an age file (it does not begin with age-encryption.org/v1)',
    };
  }
  // The header is text up to the MAC line; a passphrase file has one stanza, scrypt.
  const header = Buffer.from(file.subarray(0, Math.min(file.length, 4096))).toString('latin1');
  if (!header.includes('\n-> scrypt '))
    return { ok: false, kind: 'InvalidArgument', message: 'the file is encrypted to keys, not with a passphrase' };
  const d = new age.Decrypter();
  d.addPassphrase(job.passphrase);
  try {
    return { ok: true, data: await d.decrypt(file) };
  } catch (err) {
    const message = (err as Error).message;
    // The scrypt stanza did not open: the passphrase (or that stanza's bytes) differ — age itself says "incorrect passphrase".
    if (/no identity matched/.test(message))
      return {
        ok: false,
        kind: 'WrongPassphrase',
        message: 'the passphrase is not the one the file was encrypted with',
      };
    return { ok: false, kind: 'InvalidArgument', message: `the file is damaged or truncated (${message})` };
  }
}

run(workerData as AgeJob).then(
  (result) => parentPort!.postMessage(result),
  (err: Error) =>
    parentPort!.postMessage({ ok: false, kind: 'InvalidArgument', message: err.message } satisfies AgeResult),
);
