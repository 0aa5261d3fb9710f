/**
 * Which portal user an OAuth application's access token acts as. Unlike a webhook (its user id is in
 * its URL), a token does not say: only the portal knows. So the gateway learns it from the portal's
 * own answer to `user.current` called with that token (apps commonly call it first), in process,
 * bounded, and per access token (a refreshed token is a new one, learned again at its next
 * user.current). What it has not learned, it cannot refuse with the user: a blocked user's app that
 * never calls user.current through this replica is stopped only by the portal-wide REST block
 * (docs/lockout.md says so).
 */
import { boundedTable, usageOf, type TableUsage } from '../lib/bounded-table';

/** user.current's answer is small; a larger one is not read. */
export const USER_CURRENT_ANSWER_BYTES = 64 * 1024;
/** An access token lives an hour (wire notes); a learned mapping a little longer. */
const LEARNED_FOR_MS = 2 * 3600 * 1000;

export class AppUsers {
  private readonly table = boundedTable<{ readonly portalUserId: string; readonly untilMs: number }>({ maxEntries: 50_000, maxBytes: 16 * 1024 * 1024, valueBytes: 64 });

  /** `app` is the request's app subject (lockout/subjects.ts: a keyed hash, never the token). */
  learn(portal: string, app: string, portalUserId: string, nowMs: number): void {
    this.table.set(`${portal}\0${app}`, { portalUserId, untilMs: nowMs + LEARNED_FOR_MS });
  }

  /** The portal user id the app's token acts as, if learned and fresh. */
  userOf(portal: string, app: string, nowMs: number): string | undefined {
    const hit = this.table.get(`${portal}\0${app}`);
    return hit && hit.untilMs > nowMs ? hit.portalUserId : undefined;
  }

  usage(): TableUsage {
    return usageOf(this.table);
  }
}

/** `result.ID` of a user.current answer (JSON), as the decimal string the portal's ids are. */
export function userCurrentId(body: Buffer | undefined): string | undefined {
  if (!body || body.length === 0 || body.length > USER_CURRENT_ANSWER_BYTES) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { result?: { ID?: unknown } };
    const id = parsed.result?.ID;
    const text = typeof id === 'number' ? String(id) : typeof id === 'string' ? id : '';
    return /^[1-9][0-9]{0,15}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
