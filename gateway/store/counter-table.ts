/**
 * Counters in bounded memory: one sliding window (signals/counters/window.ts) per portal, counter and
 * bucket key, in an LRU of at most `maxKeys` windows. An attack from a million addresses touches a
 * million keys, but only the `maxKeys` most recently used are kept (and no more than `maxBytes` of
 * them: keys are as long as the client's Host makes them); a forgotten key reads 0, which
 * errs towards "not seen", so the bound must be sized above the keys that matter within a window
 * (docs/state.md). A read of a key never added creates nothing.
 */
import type { LRUCache } from 'lru-cache';
import { boundedTable, usageOf, type TableUsage } from '../lib/bounded-table';
import { SlidingCount, SlidingDistinct } from '../signals/counters/window';
import type { CounterOp } from './port';

type Window = SlidingCount | SlidingDistinct;

/** Bytes a window costs beyond its key (a SlidingCount's buckets; a distinct window may hold more). */
const WINDOW_BYTES = 512;
/** Default byte bound: 100 000 keys of ordinary length fit; long keys are forgotten sooner. */
export const COUNTER_TABLE_MAX_BYTES = 96 * 1024 * 1024;

export interface CounterTableOptions {
  readonly maxKeys: number;
  /** Default COUNTER_TABLE_MAX_BYTES. */
  readonly maxBytes?: number;
  readonly maxDistinct?: number;
}

export class CounterTable {
  private readonly windows: LRUCache<string, Window>;
  private readonly maxDistinct: number | undefined;

  constructor(options: CounterTableOptions) {
    this.windows = boundedTable<Window>({ maxEntries: options.maxKeys, maxBytes: options.maxBytes ?? COUNTER_TABLE_MAX_BYTES, valueBytes: WINDOW_BYTES });
    this.maxDistinct = options.maxDistinct;
  }

  /** Applies the adds, then reads every op (in op order, so a read after an add in one call sees it). */
  apply(ops: readonly CounterOp[], nowMs: number): number[] {
    return ops.map((op) => {
      // join() makes one flat string; a template literal would keep a rope of ~8 nodes per key for as
      // long as the key lives (a quarter of a 100 000-key table's memory, in a heap snapshot).
      const id = [op.portal, op.counter, op.type, op.windowMs, op.key].join('\u0000');
      let window = this.windows.get(id);
      if (op.add !== undefined) {
        if (!window) {
          window = op.type === 'count' ? new SlidingCount({ windowMs: op.windowMs }) : new SlidingDistinct({ windowMs: op.windowMs, ...(this.maxDistinct ? { maxDistinct: this.maxDistinct } : {}) });
          this.windows.set(id, window);
        }
        if (window instanceof SlidingDistinct) {
          if (typeof op.add === 'string') window.add(nowMs, op.add);
        } else window.add(nowMs, op.times ?? 1);
      }
      return window ? window.count(nowMs) : 0;
    });
  }

  get size(): number {
    return this.windows.size;
  }

  usage(): TableUsage {
    return usageOf(this.windows);
  }
}
