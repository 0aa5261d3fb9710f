/**
 * What the sense, score and observe stages learn about one request, kept on its context. Created by
 * the sense stage, which also pins the policy set: a request finishes with the set it started with,
 * whatever a reload does meanwhile.
 */
import type { Verdict } from '../decision/verdict';
import type { CompiledPolicySet } from '../policy/compiled';
import type { CounterKeys } from '../signals/counters/events';
import type { DeviceSense } from '../signals/device/device-signals';
import type { GeoLocation } from '../signals/geo/lookup';
import type { PasswordSignals } from '../signals/password/password-signals';
import type { UserRecord } from './sense/user-record';

export interface OutcomeReading {
  readonly success: boolean;
  readonly failure: boolean;
  readonly status: number;
  /** The portal answered the password step with its one-time-code form. */
  readonly secondFactorAsked: boolean;
}

export interface RequestState {
  readonly policies: CompiledPolicySet;
  /** Flat signal values by catalogue name (`device.known`, `counters.x`), as the engine binds them. */
  readonly signals: Record<string, unknown>;
  readonly keys: CounterKeys;
  /** The user's id in the store (a keyed hash of portal and login), when the request names a user. */
  readonly userId: string | undefined;
  user: UserRecord | undefined;
  device: DeviceSense | undefined;
  geo: GeoLocation | undefined;
  password: PasswordSignals | undefined;
  /** The store could not answer; counters are missing and the kind's failure mode applied. */
  storeUnavailable: boolean;
  attempt: Verdict | undefined;
  /**
   * The counters the attempt verdict saw, kept when the outcome phase reads counters again (they then
   * include the outcome just counted), so the event log records what each phase decided on.
   */
  attemptCounters?: Readonly<Record<string, number>>;
  outcome: OutcomeReading | undefined;
  outcomeVerdict: Verdict | undefined;
}
