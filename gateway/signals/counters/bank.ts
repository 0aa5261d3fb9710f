/**
 * A bank of policy counters: for each counter definition, one sliding window per combination of its
 * `by` key values. This is the logic the memory store runs and the policy test runner drives with a
 * ManualClock; it knows nothing of policies beyond the structural `CounterDef` below.
 *
 * Memory is bounded twice: per key by the window classes (fixed buckets, capped distinct values), and
 * in keys per counter by `maxKeysPerCounter` (least recently touched keys are forgotten first; a
 * forgotten key reads 0, which is also what it would read once its window has passed).
 */
import type { CounterKey, CounterKeys } from './events';
import { SlidingCount, SlidingDistinct, type WindowOptions } from './window';

export interface CounterDef {
  /** Unique in a policy set; read by policies as `counters.<name>`. */
  readonly name: string;
  readonly type: 'count' | 'distinct';
  /** The event counted (`login.failed`), see COUNTER_EVENTS. */
  readonly event: string;
  /** For `distinct`: the key whose distinct values are counted. */
  readonly distinct?: CounterKey;
  readonly by: readonly CounterKey[];
  readonly windowMs: number;
  /** Optional filter on the event's signals (a policy's compiled `where:`). */
  readonly where?: (signals: Readonly<Record<string, unknown>>) => boolean;
}

export interface CounterBankOptions {
  readonly resolution?: number;
  readonly maxDistinct?: number;
  /** Default 100 000 keys per counter. */
  readonly maxKeysPerCounter?: number;
}

/** The bucket key of an event for a counter, or undefined when the event lacks one of the `by` keys. */
export function bucketKey(def: Pick<CounterDef, 'by'>, keys: CounterKeys): string | undefined {
  const parts: string[] = [];
  for (const key of def.by) {
    const value = keys[key];
    if (value === undefined || value === '') return undefined;
    parts.push(value);
  }
  return JSON.stringify(parts);
}

/** One event as the bank sees it. */
export interface CountedEvent {
  readonly event: string;
  readonly keys: CounterKeys;
  /** Signals for `where:` filters (flat dotted names). */
  readonly signals?: Readonly<Record<string, unknown>>;
}

type Window = SlidingCount | SlidingDistinct;

export class CounterBank {
  private readonly defs: readonly CounterDef[];
  private readonly windows = new Map<string, Map<string, Window>>();
  private readonly options: CounterBankOptions;

  constructor(defs: readonly CounterDef[], options: CounterBankOptions = {}) {
    this.defs = defs;
    this.options = options;
    for (const def of defs) this.windows.set(def.name, new Map());
  }

  /** Records `event` at `nowMs` in every counter that counts it (and whose filter and keys admit it). */
  record(nowMs: number, event: CountedEvent): void {
    for (const def of this.defs) {
      if (def.event !== event.event) continue;
      const key = bucketKey(def, event.keys);
      if (key === undefined) continue;
      let distinctValue: string | undefined;
      if (def.type === 'distinct') {
        distinctValue = event.keys[def.distinct!];
        if (distinctValue === undefined || distinctValue === '') continue;
      }
      if (def.where && !safeWhere(def, event.signals ?? {})) continue;
      const window = this.window(def, key, true)!;
      if (window instanceof SlidingDistinct) window.add(nowMs, distinctValue!);
      else window.add(nowMs);
    }
  }

  /** The value of counter `name` for an event with these keys (0 when never counted or keys missing). */
  read(nowMs: number, name: string, keys: CounterKeys): number {
    const def = this.defs.find((d) => d.name === name);
    if (!def) return 0;
    const key = bucketKey(def, keys);
    if (key === undefined) return 0;
    return this.window(def, key, false)?.count(nowMs) ?? 0;
  }

  /** Every counter's value for these keys, as `counters.<name>` signals. */
  readAll(nowMs: number, keys: CounterKeys, names?: ReadonlySet<string>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const def of this.defs) {
      if (names && !names.has(def.name)) continue;
      out[`counters.${def.name}`] = this.read(nowMs, def.name, keys);
    }
    return out;
  }

  /** Forgets keys whose windows are empty; call now and then (the memory store does, on a timer). */
  sweep(nowMs: number): number {
    let removed = 0;
    for (const map of this.windows.values()) {
      for (const [key, window] of map) {
        if (window.idle(nowMs)) {
          map.delete(key);
          removed++;
        }
      }
    }
    return removed;
  }

  keyCount(): number {
    let n = 0;
    for (const map of this.windows.values()) n += map.size;
    return n;
  }

  private window(def: CounterDef, key: string, create: boolean): Window | undefined {
    const map = this.windows.get(def.name)!;
    let window = map.get(key);
    if (window) {
      if (create) {
        map.delete(key); // most recently touched last: eviction takes the first
        map.set(key, window);
      }
      return window;
    }
    if (!create) return undefined;
    const options: WindowOptions = { windowMs: def.windowMs, resolution: this.options.resolution };
    window = def.type === 'distinct' ? new SlidingDistinct({ ...options, maxDistinct: this.options.maxDistinct }) : new SlidingCount(options);
    map.set(key, window);
    const max = this.options.maxKeysPerCounter ?? 100_000;
    while (map.size > max) map.delete(map.keys().next().value as string);
    return window;
  }
}

function safeWhere(def: CounterDef, signals: Readonly<Record<string, unknown>>): boolean {
  try {
    return def.where!(signals);
  } catch {
    return false;
  }
}
