/**
 * Sliding windows over an injected clock: a count of events and a count of distinct values, both with
 * memory bounded per key whatever the traffic.
 *
 * The window is cut into sub-buckets (`resolution`, default 60: 15 s buckets for a 15 min window). An
 * event belongs to the bucket of its time, and a bucket counts while its *end* is inside the window, so
 * an event is counted for at least `windowMs` and at most one bucket longer. Erring on the long side is
 * deliberate: a threshold must never be escaped by an attacker who spaces attempts a hair under the
 * window. Both kinds use the same rule, so a count and a distinct count of one stream agree.
 *
 * These classes are pure state machines: the memory store keeps them per key, the policy test runner
 * drives them with a ManualClock, and a Redis store can reproduce the same bucket arithmetic in Lua
 * (bucket index = floor(t / bucketMs); live while index >= floor((now - windowMs) / bucketMs)).
 */

export interface WindowOptions {
  readonly windowMs: number;
  /** Sub-buckets per window (default 60). More is finer at the edges and costs memory per key. */
  readonly resolution?: number;
}

export const DEFAULT_RESOLUTION = 60;
/** Distinct values remembered per key; a distinct count saturates here (thresholds are far below). */
export const DEFAULT_MAX_DISTINCT = 1000;

export function bucketMsOf(options: WindowOptions): number {
  const resolution = Math.max(1, Math.floor(options.resolution ?? DEFAULT_RESOLUTION));
  return Math.max(1, Math.ceil(options.windowMs / resolution));
}

/** The oldest bucket index still inside the window at `nowMs`. */
function oldestLive(nowMs: number, windowMs: number, bucketMs: number): number {
  // live while (index + 1) * bucketMs > nowMs - windowMs  <=>  index >= floor((nowMs - windowMs) / bucketMs)
  return Math.floor((nowMs - windowMs) / bucketMs);
}

/**
 * Events in the window: the buckets that have events, oldest first, as two parallel arrays. Sparse
 * because most keys are an attacker's address or a guessed login seen once or twice: a ring of 62
 * slots per key cost ~1 KB each, and a table of 100 000 keys ~110 MB; one bucket costs a few bytes.
 * A busy key holds at most `resolution + 2` buckets, as the ring did.
 */
export class SlidingCount {
  readonly windowMs: number;
  readonly bucketMs: number;
  private indexes: number[] = [];
  private counts: number[] = [];

  constructor(options: WindowOptions) {
    this.windowMs = options.windowMs;
    this.bucketMs = bucketMsOf(options);
  }

  add(nowMs: number, n = 1): void {
    const index = Math.floor(nowMs / this.bucketMs);
    const last = this.indexes.length - 1;
    if (last >= 0 && this.indexes[last] === index) {
      this.counts[last]! += n;
      return;
    }
    if (last < 0 || this.indexes[last]! < index) {
      this.indexes.push(index);
      this.counts.push(n);
    } else {
      // An older event (a replay after an outage): into its place, kept in order.
      let at = last;
      while (at >= 0 && this.indexes[at]! > index) at--;
      if (at >= 0 && this.indexes[at] === index) this.counts[at]! += n;
      else {
        this.indexes.splice(at + 1, 0, index);
        this.counts.splice(at + 1, 0, n);
      }
    }
    this.prune(oldestLive(nowMs, this.windowMs, this.bucketMs));
  }

  count(nowMs: number): number {
    const oldest = oldestLive(nowMs, this.windowMs, this.bucketMs);
    const newest = Math.floor(nowMs / this.bucketMs);
    let total = 0;
    for (let i = 0; i < this.indexes.length; i++) {
      const index = this.indexes[i]!;
      if (index >= oldest && index <= newest) total += this.counts[i]!;
    }
    return total;
  }

  /** True when nothing in it can count any more: the key can be forgotten. */
  idle(nowMs: number): boolean {
    return this.count(nowMs) === 0;
  }

  /** Drops the buckets before `oldest` (they can never count again). */
  private prune(oldest: number): void {
    let drop = 0;
    while (drop < this.indexes.length && this.indexes[drop]! < oldest) drop++;
    if (drop === 0) return;
    this.indexes = this.indexes.slice(drop);
    this.counts = this.counts.slice(drop);
  }
}

/** Distinct values in the window: value → bucket of its last sighting, oldest first, at most `maxDistinct`. */
export class SlidingDistinct {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly maxDistinct: number;
  private readonly seen = new Map<string, number>();

  constructor(options: WindowOptions & { readonly maxDistinct?: number }) {
    this.windowMs = options.windowMs;
    this.bucketMs = bucketMsOf(options);
    this.maxDistinct = options.maxDistinct ?? DEFAULT_MAX_DISTINCT;
  }

  add(nowMs: number, value: string): void {
    // Re-insert so that Map order stays "oldest sighting first", which pruning and eviction rely on.
    this.seen.delete(value);
    this.seen.set(value, Math.floor(nowMs / this.bucketMs));
    this.prune(nowMs);
    while (this.seen.size > this.maxDistinct) this.seen.delete(this.seen.keys().next().value as string);
  }

  count(nowMs: number): number {
    this.prune(nowMs);
    return this.seen.size;
  }

  /** Whether `value` was already seen in the window (e.g. the same wrong password, counted once). */
  has(nowMs: number, value: string): boolean {
    this.prune(nowMs);
    return this.seen.has(value);
  }

  idle(nowMs: number): boolean {
    return this.count(nowMs) === 0;
  }

  private prune(nowMs: number): void {
    const oldest = oldestLive(nowMs, this.windowMs, this.bucketMs);
    for (const [value, index] of this.seen) {
      if (index >= oldest) break;
      this.seen.delete(value);
    }
  }
}
