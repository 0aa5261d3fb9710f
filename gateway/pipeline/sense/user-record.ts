/**
 * What the gateway remembers about one user of one portal, as a store record, and its conversion to
 * the sensors' `UserHistory`. The id is a keyed hash of the portal and the login (DESIGN §5: keys
 * never carry the login in clear); the login itself is kept in the value, because ops need it (the
 * admin API lists users by login).
 */
import type { StoredRecord } from '../../store/port';
import type { SuccessMemory, UserHistory } from '../../signals/history';
export { userId } from '../../lockout/subjects';
import type { LastSuccess } from '../../signals/geo/geo-signals';

/** Known devices and fingerprints kept per user: the most recent ones. */
export const MAX_DEVICES_PER_USER = 20;
export const MAX_COUNTRIES_PER_USER = 20;

export interface UserRecord extends StoredRecord {
  readonly id: string;
  readonly portal: string;
  readonly login: string;
  readonly known: boolean;
  readonly admin: boolean;
  readonly owner: boolean;
  readonly secondFactorSeen: boolean;
  readonly weakPasswordSeen: boolean;
  /** Most recent last. */
  readonly knownDeviceIds: readonly string[];
  readonly knownFingerprints: readonly string[];
  readonly countries: readonly string[];
  readonly lastSuccess?: LastSuccess;
  /**
   * When the evidence against this user was last cleared (support lifted a block, or a password change
   * succeeded): the user's counters are keyed by it, so counts from before start again at 0
   * (lockout/evidence.ts). Absent: never cleared.
   */
  readonly evidenceSinceMs?: number;
  /** When a password change for this user last succeeded at the gateway (user.password_changed_recently). */
  readonly passwordChangedAtMs?: number;
  readonly updatedAtMs: number;
}

export function historyOf(record: UserRecord | undefined): UserHistory | undefined {
  if (!record) return undefined;
  return {
    known: record.known,
    admin: record.admin,
    owner: record.owner,
    secondFactorSeen: record.secondFactorSeen,
    weakPasswordSeen: record.weakPasswordSeen,
    knownDeviceIds: new Set(record.knownDeviceIds),
    knownFingerprints: new Set(record.knownFingerprints),
    countries: new Set(record.countries),
    ...(record.lastSuccess ? { lastSuccess: record.lastSuccess } : {}),
    ...(record.passwordChangedAtMs !== undefined ? { passwordChangedAtMs: record.passwordChangedAtMs } : {}),
  };
}

/**
 * What is known of a user, or a blank record for one seen for the first time. Everything a prior record
 * holds is kept, fields other writers added included (the directory import's `active`), so that no
 * writer erases another's knowledge.
 */
export function knownOrBlank(prior: UserRecord | undefined, who: { id: string; portal: string; login: string }): UserRecord {
  return {
    known: false,
    admin: false,
    owner: false,
    secondFactorSeen: false,
    weakPasswordSeen: false,
    knownDeviceIds: [],
    knownFingerprints: [],
    countries: [],
    updatedAtMs: 0,
    ...prior,
    id: who.id,
    portal: who.portal,
    login: prior?.login ?? who.login,
  };
}

/** The record after a success: what the sensors said to remember, merged into what was known. */
export function rememberSuccess(
  prior: UserRecord | undefined,
  who: { id: string; portal: string; login: string },
  memory: SuccessMemory,
  nowMs: number,
): UserRecord {
  const base = knownOrBlank(prior, who);
  const recent = (list: readonly string[], add: string, max: number): string[] => {
    const out = list.filter((x) => x !== add);
    if (add) out.push(add);
    return out.slice(-max);
  };
  return {
    ...base,
    known: true,
    secondFactorSeen: base.secondFactorSeen || memory.secondFactorSeen,
    weakPasswordSeen: base.weakPasswordSeen || memory.weakPasswordSeen,
    knownDeviceIds: recent(base.knownDeviceIds, memory.device.deviceId, MAX_DEVICES_PER_USER),
    knownFingerprints: recent(base.knownFingerprints, memory.device.fingerprint, MAX_DEVICES_PER_USER),
    countries: memory.geo ? recent(base.countries, memory.geo.country, MAX_COUNTRIES_PER_USER) : [...base.countries],
    ...(memory.geo?.lastSuccess ? { lastSuccess: memory.geo.lastSuccess } : {}),
    updatedAtMs: nowMs,
  };
}

/** A right password answered with the one-time-code form: the user has a second factor, nothing more. */
export function rememberSecondFactor(prior: UserRecord | undefined, who: { id: string; portal: string; login: string }, nowMs: number): UserRecord {
  return { ...knownOrBlank(prior, who), secondFactorSeen: true, updatedAtMs: nowMs };
}
