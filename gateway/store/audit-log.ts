/**
 * The audit trail held in memory, per portal, oldest first and capped: appends are O(1) in the usual
 * case (events arrive in time order), queries walk backwards from the newest.
 */
import type { AuditEvent, AuditQuery } from './port';

export function matchesAudit(event: AuditEvent, query: AuditQuery): boolean {
  if (query.portal !== undefined && event.portal !== query.portal) return false;
  if (query.type !== undefined && event.type !== query.type) return false;
  if (query.user !== undefined && event.user !== query.user) return false;
  if (query.beforeMs !== undefined && event.atMs >= query.beforeMs) return false;
  return true;
}

/** Newest first, ties in a stable order, at most `limit`. */
export function newestFirst(events: AuditEvent[], limit: number): AuditEvent[] {
  return events.sort((a, b) => b.atMs - a.atMs).slice(0, Math.max(0, limit));
}

export class AuditLog {
  private readonly byPortal = new Map<string, AuditEvent[]>();

  constructor(private readonly maxPerPortal: number) {}

  append(event: AuditEvent): void {
    let events = this.byPortal.get(event.portal);
    if (!events) this.byPortal.set(event.portal, (events = []));
    // Keep time order even when a late event arrives (a replica's clock, a replayed outage queue).
    let at = events.length;
    while (at > 0 && events[at - 1]!.atMs > event.atMs) at--;
    events.splice(at, 0, event);
    // Trim in steps of 1/16 so that a full log does not shift the array on every append.
    if (events.length > this.maxPerPortal) events.splice(0, events.length - this.maxPerPortal + Math.floor(this.maxPerPortal / 16));
  }

  query(query: AuditQuery): AuditEvent[] {
    const portals = query.portal !== undefined ? [query.portal] : [...this.byPortal.keys()];
    const found: AuditEvent[] = [];
    for (const portal of portals) {
      const events = this.byPortal.get(portal) ?? [];
      let taken = 0;
      for (let i = events.length - 1; i >= 0 && taken < query.limit; i--) {
        if (matchesAudit(events[i]!, query)) {
          found.push(events[i]!);
          taken++;
        }
      }
    }
    return newestFirst(found, query.limit);
  }

  *entries(): Generator<AuditEvent> {
    for (const events of this.byPortal.values()) yield* events;
  }

  clear(): void {
    this.byPortal.clear();
  }
}
