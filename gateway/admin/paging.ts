/**
 * Paging, the same on every list route: `?limit=` (1–500, default 50) and `?cursor=` (opaque, from
 * the previous page's `next_cursor`; null on the last page). A cursor names the last item shown (its
 * sort key), not an offset, so items added or removed between pages do not shift or repeat the rest.
 */
import { AdminError } from './http-io';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface Page<T> {
  readonly items: T[];
  readonly next_cursor: string | null;
}

/** A sort key: compared element by element (numbers descending when `newestFirst`). */
export type SortKey = readonly (string | number)[];

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): SortKey {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.every((k) => typeof k === 'string' || typeof k === 'number')) return key as SortKey;
  } catch {
    // fall through
  }
  throw new AdminError(422, 'PC_ERR_ADMIN_INVALID_FIELD', 'cursor is not one this API gave out; start again without it', { field: 'cursor' });
}

export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** Sorts `items` by `keyOf` and returns the page after `cursor`. */
export function paginate<T, R>(items: readonly T[], keyOf: (t: T) => SortKey, query: { limit: number; cursor?: string }, present: (t: T) => R): Page<R> {
  const sorted = [...items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const after = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
  const start = after ? sorted.findIndex((t) => compareKeys(keyOf(t), after) > 0) : 0;
  const from = start < 0 ? sorted.length : start;
  const slice = sorted.slice(from, from + query.limit);
  const more = from + query.limit < sorted.length;
  return { items: slice.map(present), next_cursor: more && slice.length > 0 ? encodeCursor(keyOf(slice[slice.length - 1]!)) : null };
}
