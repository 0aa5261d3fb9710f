/**
 * A portal's posture: the seed article's prevention advice ("strong and unique passwords … enabling
 * two-step authentication is the primary method") turned into a report of what the gateway saw.
 *
 * "Observed" is the honest word: the gateway sees a second factor only when a user's login goes through
 * the one-time-code step, and a weak or common password only when it is typed at a login. A user the
 * gateway never saw log in is counted apart (`not_observed`), not as a user without a second factor.
 * Passwords never appear: only the booleans the sense stage kept.
 */
import type { AuditEvent } from '../store/port';
import type { Person } from './directory';

/** Audit types that are blocks (the trail's words, as Lockout writes them). */
export const BLOCK_EVENT_TYPES: readonly string[] = ['user_blocked', 'rest_blocked', 'ip_blocked', 'webhook_blocked', 'app_blocked', 'method_blocked'];
export const POSTURE_WINDOW_MS = 30 * 24 * 3600 * 1000;

export interface PostureGroup {
  readonly count: number;
  readonly users: readonly string[];
}

export interface Posture {
  readonly portal: string;
  readonly users: number;
  /** Users the gateway saw log in successfully; the observations below are about them. */
  readonly observed: number;
  readonly not_observed: PostureGroup;
  readonly no_second_factor: PostureGroup;
  readonly admins_without_second_factor: PostureGroup;
  readonly weak_or_common_password_seen: PostureGroup;
  readonly currently: { readonly blocked: PostureGroup; readonly reset_required: PostureGroup };
  readonly blocks_last_30_days: {
    readonly total: number;
    readonly by_type: Readonly<Record<string, number>>;
    readonly users: readonly string[];
    readonly by_actor: Readonly<Record<string, number>>;
  };
  readonly advice: readonly string[];
}

const group = (people: readonly Person[]): PostureGroup => ({ count: people.length, users: people.map((p) => p.login) });

export function computePosture(portal: string, people: readonly Person[], events: readonly AuditEvent[], nowMs: number): Posture {
  const seen = people.filter((p) => p.learned?.known === true);
  const noSecond = seen.filter((p) => !p.learned!.secondFactorSeen);
  const weak = seen.filter((p) => p.learned!.weakPasswordSeen);
  const adminsNoSecond = noSecond.filter((p) => p.admin || p.owner);
  const since = nowMs - POSTURE_WINDOW_MS;
  const blocks = events.filter((e) => e.atMs >= since && BLOCK_EVENT_TYPES.includes(e.type));
  const byType: Record<string, number> = {};
  const byActor: Record<string, number> = {};
  const users = new Set<string>();
  for (const e of blocks) {
    byType[e.type] = (byType[e.type] ?? 0) + 1;
    // rule:<id> and operator:<name> are what ops read; the actor kind alone would hide which rule fires.
    byActor[e.actor] = (byActor[e.actor] ?? 0) + 1;
    if (e.user) users.add(e.user);
  }
  const advice: string[] = [];
  if (noSecond.length > 0) advice.push(`${noSecond.length} user(s) never passed a second factor at the gateway: enable two-step authentication, the primary way to prevent account takeover.`);
  if (adminsNoSecond.length > 0) advice.push(`${adminsNoSecond.length} administrator(s) or owner(s) without a second factor: their block takes the whole portal's REST down and needs identity verification to lift.`);
  if (weak.length > 0) advice.push(`${weak.length} user(s) logged in with a weak or common password: ask them to set a strong, unique password (not used on other services).`);
  if (people.filter((p) => p.active).length <= 1) advice.push('Only one active user: if that account is lost, nobody can vouch for it and access cannot be restored. Add a second administrator.');
  return {
    portal,
    users: people.length,
    observed: seen.length,
    not_observed: group(people.filter((p) => p.learned?.known !== true)),
    no_second_factor: group(noSecond),
    admins_without_second_factor: group(adminsNoSecond),
    weak_or_common_password_seen: group(weak),
    currently: { blocked: group(people.filter((p) => p.state === 'blocked')), reset_required: group(people.filter((p) => p.state === 'reset_required')) },
    blocks_last_30_days: { total: blocks.length, by_type: byType, users: [...users].sort(), by_actor: byActor },
    advice,
  };
}
