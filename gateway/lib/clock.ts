/**
 * Time is injected everywhere a window, a TTL or a timestamp is computed, so that tests move time
 * instead of sleeping (crowdsec's timestamped cases).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that tests advance by hand. */
export class ManualClock implements Clock {
  private t: number;
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
