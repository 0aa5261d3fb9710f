/**
 * Unblock requests: the seed article's support flow as a state machine kept in the store
 * (`unblock_requests`, one record per request, per portal).
 *
 *            verify-identity                 approve
 *   open ───────────────────▶ identity_verified ───────▶ approved   (lifts user + REST, reset_required)
 *    │  └──────────── approve (employees only) ────────▶ approved
 *    └─── reject ──▶ rejected ◀── reject ───┘
 *
 * Filing follows the article, checked in this order (the first failure is the answer):
 *   1. the blocked user has a live user block on the portal          else 409 PC_ERR_ADMIN_NOT_BLOCKED
 *   2. someone else can vouch: another active, unblocked user exists  else 409 PC_ERR_ADMIN_SOLE_USER
 *      ("restoring access will not be possible … register a new account")
 *   3. `sales_email` only for a blocked admin or owner               else 422 PC_ERR_ADMIN_CHANNEL_REFUSED
 *   4. `employee`: the requester is the portal's admin or another active employee the gateway knows,
 *      not blocked, not in reset, not the blocked user               else 422 PC_ERR_ADMIN_REQUESTER_REFUSED
 *   5. no other request for the user is open                          else 409 PC_ERR_ADMIN_REQUEST_OPEN
 * A blocked admin or owner needs verify-identity before approve (409 PC_ERR_ADMIN_IDENTITY_REQUIRED).
 *
 * Transitions are read-modify-write on one record; two support people acting on the same request at
 * the same moment on two replicas can both pass the state check. Lifting twice is harmless (liftUser
 * is idempotent), and the audit trail shows both.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock';
import { PortcullisError } from '../lib/errors';
import type { Store, StoredRecord } from '../store/port';
import type { BlockView } from './block-view';
import { Directory, findPerson, type Person } from './directory';
import type { Lockout } from './lockout';
import { userId } from './subjects';

export type RequestState = 'open' | 'identity_verified' | 'approved' | 'rejected';
export const REQUEST_STATES: readonly RequestState[] = ['open', 'identity_verified', 'approved', 'rejected'];
export type Channel = 'employee' | 'sales_email';
export const CHANNELS: readonly Channel[] = ['employee', 'sales_email'];

export interface RequestStep {
  readonly atMs: number;
  readonly state: RequestState;
  readonly actor: string;
  readonly note?: string;
}

export interface UnblockRequest extends StoredRecord {
  readonly id: string;
  readonly portal: string;
  /** As the request named them (login or email), and the login it resolved to. */
  readonly blockedUser: string;
  readonly blockedLogin: string;
  readonly blockedUid: string;
  readonly role: 'employee' | 'admin' | 'owner';
  readonly name: string;
  readonly email: string;
  readonly requestedBy: string;
  readonly channel: Channel;
  readonly identityRequired: boolean;
  readonly state: RequestState;
  /** Whether the name and email given match the directory's (null: the directory does not say). */
  readonly directoryMatch: { readonly name: boolean | null; readonly email: boolean | null };
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly history: readonly RequestStep[];
  readonly identity?: { readonly by: string; readonly method: string; readonly atMs: number; readonly note?: string };
  readonly decision?: { readonly by: string; readonly atMs: number; readonly reason?: string; readonly note?: string };
}

export interface FileRequest {
  readonly portal: string;
  readonly blocked_user: string;
  readonly name: string;
  readonly email: string;
  readonly requested_by: string;
  readonly channel: Channel;
}

/** The article's advice for a sole user, quoted where the answer needs it. */
export const SOLE_USER_ADVICE =
  'Restoring access is not possible: nobody else can confirm ownership of the account, and it is likely compromised. ' +
  'We recommend registering a new account and creating a new Bitrix24.';

/** Decided requests are kept this long, then the store forgets them (the audit trail keeps the story). */
const DECIDED_KEPT_MS = 180 * 24 * 3600 * 1000;

