/**
 * In-process tables keyed by what clients send (portal names, subjects, counter keys) are bounded by
 * BYTES as well as entries: a bound by count alone lets an attacker pick long keys (4 000 calls, each
 * with its own 8 000-character Host, once took a 384 MB heap down). Each entry is charged its key's
 * size (UTF-16, two bytes a character) plus a fixed estimate of its value; past either bound the least
 * recently used entries go first.
 */
import { LRUCache } from 'lru-cache';

export interface TableBounds {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** What one value costs beyond its key, estimated (object headers, fields, small arrays). */
  readonly valueBytes: number;
}

/** Entries and estimated bytes of one table, for /metrics. */
export interface TableUsage {
  readonly entries: number;
  readonly bytes: number;
}

/** Bytes charged for a key beyond its characters (the string's header, the map's slot). */
const KEY_OVERHEAD_BYTES = 64;

export function boundedTable<V extends {}>(bounds: TableBounds): LRUCache<string, V> {
  return new LRUCache<string, V>({
    max: bounds.maxEntries,
    maxSize: bounds.maxBytes,
    sizeCalculation: (_value, key) => key.length * 2 + KEY_OVERHEAD_BYTES + bounds.valueBytes,
  });
}

export function usageOf(table: LRUCache<string, any>): TableUsage {
  return { entries: table.size, bytes: table.calculatedSize };
}
