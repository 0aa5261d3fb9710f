/**
 * Signal values as the engine receives them, and their binding to CEL.
 *
 * `Signals` is flat: `{ 'device.known': true, 'counters.user_failures_15m': 3 }`. Values are coerced to
 * the catalogue's type (ints become bigint, as CEL's int is 64-bit); a value of the wrong type is
 * reported, never thrown, and reads as absent.
 */
import { SIGNALS_BY_NAME, type SignalType } from '../signals/catalog';

export type SignalValue = boolean | number | bigint | string;
export type Signals = Readonly<Record<string, unknown>>;

export type Bound = boolean | bigint | number | string;

function coerce(type: SignalType, value: unknown): Bound | undefined {
  switch (type) {
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'int':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
      return undefined;
    case 'double':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      return undefined;
  }
}

export function typeOfSignal(name: string): SignalType | undefined {
  if (name.startsWith('counters.')) return 'int';
  return SIGNALS_BY_NAME.get(name)?.type;
}

export interface Binding {
  readonly values: Record<string, Bound>;
  /** Signals that were present with the wrong type (name → what was wrong). */
  readonly wrong: ReadonlyMap<string, string>;
}

/**
 * The CEL variables for `names`. A catalogue signal that is absent takes its `whenUnknown` value when
 * `fillUnknown` (the catalogue's promise: unknown is a value, not an error); an absent counter stays
 * absent, and a rule reading it reports "unresolved" rather than silently reading 0.
 */
export function bind(signals: Signals, names: Iterable<string>, fillUnknown: boolean): Binding {
  const values: Record<string, Bound> = {};
  const wrong = new Map<string, string>();
  for (const name of names) {
    const type = typeOfSignal(name);
    if (!type) continue;
    const raw = Object.prototype.hasOwnProperty.call(signals, name) ? signals[name] : undefined;
    if (raw === undefined || raw === null) {
      const def = SIGNALS_BY_NAME.get(name);
      if (fillUnknown && def) values[name] = coerce(def.type, def.whenUnknown)!;
      continue;
    }
    const value = coerce(type, raw);
    if (value === undefined) wrong.set(name, `${name} should be ${type === 'int' ? 'an int' : `a ${type}`}, got ${describe(raw)}`);
    else values[name] = value;
  }
  return { values, wrong };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : typeof value;
}

/** JSON-friendly copy (bigint → number) for verdicts, explain and logs. */
export function plainValue(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

/**
 * Flattens `{ device: { known: true }, counters: { x: 3 }, 'user.admin': true }` into dotted names.
 * Used by request files, test cases and event records, so authors may nest or not.
 */
export function flattenSignals(input: Readonly<Record<string, unknown>>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !prefix) Object.assign(out, flattenSignals(value as Record<string, unknown>, name));
    else out[name] = value;
  }
  return out;
}