/** A refusal by the article's rules: a value-like error with a stable code (the admin API maps it to a status). */
export class RequestRefused extends PortcullisError {
  constructor(code: 'PC_ERR_ADMIN_NOT_BLOCKED' | 'PC_ERR_ADMIN_SOLE_USER' | 'PC_ERR_ADMIN_CHANNEL_REFUSED' | 'PC_ERR_ADMIN_REQUESTER_REFUSED' | 'PC_ERR_ADMIN_REQUEST_OPEN' | 'PC_ERR_ADMIN_STATE_CONFLICT' | 'PC_ERR_ADMIN_IDENTITY_REQUIRED' | 'PC_ERR_ADMIN_NOT_FOUND', message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'RequestRefused';
  }
}

/**
 * Ids as the admin API shows them, for blocks and requests alike: URL-safe, and unique across portals
 * because the portal is part of them (a block's own id, `user:<hash>`, repeats on every portal).
 */
export function publicId(portal: string, id: string): string {
  return `${Buffer.from(portal, 'utf8').toString('base64url')}.${Buffer.from(id, 'utf8').toString('base64url')}`;
}

export function parsePublicId(text: string): { portal: string; id: string } | undefined {
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(text);
  if (!m) return undefined;
  const portal = Buffer.from(m[1]!, 'base64url').toString('utf8');
  const id = Buffer.from(m[2]!, 'base64url').toString('utf8');
  if (!portal || !id || publicId(portal, id) !== text) return undefined;
  return { portal, id };
}

export interface UnblockRequestsDeps {
  readonly store: Store;
  readonly view: BlockView;
  readonly lockout: Lockout;
  readonly directory: Directory;
  readonly secret: string;
  readonly clock: Clock;
}

const norm = (s: string): string => s.trim().toLowerCase();
const isOpen = (r: UnblockRequest): boolean => r.state === 'open' || r.state === 'identity_verified';

export class UnblockRequests {
  constructor(private readonly deps: UnblockRequestsDeps) {}

  /**
   * `filedBy` is who entered it (the admin token's name): the audit's actor. Without it, the actor is
   * the requester (`requester:<requested_by>`), whom the request names in every case.
   */
  async file(input: FileRequest, filedBy?: string): Promise<UnblockRequest> {
    const actor = filedBy !== undefined ? `support:${filedBy}` : `requester:${input.requested_by}`;
    const { portal } = input;
    const people = await this.deps.directory.roster(portal);
    const blocked = this.resolveBlocked(portal, people, input.blocked_user);
    if (!blocked || blocked.state !== 'blocked') {
      throw new RequestRefused('PC_ERR_ADMIN_NOT_BLOCKED', `${input.blocked_user} has no live block on ${portal}; nothing to unblock (see GET /v1/users/${portal}/…)`, { field: 'blocked_user' });
    }
    // "No other active employees remain": nobody can vouch, whatever the channel.
    const vouchers = people.filter((p) => p.uid !== blocked.uid && p.active && p.state === 'active');
    if (vouchers.length === 0) {
      const basis = people.some((p) => p.inDirectory) ? "the portal's directory" : 'the users the gateway has seen log in (no directory imported)';
      throw new RequestRefused('PC_ERR_ADMIN_SOLE_USER', `${blocked.login} is the only active user of ${portal} (by ${basis}). ${SOLE_USER_ADVICE}`, { advice: SOLE_USER_ADVICE });
    }
    const privileged = blocked.admin || blocked.owner;
    if (input.channel === 'sales_email' && !privileged) {
      throw new RequestRefused('PC_ERR_ADMIN_CHANNEL_REFUSED', `sales_email is the channel for a blocked administrator or owner, who cannot reach support; ${blocked.login} is an employee: their administrator or an active colleague files the request (channel employee)`, { field: 'channel' });
    }
    if (input.channel === 'employee') this.checkRequester(portal, people, blocked, input.requested_by);
    const open = (await this.deps.store.list<UnblockRequest>('unblock_requests', portal)).find((r) => r.blockedUid === blocked.uid && isOpen(r));
    if (open) {
      throw new RequestRefused('PC_ERR_ADMIN_REQUEST_OPEN', `request ${publicId(portal, open.id)} for ${blocked.login} is already ${open.state}; act on it instead`, { request: publicId(portal, open.id) });
    }
    const now = this.deps.clock.now();
    const same = (given: string, known: string | undefined): boolean | null => (known === undefined ? null : norm(given) === norm(known));
    const record: UnblockRequest = {
      id: `ur-${randomBytes(9).toString('base64url')}`,
      portal,
      blockedUser: input.blocked_user,
      blockedLogin: blocked.login,
      blockedUid: blocked.uid,
      role: blocked.owner ? 'owner' : blocked.admin ? 'admin' : 'employee',
      name: input.name,
      email: input.email,
      requestedBy: input.requested_by,
      channel: input.channel,
      identityRequired: privileged,
      state: 'open',
      directoryMatch: { name: same(input.name, blocked.name), email: same(input.email, blocked.email) },
      createdAtMs: now,
      updatedAtMs: now,
      history: [{ atMs: now, state: 'open', actor }],
      expiresAtMs: null,
    };
    await this.deps.store.put('unblock_requests', portal, record);
    this.audit(record, 'unblock_request_filed', actor, { channel: record.channel, role: record.role, requested_by: record.requestedBy, identity_required: record.identityRequired });
    return record;
  }

