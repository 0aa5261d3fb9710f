/**
 * Records as the admin API shows them: snake_case, ISO times, public ids — and only the fields ops
 * need. What is left out on purpose: a block's `oldPasswordHash` (a keyed hash of a password, kept
 * only for the reset check), user ids (keyed hashes, meaningless outside), device ids and fingerprints
 * (a count is shown).
 */
import type { BlockRecord } from '../lockout/blocks';
import type { Person } from '../lockout/directory';
import { publicId, type RequestState, type UnblockRequest } from '../lockout/unblock-requests';
import type { AuditEvent } from '../store/port';

const iso = (ms: number): string => new Date(ms).toISOString();
const USER_KINDS = new Set(['user', 'reset_required']);

export function presentBlock(b: BlockRecord): Record<string, unknown> {
  return {
    id: publicId(b.portal, b.id),
    portal: b.portal,
    kind: b.kind,
    ...(b.login !== undefined ? { user: b.login } : {}),
    ...(!USER_KINDS.has(b.kind) && b.subject !== '' ? { subject: b.subject } : {}),
    actor: b.actor,
    reason: b.reason,
    rules: b.rules,
    score: b.score,
    created_at: iso(b.createdAtMs),
    ends_at: b.endsAtMs === null ? null : iso(b.endsAtMs),
    offences: b.offences,
    ...(b.rate ? { rate: { requests: b.rate.requests, per_ms: b.rate.perMs } } : {}),
  };
}

const NEXT: Record<RequestState, (r: UnblockRequest) => string[]> = {
  open: (r) => (r.identityRequired ? ['verify-identity', 'reject'] : ['verify-identity', 'approve', 'reject']),
  identity_verified: () => ['approve', 'reject'],
  approved: () => [],
  rejected: () => [],
};

export function presentRequest(r: UnblockRequest): Record<string, unknown> {
  return {
    id: publicId(r.portal, r.id),
    portal: r.portal,
    blocked_user: r.blockedUser,
    blocked_login: r.blockedLogin,
    role: r.role,
    name: r.name,
    email: r.email,
    requested_by: r.requestedBy,
    channel: r.channel,
    state: r.state,
    identity_required: r.identityRequired,
    directory_match: r.directoryMatch,
    created_at: iso(r.createdAtMs),
    updated_at: iso(r.updatedAtMs),
    ...(r.identity ? { identity: { by: r.identity.by, method: r.identity.method, at: iso(r.identity.atMs), ...(r.identity.note ? { note: r.identity.note } : {}) } } : {}),
    ...(r.decision ? { decision: { by: r.decision.by, at: iso(r.decision.atMs), ...(r.decision.reason ? { reason: r.decision.reason } : {}), ...(r.decision.note ? { note: r.decision.note } : {}) } } : {}),
    history: r.history.map((h) => ({ at: iso(h.atMs), state: h.state, actor: h.actor, ...(h.note ? { note: h.note } : {}) })),
    next: NEXT[r.state](r),
  };
}

export function presentPerson(portal: string, p: Person): Record<string, unknown> {
  const l = p.learned;
  return {
    portal,
    login: p.login,
    ...(p.email !== undefined ? { email: p.email } : {}),
    ...(p.name !== undefined ? { name: p.name } : {}),
    admin: p.admin,
    owner: p.owner,
    active_employee: p.active,
    in_directory: p.inDirectory,
    state: p.state,
    seen_logging_in: l?.known === true,
    known_devices: l?.knownDeviceIds.length ?? 0,
    last_success: l?.lastSuccess ? { at: iso(l.lastSuccess.atMs), country: l.lastSuccess.country } : null,
    second_factor_seen: l?.secondFactorSeen ?? false,
    weak_password_seen: l?.weakPasswordSeen ?? false,
    ...(p.block ? { block: presentBlock(p.block) } : p.reset ? { block: presentBlock(p.reset) } : {}),
  };
}

export function presentAudit(e: AuditEvent): Record<string, unknown> {
  return { at: iso(e.atMs), portal: e.portal, type: e.type, actor: e.actor, ...(e.user ? { user: e.user } : {}), ...(e.details ? { details: e.details } : {}) };
}
