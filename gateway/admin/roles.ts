/**
 * Who may call which admin route: the one permission table (docs/admin-api.md and the OpenAPI
 * document's `x-roles` are generated from it). A token has a name and one role; the route table
 * (./routes.ts) names operations, and this table grants operations to roles.
 *
 *   admin     everything (PORTCULLIS_ADMIN_TOKEN is this role, named "admin")
 *   operator  blocks add and lift, policy reload, directory import, and everything `read` may
 *   support   the unblock-request flow (file, verify identity, approve, reject), block lift, and `read`
 *   read      read-only: blocks, requests, users, directory, posture, audit, policies (and explain), metrics
 *   metrics   GET /metrics only (a Prometheus scraper's credential)
 *
 * Open routes (health, the OpenAPI document) need no token at all.
 */

export const ROLES = ['admin', 'operator', 'support', 'read', 'metrics'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_SUMMARIES: Readonly<Record<Role, string>> = {
  admin: 'Every route (the role of PORTCULLIS_ADMIN_TOKEN, whose name is `admin`).',
  operator: 'Blocks add and lift, policy reload, directory import, and everything `read` may do.',
  support: 'The unblock-request flow (file, verify identity, approve, reject), block lift, and everything `read` may do.',
  read: 'Read-only: blocks, unblock requests, users, directory, posture, audit, policies (and explain, which changes nothing), metrics.',
  metrics: 'GET /metrics only: a scraper\'s credential, which can read no block, user or audit event.',
};

const READ = ['listBlocks', 'listUnblockRequests', 'getUnblockRequest', 'getDirectory', 'listUsers', 'getUser', 'getPosture', 'listAudit', 'getPolicies', 'explainPolicies', 'metrics'] as const;
const OPERATOR = ['createBlock', 'liftBlock', 'reloadPolicies', 'importDirectory'] as const;
const SUPPORT = ['fileUnblockRequest', 'verifyIdentity', 'approveUnblockRequest', 'rejectUnblockRequest', 'liftBlock'] as const;

/** The operations each role may call, besides `admin`, which may call every one. */
const GRANTS: Readonly<Record<Exclude<Role, 'admin'>, ReadonlySet<string>>> = {
  operator: new Set<string>([...READ, ...OPERATOR]),
  support: new Set<string>([...READ, ...SUPPORT]),
  read: new Set<string>(READ),
  metrics: new Set<string>(['metrics']),
};

export function mayCall(role: Role, operationId: string): boolean {
  return role === 'admin' || GRANTS[role].has(operationId);
}

/** The roles that may call an operation, in ROLES order (for the documents). */
export function rolesFor(operationId: string): Role[] {
  return ROLES.filter((r) => mayCall(r, operationId));
}

/** The caller of an admin route: a token's name (never the token) and its role. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
}

/** What the audit trail records as the actor: the kind of action and the token's name, e.g. `operator:ops-alice`. */
export function actorOf(kind: 'operator' | 'support', who: Principal): string {
  return `${kind}:${who.name}`;
}
