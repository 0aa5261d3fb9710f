/**
 * The lockout lifecycle's operations (DESIGN §1): block, lift, reset. Each writes the store, applies
 * itself to this replica's view at once, and leaves an audit event naming who or what did it. Blocks
 * are enforced from the view (enforce stage); this is the only code that changes them.
 *
 *   blockUser        user block, and (the seed's rule) the portal's REST block with it
 *   lift             support lifts a user block: the user block and the portal's REST block end
 *                    together, and the user must change the password (reset_required)
 *   passwordChanged  the gateway saw a password change succeed: a user in reset_required is active again
 *
 * Which of these a user's state admits, and what else they must do (clear the evidence), is the
 * lifecycle's one transition function (lifecycle.ts); this class carries its answers out.
 */
import type { Clock } from '../lib/clock';
import type { AuditEvent, Store } from '../store/port';
import { blockId, OFFENCE_MEMORY_MS, type BlockKind, type BlockRecord } from './blocks';
import type { BlockView } from './block-view';
import { clearEvidence } from './evidence';
import { lifecycleStateOf, transition, type LifecycleEvent, type LifecycleStep, type UserLifecycleState } from './lifecycle';

/** What a block is asked with: the record's own fields, a duration instead of times. */
export type BlockRequest = Pick<BlockRecord, 'portal' | 'kind' | 'subject' | 'login' | 'actor' | 'reason' | 'oldPasswordHash' | 'rate' | 'holdsPortalRest'> &
  Partial<Pick<BlockRecord, 'rules' | 'score'>> & {
    /** Absent: until lifted. */
    readonly durationMs?: number;
  };

export interface LockoutDeps {
  readonly store: Store;
  readonly view: BlockView;
  readonly clock: Clock;
  /** A store write failed after the view took the change: the block holds here, and is logged. */
  readonly onStoreError: (err: unknown, what: string) => void;
  /**
   * Every audit event, once written (or once its write failed): the notifications' seam. Only the
   * replica that makes a change audits it, so three replicas notify once.
   */
  readonly onAudit?: (event: AuditEvent) => void;
}

const AUDIT_TYPE: Record<BlockKind, string> = {
  user: 'user_blocked',
  portal_rest: 'rest_blocked',
  ip: 'ip_blocked',
  ip_prefix: 'ip_blocked',
  webhook: 'webhook_blocked',
  app: 'app_blocked',
  method: 'method_blocked',
  reset_required: 'reset_required',
  limit: 'limit_hit',
};

export class Lockout {
  constructor(private readonly deps: LockoutDeps) {}

  /** Earlier offences of a subject (ended blocks are remembered for escalation). */
  priorOffences(portal: string, kind: BlockKind, subject: string): number {
    return this.deps.view.record(portal, kind, subject)?.offences ?? 0;
  }

  /**
   * Blocks a subject. The view has it before this returns (the next request is refused). `durable`
   * settles once the store has it (the act stage waits for it before answering, so that a block the
   * client has seen survives a crash); a store failure is reported, never lost silently.
   */
  block(req: BlockRequest): { record: BlockRecord; durable: Promise<void> } {
    const now = this.deps.clock.now();
    const prior = this.deps.view.record(req.portal, req.kind, req.subject);
    const endsAtMs = req.durationMs !== undefined ? now + req.durationMs : null;
    const record: BlockRecord = {
      id: blockId(req.kind, req.subject),
      portal: req.portal,
      kind: req.kind,
      subject: req.subject,
      ...(req.login !== undefined ? { login: req.login } : prior?.login !== undefined ? { login: prior.login } : {}),
      actor: req.actor,
      reason: req.reason,
      rules: req.rules ?? [],
      score: req.score ?? 0,
      createdAtMs: now,
      endsAtMs,
      expiresAtMs: endsAtMs === null ? null : endsAtMs + OFFENCE_MEMORY_MS,
      offences: (prior?.offences ?? 0) + 1,
      ...(req.oldPasswordHash !== undefined ? { oldPasswordHash: req.oldPasswordHash } : {}),
      ...(req.rate !== undefined ? { rate: req.rate } : {}),
      ...(req.holdsPortalRest === false ? { holdsPortalRest: false as const } : {}),
    };
    this.deps.view.apply(record);
    const durable = this.write(record, AUDIT_TYPE[req.kind], { kind: req.kind, reason: req.reason, rules: record.rules, score: record.score, ends: endsAtMs === null ? 'until lifted' : new Date(endsAtMs).toISOString(), offences: record.offences });
    return { record, durable };
  }

  /** The user's lifecycle state, from the live records of this replica's view. */
  userState(portal: string, userId: string): UserLifecycleState {
    return lifecycleStateOf({ userBlock: this.deps.view.find(portal, 'user', userId) !== undefined, reset: this.deps.view.find(portal, 'reset_required', userId) !== undefined });
  }

