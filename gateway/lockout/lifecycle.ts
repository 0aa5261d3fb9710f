/**
 * The lockout lifecycle of one user, written once (docs/lockout.md draws the same table). Pure: a
 * state and an event in, the next state and what must happen out. The lockout code (lockout.ts, the
 * act stage) asks this function before it changes a user's records, and does what it says.
 *
 *   state           stored as                    a password login gets
 *   active          no record                    the portal (counters keep the evidence: "attacked"
 *                                                is an active user whose counters climb, not a record)
 *   blocked         a `user` block               the decoy ("Incorrect password"); the portal's REST
 *                                                may be blocked with it
 *   reset_required  a `reset_required` record    the decoy for every password, the old one included;
 *                                                recovery and change pass through
 *
 * Who may cause what (anything not in the table leaves the state as it is, and does nothing):
 *
 *   from            event              by                 to              effects
 *   active          verdict_block      a policy verdict   blocked         -
 *   active          operator_block     an operator        blocked         -
 *   active          require_reset      a verdict/operator reset_required  -
 *   active          password_changed   the portal         active          clear_evidence
 *   blocked         verdict_block      a policy verdict   blocked         - (already blocked)
 *   blocked         support_lift       support            reset_required  clear_evidence
 *   blocked         block_expired      expiry             active          -
 *   reset_required  password_changed   the portal         active          clear_evidence
 *   reset_required  reset_cleared      an operator        active          -
 *   reset_required  operator_block     an operator        blocked         -
 *   reset_required  verdict_block      (nobody)           reset_required  refused: the owner is restoring
 *
 * Why a verdict cannot block a user in reset_required: every password login there already gets the
 * decoy, so an attacker gains nothing, while the owner, who (as the seed article says) tries the old
 * password and fails, would be locked out of the restore path for ever. And why a lift and a password
 * change clear the evidence: the counters of the attack that caused a block would otherwise decoy or
 * re-block the owner's first login with the new password.
 */

export type UserLifecycleState = 'active' | 'blocked' | 'reset_required';

export type LifecycleEvent =
  /** A policy verdict's block_user (attempt or outcome phase). */
  | 'verdict_block'
  /** An operator's manual user block (admin API). */
  | 'operator_block'
  /** A verdict's or operator's require_reset. */
  | 'require_reset'
  /** Support lifts the block (an approved unblock request, or the admin API's lift). */
  | 'support_lift'
  /** A timed user block reached its end. */
  | 'block_expired'
  /** The portal answered a password change (by login or by phone) with success. */
  | 'password_changed'
  /** An operator ended the reset (the password was changed outside the gateway). */
  | 'reset_cleared';

/** Who may cause each event: the docs table and the audit's `actor` agree with it. */
export const CAUSED_BY: Readonly<Record<LifecycleEvent, string>> = {
  verdict_block: 'a policy verdict',
  operator_block: 'an operator',
  require_reset: 'a policy verdict or an operator',
  support_lift: 'support',
  block_expired: 'expiry',
  password_changed: "the portal's answer",
  reset_cleared: 'an operator',
};

/** What the lockout code must do besides recording the new state. */
export type LifecycleEffect = 'clear_evidence';

export interface LifecycleStep {
  readonly next: UserLifecycleState;
  readonly effects: readonly LifecycleEffect[];
  /** The event does not apply in this state (nothing changes); why, for the audit and the docs. */
  readonly refused?: string;
}

const NONE: readonly LifecycleEffect[] = [];
const CLEAR: readonly LifecycleEffect[] = ['clear_evidence'];

const TABLE: Readonly<Record<UserLifecycleState, Partial<Record<LifecycleEvent, LifecycleStep>>>> = {
  active: {
    verdict_block: { next: 'blocked', effects: NONE },
    operator_block: { next: 'blocked', effects: NONE },
    require_reset: { next: 'reset_required', effects: NONE },
    password_changed: { next: 'active', effects: CLEAR },
  },
  blocked: {
    // Already blocked: nothing new for the user (its REST block may still follow the verdict).
    verdict_block: { next: 'blocked', effects: NONE },
    support_lift: { next: 'reset_required', effects: CLEAR },
    block_expired: { next: 'active', effects: NONE },
  },
  reset_required: {
    password_changed: { next: 'active', effects: CLEAR },
    reset_cleared: { next: 'active', effects: NONE },
    operator_block: { next: 'blocked', effects: NONE },
    verdict_block: { next: 'reset_required', effects: NONE, refused: 'the user is restoring access (reset_required): no attempt re-blocks them' },
  },
};

/** The one transition function of the lifecycle. */
export function transition(state: UserLifecycleState, event: LifecycleEvent): LifecycleStep {
  return TABLE[state][event] ?? { next: state, effects: NONE, refused: `${event} does not apply to a user who is ${state}` };
}

/** The user's state as the live records say (a user block wins over a pending reset). */
export function lifecycleStateOf(records: { readonly userBlock: boolean; readonly reset: boolean }): UserLifecycleState {
  return records.userBlock ? 'blocked' : records.reset ? 'reset_required' : 'active';
}
