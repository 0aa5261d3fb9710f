/**
 * Token buckets for `limit` records: each limited subject may make `requests` per `perMs`, refilled
 * continuously, counted in this process. A bucket is local to a replica (N replicas allow up to N
 * times the rate); the limit record itself is shared through the store like any block.
 */
import { boundedTable, usageOf, type TableUsage } from '../lib/bounded-table';
import type { RateLimit } from './blocks';

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateBuckets {
  private readonly buckets = boundedTable<Bucket>({ maxEntries: 100_000, maxBytes: 32 * 1024 * 1024, valueBytes: 64 });

  usage(): TableUsage {
    return usageOf(this.buckets);
  }

  /** Takes one token for `key`; false when none is left (the request is over the limit). */
  take(key: string, rate: RateLimit, nowMs: number): boolean {
    if (rate.requests <= 0) return false;
    const b = this.refilled(key, rate, nowMs);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Removes `n` tokens without asking (calls made elsewhere that shared this bucket); may go negative. */
  spend(key: string, n: number, rate: RateLimit, nowMs: number): void {
    this.refilled(key, rate, nowMs).tokens -= n;
  }

  private refilled(key: string, rate: RateLimit, nowMs: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: rate.requests, atMs: nowMs };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(rate.requests, b.tokens + ((nowMs - b.atMs) / rate.perMs) * rate.requests);
    b.atMs = nowMs;
    return b;
  }
}
