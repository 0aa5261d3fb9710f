/** Users, the portal directory, and the posture report. */
import type { DirectoryInput } from '../../lockout/directory';
import { findPerson } from '../../lockout/directory';
import { BLOCK_EVENT_TYPES, computePosture, POSTURE_WINDOW_MS } from '../../lockout/posture';
import type { AuditEvent } from '../../store/port';
import { AdminError } from '../http-io';
import { actorOf } from '../roles';
import { DEFAULT_LIMIT, paginate } from '../paging';
import { presentPerson } from '../present';
import { validateBody } from '../validate';
import { ok, portalName, type Handler } from './context';

export const importDirectory: Handler = async ({ cp, params, body, who }) => {
  const entries = validateBody<DirectoryInput[]>('DirectoryImport', body);
  const portal = portalName(params.portal!);
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    const key = e.login.trim().toLowerCase();
    if (seen.has(key)) throw new AdminError(422, 'PC_ERR_ADMIN_INVALID_FIELD', `[${i}].login: ${JSON.stringify(e.login)} is listed twice`, { field: `[${i}].login` });
    seen.add(key);
  });
  const result = await cp.directory.import(portal, entries);
  cp.lockout.audit({ atMs: cp.clock.now(), portal, type: 'directory_imported', actor: actorOf('operator', who), details: { users: result.imported, removed: result.removed } });
  return ok({ portal, ...result });
};

export const getDirectory: Handler = async ({ cp, params }) => {
  const portal = portalName(params.portal!);
  const entries = await cp.directory.entries(portal);
  return ok({ portal, items: entries.map((e) => ({ login: e.login, ...(e.email ? { email: e.email } : {}), ...(e.name ? { name: e.name } : {}), ...(e.phone ? { phone: e.phone } : {}), ...(e.portalUserId !== undefined ? { id: e.portalUserId } : {}), admin: e.admin, owner: e.owner, active: e.active, imported_at: new Date(e.importedAtMs).toISOString() })) });
};

export const listUsers: Handler = async ({ cp, query }) => {
  if (query.portal === undefined) throw new AdminError(422, 'PC_ERR_ADMIN_REQUIRED_FIELD', 'portal: required (GET /v1/users?portal=<host>)', { field: 'portal' });
  const portal = portalName(String(query.portal));
  const people = (await cp.directory.roster(portal)).filter((p) => query.state === undefined || p.state === query.state);
  return ok(paginate(people, (p) => [p.login.toLowerCase(), p.uid], { limit: (query.limit as number | undefined) ?? DEFAULT_LIMIT, ...(query.cursor !== undefined ? { cursor: String(query.cursor) } : {}) }, (p) => presentPerson(portal, p)));
};

export const getUser: Handler = async ({ cp, params }) => {
  const portal = portalName(params.portal!);
  const person = findPerson(await cp.directory.roster(portal), params.login!);
  if (!person) throw new AdminError(404, 'PC_ERR_ADMIN_NOT_FOUND', `${params.login} is not a user of ${portal} that the gateway knows (directory, logins seen, blocks)`);
  return ok(presentPerson(portal, person));
};

/** Enough events for 30 days of blocks on a busy portal; the audit trail keeps auditMaxPerPortal anyway. */
const POSTURE_AUDIT_LIMIT = 10_000;

export const getPosture: Handler = async ({ cp, params }) => {
  const portal = portalName(params.portal!);
  const now = cp.clock.now();
  const events: AuditEvent[] = [];
  for (const type of BLOCK_EVENT_TYPES) events.push(...(await cp.store.queryAudit({ portal, type, limit: POSTURE_AUDIT_LIMIT })).filter((e) => e.atMs >= now - POSTURE_WINDOW_MS));
  return ok(computePosture(portal, await cp.directory.roster(portal), events, now));
};
