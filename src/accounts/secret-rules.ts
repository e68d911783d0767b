/**
 * What every operation that takes secrets checks of them (names, values, the protocols that
 * read them, the reserved `oauth2`), who asks (Origin), and the best-effort rollback of
 * secrets stored before a step that failed.
 */
import { AccountsError, invalidArgument } from '../errors.js';
import { log } from '../log.js';
import type { SecretStore } from '../secrets/secret-service.js';
import { requireProtocol } from '../protocols/registry.js';
import { TOKEN_SECRET, type TokenRecord } from '../oauth2/tokens.js';
import type { SecretSource } from '../verify/check.js';
import { checkPlainDict, checkSecretName, checkSecretValue, MAX_SECRETS_PER_CALL } from '../util/validate.js';

export type Variants = Record<string, { signature: string; value: unknown }>;

/** Who asks for an add or a check: whether the service may read files they name, and their app (its share of checks). */
export interface Origin {
  readonly files: boolean;
  readonly app: string;
}
/** The service itself, or a test calling in-process. */
export const SELF: Origin = { files: true, app: 'px-accounts-service' };

/**
 * The secrets of an add or a check: those an import produced (a profile's keys) under those
 * given by name, each checked by name and value, and by every protocol that reads it.
 */
export function checkGivenSecrets(
  protocols: readonly string[],
  imported: Record<string, string>,
  given: Record<string, string>,
): Record<string, string> {
  checkPlainDict(given, 'secrets');
  const n = Object.keys(given).length;
  if (n > MAX_SECRETS_PER_CALL)
    throw new AccountsError('InvalidArgument', `secrets: ${n} given, at most ${MAX_SECRETS_PER_CALL} per call`);
  const secrets = { ...imported, ...given };
  for (const [name, value] of Object.entries(secrets))
    secrets[name] = checkSecret(protocols, checkSecretName(name), value);
  return secrets;
}

/** A secret's value, checked as text and by each protocol that reads it (an OpenVPN key block). */
export function checkSecret(protocols: readonly string[], name: string, value: string): string {
  let out = checkSecretValue(value, name);
  for (const p of protocols) {
    const plugin = requireProtocol(p, 'protocols');
    if (plugin.checkSecret && (plugin.secrets.includes(name) || name === 'password' || name === p))
      out = plugin.checkSecret(name, out);
  }
  return out;
}

/** The `oauth2` secret is the service's: SetSecret and DeleteSecret may not touch it. */
export function reserved(name: string): void {
  if (name === TOKEN_SECRET)
    throw invalidArgument(
      `the secret name ${TOKEN_SECRET} is reserved for OAuth2 tokens (sign in again with Account.SignInAgain)`,
    );
}

/** OAuth2 accounts enable only protocols that sign in with tokens. */
export function checkTokenProtocols(protocols: readonly string[]): void {
  for (const p of protocols) {
    const plugin = requireProtocol(p, 'protocols');
    if (!plugin.tokens)
      throw new AccountsError('UnsupportedProtocol', `${plugin.title} cannot sign in with OAuth2 tokens`);
  }
}

/** Secrets given in a call. */
export const givenSecrets = (secrets: Record<string, string>): SecretSource => ({
  names: Object.keys(secrets),
  get: (name) => Promise.resolve(secrets[name] ?? null),
});

/** A completed sign-in's access token as the only credential of a check (the account is not stored yet). */
export function signedInToken(record: TokenRecord): SecretSource {
  const token = record.tokens['']?.access_token;
  if (token === undefined) throw new AccountsError('ProviderError', 'the sign-in gave no access token');
  return { names: [], get: () => Promise.resolve(null), token: () => Promise.resolve(token) };
}

/** Best-effort rollback; a secret that cannot be deleted is logged by name, never by value. */
export async function forgetSecrets(secrets: SecretStore, id: string, names: string[]): Promise<void> {
  for (const name of names) {
    try {
      await secrets.delete(id, name);
    } catch (err) {
      log.error(`secret '${name}' of account ${id} could not be deleted and is orphaned: ${(err as Error).message}`);
    }
  }
}
