/**
 * What the sense stage must compute for a request of one kind under one policy set, worked out once
 * per (set, kind) and cached: only the signal groups that the kind's policies read, only the counters
 * they read, and every counter that counts the kind's events. A REST call under login-only policies
 * computes nothing at all.
 */
import type { CompiledCounter, CompiledPolicySet } from '../../policy/compiled';
import type { PolicyKind } from '../../policy/spec';
import { eventsOfKind } from '../../signals/counters/events';
import type { RequestKind } from '../request';

export type Group = 'request' | 'device' | 'geo' | 'password' | 'user' | 'rest' | 'outcome';

export interface SensePlan {
  /** False: no policy applies to this kind; the request is not sensed, scored or counted. */
  readonly active: boolean;
  readonly groups: ReadonlySet<Group>;
  /** Catalogue signals read by the kind's rules and by the filters of the counters it records. */
  readonly signals: ReadonlySet<string>;
  /** Counters recording this kind's attempt event, and those recording its outcome events. */
  readonly attemptCounters: readonly CompiledCounter[];
  readonly outcomeCounters: readonly CompiledCounter[];
  /** Counters the kind's rules read (`counters.<name>`), by phase. */
  readonly readAtAttempt: readonly CompiledCounter[];
  readonly readAtOutcome: readonly CompiledCounter[];
  /** The user's history is needed (device.known, geo.new_country, user.* …). */
  readonly needsUser: boolean;
  /** Some rule reads the outcome phase: the portal's answer must be read before the client sees it. */
  readonly hasOutcomeRules: boolean;
  /** Some counter is keyed by the attempted password (same wrong password counted once). */
  readonly needsPasswordKey: boolean;
}

const INACTIVE: SensePlan = Object.freeze({
  active: false,
  groups: new Set<Group>(),
  signals: new Set<string>(),
  attemptCounters: [],
  outcomeCounters: [],
  readAtAttempt: [],
  readAtOutcome: [],
  needsUser: false,
  hasOutcomeRules: false,
  needsPasswordKey: false,
});

/** Signals that need the user's history to be computed. */
const NEEDS_HISTORY = /^(user\.(known|exists|admin|owner|second_factor|weak_password_seen|password_changed_recently)|device\.(known|known_by|count_for_user|first_seen)|geo\.(new_country|travel_kmh))$/;

const plans = new WeakMap<CompiledPolicySet, Map<RequestKind, SensePlan>>();

export function planFor(set: CompiledPolicySet, kind: RequestKind): SensePlan {
  let byKind = plans.get(set);
  if (!byKind) plans.set(set, (byKind = new Map()));
  let plan = byKind.get(kind);
  if (!plan) byKind.set(kind, (plan = buildPlan(set, kind)));
  return plan;
}

function buildPlan(set: CompiledPolicySet, kind: RequestKind): SensePlan {
  const events = eventsOfKind(kind);
  const policies = set.policies.filter((p) => p.on.has(kind as PolicyKind));
  if (!events || policies.length === 0) return INACTIVE;

  const counterByName = new Map(set.counters.map((c) => [c.name, c]));
  const signals = new Set<string>();
  const readAtAttempt = new Map<string, CompiledCounter>();
  const readAtOutcome = new Map<string, CompiledCounter>();
  let hasOutcomeRules = false;
  for (const policy of policies) {
    for (const rule of policy.rules) {
      for (const s of rule.signals) signals.add(s);
      if (rule.phase === 'outcome') hasOutcomeRules = true;
      for (const name of rule.counters) {
        const c = counterByName.get(name.replace(/^counters\./, ''));
        if (c) (rule.phase === 'outcome' ? readAtOutcome : readAtAttempt).set(c.name, c);
      }
    }
  }
  const attemptCounters = set.counters.filter((c) => c.event === events.attempt);
  const outcomeCounters = set.counters.filter((c) => c.event === events.failed || c.event === events.success);
  for (const c of [...attemptCounters, ...outcomeCounters]) for (const s of c.signals) signals.add(s);

  const groups = new Set<Group>();
  for (const s of signals) groups.add(s.slice(0, s.indexOf('.')) as Group);
  const counters = [...attemptCounters, ...outcomeCounters, ...readAtAttempt.values(), ...readAtOutcome.values()];
  // Keys need some groups too: a counter by device needs the device; by password, the password hash.
  if (counters.some((c) => c.by.includes('device') || c.distinct === 'device')) groups.add('device');
  if (counters.some((c) => c.by.includes('app') || c.distinct === 'app' || c.by.includes('method'))) groups.add('rest');
  const needsPasswordKey = counters.some((c) => c.by.includes('password') || c.distinct === 'password');
  return {
    active: true,
    groups,
    signals,
    attemptCounters,
    outcomeCounters,
    readAtAttempt: [...readAtAttempt.values()],
    readAtOutcome: [...readAtOutcome.values()],
    // A login-like counter by user needs the user's record too: its buckets are keyed by the evidence
    // epoch (REST stays off the store's read path: its user counters, if any, are not cleared).
    needsUser: [...signals].some((s) => NEEDS_HISTORY.test(s)) || (kind !== 'rest' && counters.some((c) => c.by.includes('user'))),
    hasOutcomeRules,
    needsPasswordKey,
  };
}