  /** What `event` would do to the user now (the act stage asks before a verdict blocks a user). */
  step(portal: string, userId: string, event: LifecycleEvent): LifecycleStep {
    return transition(this.userState(portal, userId), event);
  }

  /**
   * Support lifts a user's block (after verifying the request): the user block and the portal's REST
   * block end together, the evidence of the attack is cleared (lifecycle: support_lift), and the user
   * is left in reset_required until a password change succeeds. `evidence` settles once the store has
   * the new evidence epoch.
   */
  liftUser(portal: string, userId: string, actor: string): { lifted: BlockRecord[]; reset: BlockRecord; evidence: Promise<void> } {
    const step = this.step(portal, userId, 'support_lift');
    const lifted: BlockRecord[] = [];
    const user = this.deps.view.record(portal, 'user', userId);
    if (user) {
      this.remove(user, actor);
      lifted.push(user);
    }
    // The portal's REST comes back with the last blocked user of the portal, not before: another
    // account still blocked for takeover keeps the integrations down.
    const rest = this.deps.view.record(portal, 'portal_rest', '');
    // A user blocked while the REST block was withheld (an invented login) does not hold it.
    const othersBlocked = this.deps.view.list().some((b) => b.portal === portal && b.kind === 'user' && b.subject !== userId && b.holdsPortalRest !== false);
    if (rest && !othersBlocked) {
      this.remove(rest, actor);
      lifted.push(rest);
    }
    const { record: reset } = this.block({
      portal,
      kind: 'reset_required',
      subject: userId,
      ...(user?.login !== undefined ? { login: user.login } : {}),
      actor,
      reason: 'block lifted: the user must set a new password',
      ...(user?.oldPasswordHash !== undefined ? { oldPasswordHash: user.oldPasswordHash } : {}),
    });
    // A lift of a user who is not blocked (a second approval, a stale request) still ends in
    // reset_required, as before; the evidence is cleared only on the lifecycle's own transition.
    const evidence = step.effects.includes('clear_evidence') ? this.clearEvidence(portal, userId, user?.login) : Promise.resolve();
    return { lifted, reset, evidence };
  }

  /** Ends one block (an operator's DELETE, or a scoped block). A user block goes through liftUser. */
  lift(record: BlockRecord, actor: string): void {
    this.remove(record, actor);
  }

  /**
   * The gateway saw the user's password change succeed (by login, or by phone): reset_required ends,
   * and the evidence is cleared (a success right after a change through recovery is never suspicious).
   * Settles once the store has both.
   */
  passwordChanged(portal: string, userId: string, login: string | undefined, details: Record<string, unknown>): Promise<void> {
    const step = this.step(portal, userId, 'password_changed');
    const r = this.deps.view.record(portal, 'reset_required', userId);
    const writes: Promise<void>[] = [];
    if (r && step.next === 'active') {
      this.deps.view.remove(portal, r.id);
      writes.push(this.deps.store.delete('blocks', portal, r.id).catch((err: unknown) => this.deps.onStoreError(err, 'reset done')));
      this.audit({ atMs: this.deps.clock.now(), portal, type: 'reset_done', actor: 'gateway', ...(r.login ? { user: r.login } : {}), details });
    }
    if (step.effects.includes('clear_evidence')) writes.push(this.clearEvidence(portal, userId, login ?? r?.login, { passwordChanged: true }));
    return Promise.all(writes).then(() => undefined);
  }

  private clearEvidence(portal: string, uid: string, login: string | undefined, options: { passwordChanged?: boolean } = {}): Promise<void> {
    return clearEvidence(this.deps.store, { portal, uid, ...(login !== undefined ? { login } : {}) }, this.deps.clock.now(), options).catch((err: unknown) => this.deps.onStoreError(err, 'clear evidence'));
  }

  private remove(b: BlockRecord, actor: string): void {
    this.deps.view.remove(b.portal, b.id);
    this.deps.store.delete('blocks', b.portal, b.id).catch((err: unknown) => this.deps.onStoreError(err, 'lift'));
    this.audit({ atMs: this.deps.clock.now(), portal: b.portal, type: 'block_lifted', actor, ...(b.login ? { user: b.login } : {}), details: { kind: b.kind, subject: b.kind === 'user' ? undefined : b.subject } });
  }

  private write(record: BlockRecord, type: string, details: Record<string, unknown>): Promise<void> {
    const durable = this.deps.store.put('blocks', record.portal, record).catch((err: unknown) => this.deps.onStoreError(err, type));
    this.audit({ atMs: record.createdAtMs, portal: record.portal, type, actor: record.actor, ...(record.login ? { user: record.login } : {}), details });
    return durable;
  }

  audit(event: AuditEvent): void {
    this.deps.store
      .appendAudit(event)
      .catch((err: unknown) => this.deps.onStoreError(err, 'audit'))
      .finally(() => {
        try {
          this.deps.onAudit?.(event);
        } catch (err) {
          this.deps.onStoreError(err, 'notification');
        }
      });
  }
}
