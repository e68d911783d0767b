/**
 * The administrator's policy, /etc/px-accounts/policy.ini (docs/policy.md): which catalogue
 * providers and which protocols new accounts may use, and whether manual set-up is allowed.
 * Each rule broken is one sentence naming the file, section and key, used both for the
 * AccessDenied of an add or update and for Account.PolicyViolation of an account already there.
 *
 * A file that cannot be used (unreadable, an unknown section or key, a value that is not a
 * list or a boolean) refuses every new account and every protocol enabled until it is fixed:
 * the administrator meant to restrict something, and a typo must not open everything.
 */
import ini from 'ini';
import { log } from '../log.js';
import { findProtocol } from '../protocols/registry.js';
import { readAdminFile } from './admin-file.js';
import { POLICY_FILE } from './paths.js';

/** What the policy looks at in an account, new or existing. */
export interface PolicySubject {
  provider: string;
  /** A bare protocol's provider (set up by hand), not a catalogue one. */
  manual: boolean;
  /** Settings found by discovery (AddAccount with an empty provider) count as the catalogue's, not as manual set-up. */
  discovered: boolean;
  protocols: readonly string[];
  /**
   * A catalogue provider's settings that point away from its servers (`imap.host`, `caldav.url`):
   * an account so changed is set up by hand whatever its provider says, so the manual rule applies.
   */
  overridden?: readonly string[];
}

interface Rules {
  providers: { allow?: Set<string>; deny: Set<string> };
  protocols: { allow?: Set<string>; deny: Set<string> };
  manual: boolean;
}

export type Policy = { kind: 'none' } | { kind: 'rules'; rules: Rules } | { kind: 'broken'; reason: string };

export const NO_POLICY: Policy = { kind: 'none' };

const SECTIONS: Record<string, readonly string[]> = {
  providers: ['allow', 'deny'],
  protocols: ['allow', 'deny'],
  manual: ['allowed'],
};

const isSection = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function idList(value: unknown, where: string): Set<string> {
  if (typeof value !== 'string') throw new Error(`${where} must be a comma-separated list of ids`);
  const ids = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const id of ids)
    if (!/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(id))
      throw new Error(`${where}: '${id.slice(0, 64)}' is not a provider or protocol id`);
  return new Set(ids);
}

/** Parses the policy file's text; throws an Error saying what is wrong. */
export function parsePolicy(text: string): Rules {
  const doc = ini.parse(text) as Record<string, unknown>;
  for (const [name, section] of Object.entries(doc)) {
    const keys = SECTIONS[name];
    if (!keys || !isSection(section))
      throw new Error(`unknown section or key '${name.slice(0, 64)}' (known: [providers], [protocols], [manual])`);
    for (const key of Object.keys(section))
      if (!keys.includes(key))
        throw new Error(`[${name}] has an unknown key '${key.slice(0, 64)}' (known: ${keys.join(', ')})`);
  }
  const list = (section: string) => {
    const s = (doc[section] ?? {}) as Record<string, unknown>;
    return {
      ...(s.allow !== undefined ? { allow: idList(s.allow, `[${section}] allow`) } : {}),
      deny: s.deny !== undefined ? idList(s.deny, `[${section}] deny`) : new Set<string>(),
    };
  };
  const manual = (doc.manual as Record<string, unknown> | undefined)?.allowed;
  if (manual !== undefined && typeof manual !== 'boolean') throw new Error('[manual] allowed must be true or false');
  const rules: Rules = { providers: list('providers'), protocols: list('protocols'), manual: manual ?? true };
  for (const id of [...(rules.protocols.allow ?? []), ...rules.protocols.deny]) {
    if (!findProtocol(id))
      log.warning(`${POLICY_FILE}: [protocols] names '${id}', which is not a protocol of this service`);
  }
  return rules;
}

/** Reads the policy file; a missing file is no policy. */
export function loadPolicy(path = POLICY_FILE): Policy {
  const read = readAdminFile(path);
  if (read.kind === 'missing') return NO_POLICY;
  if (read.kind === 'invalid') return { kind: 'broken', reason: read.reason };
  try {
    return { kind: 'rules', rules: parsePolicy(read.text) };
  } catch (err) {
    return { kind: 'broken', reason: (err as Error).message };
  }
}

const where = (section: string, key: string) => `${POLICY_FILE} [${section}] ${key}`;

/** Every rule the subject breaks, one sentence each; none for no policy or a broken one. */
export function violations(policy: Policy, s: PolicySubject): string[] {
  if (policy.kind !== 'rules') return [];
  const { rules } = policy;
  const out: string[] = [];
  if (s.manual && !s.discovered) {
    if (!rules.manual) out.push(`manual set-up is not allowed by ${where('manual', 'allowed')} = false`);
  } else if (!s.manual) {
    const p = s.provider.toLowerCase();
    if (rules.providers.deny.has(p)) out.push(`provider ${s.provider} is denied by ${where('providers', 'deny')}`);
    else if (rules.providers.allow && !rules.providers.allow.has(p))
      out.push(`provider ${s.provider} is not in ${where('providers', 'allow')}`);
    if (s.overridden?.length && !s.discovered && !rules.manual) {
      out.push(
        `servers other than provider ${s.provider}'s (${s.overridden.join(', ')}) are manual set-up, which is not allowed by ${where('manual', 'allowed')} = false`,
      );
    }
  }
  for (const protocol of s.protocols) {
    if (rules.protocols.deny.has(protocol)) out.push(`protocol ${protocol} is denied by ${where('protocols', 'deny')}`);
    else if (rules.protocols.allow && !rules.protocols.allow.has(protocol))
      out.push(`protocol ${protocol} is not in ${where('protocols', 'allow')}`);
  }
  return out;
}

/**
 * What refuses a new account (or, with `before`, an update: only rules it newly breaks), as the
 * AccessDenied message; undefined when allowed. `enabling`: the protocols an update turns on.
 */
export function refusal(policy: Policy, s: PolicySubject, before?: PolicySubject): string | undefined {
  if (policy.kind === 'broken') {
    const enabling = before ? s.protocols.filter((p) => !before.protocols.includes(p)) : s.protocols;
    if (before && enabling.length === 0) return undefined;
    return `policy: ${POLICY_FILE} cannot be used (${policy.reason}), so ${before ? 'no protocol can be enabled' : 'no account can be added'} until the administrator fixes it`;
  }
  const was = before ? new Set(violations(policy, before)) : new Set<string>();
  const added = violations(policy, s).filter((v) => !was.has(v));
  return added.length ? `policy: ${added.join('; ')}` : undefined;
}