  /** The blocked user by login or email; a block on a login nobody imported still counts. */
  private resolveBlocked(portal: string, people: readonly Person[], given: string): Person | undefined {
    const found = findPerson(people, given);
    if (found) return found;
    const uid = userId(this.deps.secret, portal, given);
    const block = this.deps.view.find(portal, 'user', uid);
    if (!block) return undefined;
    return { uid, login: block.login ?? given, admin: false, owner: false, active: true, inDirectory: false, state: 'blocked', block };
  }

  private checkRequester(portal: string, people: readonly Person[], blocked: Person, requestedBy: string): void {
    const refuse = (why: string): never => {
      throw new RequestRefused('PC_ERR_ADMIN_REQUESTER_REFUSED', `requested_by ${JSON.stringify(requestedBy)} ${why}`, { field: 'requested_by' });
    };
    const requester = findPerson(people, requestedBy);
    if (!requester) {
      refuse(`is not a known user of ${portal}: the request must come from the portal's administrator or another active employee (import the portal's directory: PUT /v1/portals/${portal}/directory)`);
    }
    const r = requester!;
    if (r.uid === blocked.uid) {
      refuse(blocked.admin || blocked.owner
        ? 'is the blocked user: a blocked administrator asks an active colleague, or writes through the sales_email channel'
        : 'is the blocked user: employees cannot restore access on their own; their administrator or an active colleague files the request');
    }
    if (!r.active) refuse(`is not an active employee of ${portal} (the directory marks them inactive)`);
    if (r.state === 'blocked') refuse(`is blocked on ${portal} too: a blocked user cannot vouch for anyone`);
    if (r.state === 'reset_required') refuse(`must set a new password before vouching for anyone (their own block was lifted and the reset is pending)`);
  }

  async get(portal: string, id: string): Promise<UnblockRequest | undefined> {
    return this.deps.store.get<UnblockRequest>('unblock_requests', portal, id);
  }

  async list(portal: string | '*'): Promise<UnblockRequest[]> {
    return this.deps.store.list<UnblockRequest>('unblock_requests', portal);
  }

