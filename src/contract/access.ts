/**
 * Who may call what, as the contract says it: the annotation on every method and writable
 * property of interfaces/*.xml, and the request the object server hands to the policy
 * (src/access/policy.ts) before dispatch.
 */
export const ACCESS_ANNOTATION = 'org.pantherx.Accounts.Access';
export const ACCESS_LEVELS = ['none', 'identify', 'grant', 'manage'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** One call to authorize: `member` is `Set:<property>` for Properties.Set; `access` the member's annotation (undefined: it has none). */
export interface AccessRequest {
  sender: string;
  iface: string;
  member: string;
  path: string;
  access: string | undefined;
  args: readonly unknown[];
}
