/**
 * The portal's own REST rate limit: a leaky bucket per portal that holds `burst` requests and
 * drains `drainPerSecond`. Time comes from the injected clock so tests move time, not sleep.
 */
import type { Clock } from '../gateway/lib/clock';

export interface BucketOptions {
  burst: number;
  drainPerSecond: number;
}

export class LeakyBucket {
  private level = 0;
  private lastMs: number;

  constructor(
    private readonly opts: BucketOptions,
    private readonly clock: Clock,
  ) {
    this.lastMs = clock.now();
  }

  /** Takes one request; false = over the limit (the request is not counted). */
  take(): boolean {
    const now = this.clock.now();
    const drained = (Math.max(0, now - this.lastMs) / 1000) * this.opts.drainPerSecond;
    this.level = Math.max(0, this.level - drained);
    this.lastMs = now;
    if (this.level + 1 > this.opts.burst) return false;
    this.level += 1;
    return true;
  }
}