  async verifyIdentity(portal: string, id: string, by: { by: string; method: string; note?: string }): Promise<UnblockRequest> {
    const r = await this.load(portal, id);
    if (r.state !== 'open') throw conflict(r, 'verify-identity', 'open');
    const now = this.deps.clock.now();
    const next: UnblockRequest = {
      ...r,
      state: 'identity_verified',
      updatedAtMs: now,
      identity: { by: by.by, method: by.method, atMs: now, ...(by.note !== undefined ? { note: by.note } : {}) },
      history: [...r.history, { atMs: now, state: 'identity_verified', actor: `support:${by.by}`, note: `identity verified by ${by.method}` }],
    };
    await this.deps.store.put('unblock_requests', portal, next);
    this.audit(next, 'unblock_request_identity_verified', `support:${by.by}`, { method: by.method });
    return next;
  }

  /** Lifts the user block and the portal's REST block, and leaves the user in reset_required (Lockout.liftUser). */
  async approve(portal: string, id: string, by: { by: string; note?: string }): Promise<{ request: UnblockRequest; lifted: string[] }> {
    const r = await this.load(portal, id);
    if (r.state === 'open' && r.identityRequired) {
      throw new RequestRefused('PC_ERR_ADMIN_IDENTITY_REQUIRED', `${r.blockedLogin} is the portal's ${r.role}: verify their identity first (POST /v1/unblock-requests/${publicId(portal, r.id)}/verify-identity)`, { state: r.state });
    }
    if (!isOpen(r)) throw conflict(r, 'approve', r.identityRequired ? 'identity_verified' : 'open or identity_verified');
    const actor = `support:${by.by}`;
    const { lifted } = this.deps.lockout.liftUser(portal, r.blockedUid, actor);
    const now = this.deps.clock.now();
    const next: UnblockRequest = {
      ...r,
      state: 'approved',
      updatedAtMs: now,
      expiresAtMs: now + DECIDED_KEPT_MS,
      decision: { by: by.by, atMs: now, ...(by.note !== undefined ? { note: by.note } : {}) },
      history: [...r.history, { atMs: now, state: 'approved', actor, ...(by.note !== undefined ? { note: by.note } : {}) }],
    };
    await this.deps.store.put('unblock_requests', portal, next);
    const liftedKinds = lifted.map((b) => b.kind);
    this.audit(next, 'unblock_request_approved', actor, { lifted: liftedKinds, reset_required: true });
    return { request: next, lifted: liftedKinds };
  }

  async reject(portal: string, id: string, by: { by: string; reason: string }): Promise<UnblockRequest> {
    const r = await this.load(portal, id);
    if (!isOpen(r)) throw conflict(r, 'reject', 'open or identity_verified');
    const now = this.deps.clock.now();
    const actor = `support:${by.by}`;
    const next: UnblockRequest = {
      ...r,
      state: 'rejected',
      updatedAtMs: now,
      expiresAtMs: now + DECIDED_KEPT_MS,
      decision: { by: by.by, atMs: now, reason: by.reason },
      history: [...r.history, { atMs: now, state: 'rejected', actor, note: by.reason }],
    };
    await this.deps.store.put('unblock_requests', portal, next);
    this.audit(next, 'unblock_request_rejected', actor, { reason: by.reason });
    return next;
  }

  private async load(portal: string, id: string): Promise<UnblockRequest> {
    const r = await this.get(portal, id);
    if (!r) throw new RequestRefused('PC_ERR_ADMIN_NOT_FOUND', `no unblock request ${publicId(portal, id)}`);
    return r;
  }

  private audit(r: UnblockRequest, type: string, actor: string, details: Record<string, unknown>): void {
    this.deps.lockout.audit({ atMs: this.deps.clock.now(), portal: r.portal, type, actor, user: r.blockedLogin, details: { request: publicId(r.portal, r.id), state: r.state, ...details } });
  }
}

function conflict(r: UnblockRequest, action: string, needs: string): RequestRefused {
  return new RequestRefused('PC_ERR_ADMIN_STATE_CONFLICT', `cannot ${action} request ${publicId(r.portal, r.id)}: it is ${r.state}; ${action} needs ${needs}`, { state: r.state });
}
