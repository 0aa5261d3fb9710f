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

/** Events in the window: a ring of `resolution + 1` bucket counts. */
export class SlidingCount {
  readonly windowMs: number;
  readonly bucketMs: number;
  private readonly slots: number;
  private readonly counts: number[];
  private readonly indexes: number[];

  constructor(options: WindowOptions) {
    this.windowMs = options.windowMs;
    this.bucketMs = bucketMsOf(options);
    this.slots = Math.ceil(this.windowMs / this.bucketMs) + 2;
    this.counts = new Array<number>(this.slots).fill(0);
    this.indexes = new Array<number>(this.slots).fill(-Infinity);
  }

  add(nowMs: number, n = 1): void {
    const index = Math.floor(nowMs / this.bucketMs);
    const slot = ((index % this.slots) + this.slots) % this.slots;
    if (this.indexes[slot] !== index) {
      this.indexes[slot] = index;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += n;
  }

  count(nowMs: number): number {
    const oldest = oldestLive(nowMs, this.windowMs, this.bucketMs);
    const newest = Math.floor(nowMs / this.bucketMs);
    let total = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const index = this.indexes[slot]!;
      if (index >= oldest && index <= newest) total += this.counts[slot]!;
    }
    return total;
  }

  /** True when nothing in it can count any more: the key can be forgotten. */
  idle(nowMs: number): boolean {
    return this.count(nowMs) === 0;
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
