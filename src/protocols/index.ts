// Protocol verifiers: one module per protocol, one shape (see types.ts).
import { verifyCalDav, verifyCardDav } from './dav.js';
import { verifyImap } from './imap.js';
import { verifyPop3 } from './pop3.js';
import { verifySftp } from './sftp.js';
import { verifySmtp } from './smtp.js';
import type { Verifier } from './types.js';

export type VerifiableProtocol = 'imap' | 'smtp' | 'pop3' | 'caldav' | 'carddav' | 'sftp';

export const verifiers: Record<VerifiableProtocol, Verifier> = {
  imap: verifyImap,
  smtp: verifySmtp,
  pop3: verifyPop3,
  caldav: verifyCalDav,
  carddav: verifyCardDav,
  sftp: verifySftp,
};

export { verifyCalDav, verifyCardDav, verifyImap, verifyPop3, verifySftp, verifySmtp };
export { hostKeyFingerprint } from './sftp.js';
export { classifyError, describe, endpoint, scrubSecret, VerifyFailure } from './classify.js';
export type { ProtocolName } from './classify.js';
export type { Security, Verifier, VerifyCode, VerifyOptions, VerifyResult, VerifySettings } from './types.js';
