/**
 * The portal-wide REST block is the heaviest action the gateway has: every webhook and application of
 * a company stops. A policy verdict may take it only
 *   1. for an account that exists: the portal's directory lists it, or it has succeeded through the
 *      gateway. A login nobody has (an outsider's invented `ghost-…@`) never costs the portal its REST;
 *      the invented user may still be blocked, which harms nobody;
 *   2. a limited number of times per portal per day (PORTAL_REST_BLOCKS_PER_DAY). Past it, the user
 *      blocks go on, the REST block is withheld, and ops hear of it (a warning log line and the
 *      `portcullis_portal_rest_blocks_withheld_total` metric): an attacker who can trip the rules over
 *      and over must not keep a portal's integrations down all day.
 * An operator's manual block is not limited: this guards verdicts only.
 */
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../lib/clock';
import type { Store } from '../store/port';
import { listedInDirectory } from './directory';

/** Verdict-made portal REST blocks a portal can suffer in a day (a sliding 24 hours). */
export const PORTAL_REST_BLOCKS_PER_DAY = 3;
const DAY_MS = 24 * 3600_000;
/** A store counter of the gateway's own (policy counter names cannot start with `_`). */
const BUDGET_COUNTER = '_portal_rest_blocks_1d';

export type WithheldReason = 'unknown_account' | 'daily_limit';

export interface RestBlockQuestion {
  readonly portal: string;
  /** The user the verdict is about (keyed hash), when the request named one. */
  readonly uid?: string;
  /** What the sense stage already knows (no store read needed when true). */
  readonly knownAccount: boolean;
  readonly login?: string;
}

export interface RestBlockGuardDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly perDay?: number;
  /** A REST block was withheld: the composition root logs a warning and counts it. */
  readonly onWithheld?: (q: RestBlockQuestion, reason: WithheldReason) => void;
}

export class RestBlockGuard {
  constructor(private readonly deps: RestBlockGuardDeps) {}

  /** May this verdict block the portal's REST? Takes one unit of the day's budget when it may. */
  async allow(q: RestBlockQuestion): Promise<boolean> {
    if (q.uid !== undefined && !q.knownAccount) {
      // A store that cannot answer (an outage) cannot tell an invented login from a real one: the
      // seed's block stands, as it did before this guard (docs/lockout.md).
      const listed = await listedInDirectory(this.deps.store, q.portal, q.uid).catch(() => true);
      if (!listed) return this.withhold(q, 'unknown_account');
    }
    const result = await this.deps.store
      .counters([{ portal: q.portal, counter: BUDGET_COUNTER, type: 'count', windowMs: DAY_MS, key: '[]', add: true }], this.deps.clock.now(), { kind: 'login' })
      .catch(() => undefined);
    // A store that cannot count does not stop the seed's block: the account exists, the verdict stands.
    if (!result?.ok) return true;
    if (result.values[0]! > (this.deps.perDay ?? PORTAL_REST_BLOCKS_PER_DAY)) return this.withhold(q, 'daily_limit');
    return true;
  }

  private withhold(q: RestBlockQuestion, reason: WithheldReason): false {
    this.deps.onWithheld?.(q, reason);
    return false;
  }
}

/** The metric of withheld REST blocks, on the gateway's registry. */
export function withheldRestBlocksMetric(registry: Registry): Counter<'reason'> {
  return new Counter({
    name: 'portcullis_portal_rest_blocks_withheld_total',
    help: "Portal-wide REST blocks a verdict asked for and the gateway withheld: the account does not exist, or the portal's daily limit was reached.",
    labelNames: ['reason'] as const,
    registers: [registry],
  });
}
