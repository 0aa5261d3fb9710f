/**
 * A request's counter work as store operations: add its event to every counter that counts it (when
 * the counter's keys and `where:` filter admit it), and read every counter its rules need, in one
 * batch, so the store answers in one round trip. The values come back as `counters.<name>` signals.
 */
import type { CompiledCounter } from '../../policy/compiled';
import { bucketKey } from '../../signals/counters/bank';
import type { CounterKeys } from '../../signals/counters/events';
import type { CounterOp } from '../../store/port';

export interface CounterBatch {
  readonly ops: readonly CounterOp[];
  /** For each op, the counter name its value is for. */
  readonly names: readonly string[];
}

export function counterBatch(
  portal: string,
  event: string,
  recording: readonly CompiledCounter[],
  reading: readonly CompiledCounter[],
  keys: CounterKeys,
  signals: Readonly<Record<string, unknown>>,
  /** The keys buckets are named by, when they differ from `keys` (the user's evidence epoch); members are `keys`'. */
  byKeys: CounterKeys = keys,
): CounterBatch {
  const ops: CounterOp[] = [];
  const names: string[] = [];
  const push = (c: CompiledCounter, add: true | string | undefined): void => {
    // A request touches a handful of counters: a list lookup beats a Set built per request.
    if (names.includes(c.name)) return;
    const key = bucketKey(c, byKeys);
    if (key === undefined) return;
    ops.push(add !== undefined ? { portal, counter: c.name, type: c.type, windowMs: c.windowMs, key, add } : { portal, counter: c.name, type: c.type, windowMs: c.windowMs, key });
    names.push(c.name);
  };
  for (const c of recording) {
    if (c.event !== event || !admits(c, signals)) continue;
    if (c.type === 'distinct') {
      const member = keys[c.distinct!];
      push(c, member ? member : undefined);
    } else {
      push(c, true);
    }
  }
  for (const c of reading) push(c, undefined);
  return { ops, names };
}

/** A counter's `where:` filter; a filter that cannot be evaluated does not admit (it is counted as unknown). */
function admits(c: CompiledCounter, signals: Readonly<Record<string, unknown>>): boolean {
  if (!c.where) return true;
  try {
    return c.where(signals);
  } catch {
    return false;
  }
}
