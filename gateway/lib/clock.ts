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

/**
 * Simulation only (PORTCULLIS_TIME_SCALE): one wall second is `scale` seconds of this clock, counted
 * from `originMs`. A day compressed this way keeps a real day's density, so every window, expiry,
 * escalation, travel speed and rate sees the same traffic per unit of its own time as on a real day.
 * Read from the monotonic high-resolution timer: at scale 320, Date.now()'s millisecond would be a
 * step of 320 ms.
 */
export class ScaledClock implements Clock {
  private readonly originPerf = performance.now();
  constructor(
    readonly scale: number,
    private readonly originMs = Date.now(),
  ) {}
  now(): number {
    return this.originMs + (performance.now() - this.originPerf) * this.scale;
  }
}

/** `scale` 1 (production) is the system clock itself. */
export function clockForScale(scale: number): Clock {
  return scale === 1 ? systemClock : new ScaledClock(scale);
}

/** How long a wall-time timer must wait for `ms` of `clock` to pass (a scaled clock runs faster). */
export function wallDelayMs(clock: Clock, ms: number): number {
  return clock instanceof ScaledClock ? ms / clock.scale : ms;
}
