/**
 * The client's side of Manager.Export and Import (docs/export.md): the passphrase is sealed —
 * encrypted to the service's key (GetPassphraseKey) as an age file — so that it never crosses
 * the bus in the clear. age-encryption is loaded on first use only.
 */

/** What Import did: the accounts added, and those left out with why. */
export interface ImportResult {
  /** Ids of the new accounts. */
  imported: string[];
  skipped: ImportSkipped[];
}

export interface ImportSkipped {
  /** The account's id in the file. */
  id: string;
  /** Duplicate (an account for the same provider and user exists; named in message), Invalid, or an error kind (SecretsUnavailable, Io, AccessDenied). */
  reason: string;
  message: string;
}

/** The passphrase as an age file for `recipient` (an age1... X25519 recipient). */
export async function sealPassphrase(passphrase: string, recipient: string): Promise<Uint8Array> {
  const { Encrypter } = await import('age-encryption');
  const e = new Encrypter();
  e.addRecipient(recipient);
  return e.encrypt(passphrase);
}
