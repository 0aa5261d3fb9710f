/**
 * The portal's own REST leaky bucket, mirrored across replicas. Each replica keeps a copy of the
 * portal's bucket (no promise, no round trip per call): its own calls take tokens from it, and so do
 * the other replicas' calls, learned through one shared store counter of the portal's calls that every
 * replica adds to through the counter batcher (synced in batches, at most one flush late). So the
 * replicas together let through what the portal would, give or take what one flush interval carries.
 */
import type { Clock } from '../lib/clock';
import type { CounterBatcher } from '../pipeline/sense/counter-batcher';
import { SlidingCount } from '../signals/counters/window';
import { boundedTable, usageOf, type TableUsage } from '../lib/bounded-table';
import type { RateBuckets } from './rate-buckets';

/** The window of the shared count; longer than any flush delay, short enough to stay small. */
export const SHARE_WINDOW_MS = 10_000;
const SHARED_COUNTER = '_portal_rest_calls';

interface PortalState {
  readonly mine: SlidingCount;
  /** The other replicas' calls in the window, as last seen (their new calls are the increase). */
  othersSeen: number;
}

export class PortalBuckets {
  /** One entry per portal name: bounded, since the name is the client's Host. */
  private readonly portals = boundedTable<PortalState>({ maxEntries: 10_000, maxBytes: 16 * 1024 * 1024, valueBytes: 256 });

  constructor(
    private readonly buckets: RateBuckets,
    private readonly batcher: CounterBatcher | undefined,
    private readonly clock: Clock,
  ) {}

  usage(): TableUsage {
    return usageOf(this.portals);
  }

  /** Takes a token for one REST call of `portal`; false when the portal's bucket is empty. */
  take(portal: string, limit: { readonly burst: number; readonly drainPerSecond: number }): boolean {
    const now = this.clock.now();
    let st = this.portals.get(portal);
    if (!st) this.portals.set(portal, (st = { mine: new SlidingCount({ windowMs: SHARE_WINDOW_MS, resolution: 10 }), othersSeen: 0 }));
    st.mine.add(now);
    const rate = { requests: limit.burst, perMs: (limit.burst / limit.drainPerSecond) * 1000 };
    const key = `${portal}\0portal-bucket`;
    if (this.batcher) {
      const all = this.batcher.apply([{ portal, counter: SHARED_COUNTER, type: 'count', windowMs: SHARE_WINDOW_MS, key: portal, add: true }], 'rest')[0]!;
      const others = Math.max(0, all - st.mine.count(now));
      // Calls leaving the window lower the count; only an increase is new calls elsewhere.
      if (others > st.othersSeen) this.buckets.spend(key, others - st.othersSeen, rate, now);
      st.othersSeen = others;
    }
    return this.buckets.take(key, rate, now);
  }
}
