/**
 * The seam between the audit trail and notifications. Every lockout change is an audit event (Lockout
 * writes them through `store.appendAudit`), so observing that one method sees every block, lift,
 * request state and reset, from the pipeline and the admin API alike, with no change to Lockout.
 *
 * It wraps `appendAudit` of the store object in place, because the composition root hands that same
 * object to Lockout before the admin side is built. The observer runs after the event was accepted
 * and its failures never reach the writer. Only the replica that made a change appends its audit
 * event, so three replicas notify once, not three times.
 *
 * (A cleaner seam, for when app.ts can change: an `onAudit` callback in LockoutDeps, or a store
 * decorator applied where the store is created.)
 */
import type { AuditEvent, Store } from '../../store/port';

export function tapAudit(store: Store, observer: (event: AuditEvent) => void, onError: (err: unknown) => void): void {
  const append = store.appendAudit.bind(store);
  (store as { appendAudit: Store['appendAudit'] }).appendAudit = async (event: AuditEvent): Promise<void> => {
    try {
      await append(event);
    } finally {
      // Admins hear of a block even when the store could not keep its audit event (Lockout reports that).
      try {
        observer(event);
      } catch (err) {
        onError(err);
      }
    }
  };
}
