/**
 * The evidence of an attack on a user is the user's counters (failures, distinct passwords, addresses,
 * devices). The lifecycle clears it when support lifts a block and when a password change succeeds
 * (lifecycle.ts), so that the counts of the attack that caused a block can neither re-block the owner
 * nor decoy the first login with the new password.
 *
 * Counters cannot be deleted one by one (a user's buckets are spread over devices and addresses), so
 * clearing is a new epoch: the user's `users` record notes when the evidence was cleared, and every
 * counter keyed by the user is keyed by `<user>~<epoch>` from then on. The old buckets age out of their
 * windows unread. The epoch is a durable record (journaled, shared by every replica through the store).
 * Its limit: a login success being learned at the very moment of a lift writes the user record it read
 * before (observe-stage's learn), and may put the old epoch back; the lift's own audit event says when
 * it happened, and the next lift or password change starts a new one.
 */
import type { Store } from '../store/port';
import { knownOrBlank, type UserRecord } from '../pipeline/sense/user-record';

/** The user part of a counter's bucket key, after the last clearing of the evidence. */
export function evidenceKey(userSubject: string, evidenceSinceMs: number | undefined): string {
  return evidenceSinceMs === undefined ? userSubject : `${userSubject}~${evidenceSinceMs.toString(36)}`;
}

/**
 * Starts a new evidence epoch for the user (and notes a password change when there was one). The rest
 * of what the gateway learned about the user is kept as it was.
 */
export async function clearEvidence(
  store: Store,
  who: { readonly portal: string; readonly uid: string; readonly login?: string },
  nowMs: number,
  options: { readonly passwordChanged?: boolean } = {},
): Promise<void> {
  const prior = await store.get<UserRecord>('users', who.portal, who.uid);
  const record: UserRecord = {
    ...knownOrBlank(prior, { id: who.uid, portal: who.portal, login: who.login ?? '' }),
    // Strictly increasing: two clearings in one millisecond (a lift, then at once a change) are two epochs.
    evidenceSinceMs: Math.max(nowMs, (prior?.evidenceSinceMs ?? 0) + 1),
    ...(options.passwordChanged ? { passwordChangedAtMs: nowMs } : {}),
    updatedAtMs: nowMs,
  };
  await store.put('users', who.portal, record);
}
