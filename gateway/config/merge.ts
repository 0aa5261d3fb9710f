/**
 * Layering of configuration: defaults < file < environment < programmatic overrides. Maps merge key by
 * key; lists and scalars replace (a portal that lists its own failure texts means exactly those).
 */
import type { GatewayConfig, PortalSettings, StoreConfig } from './types';

export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly U[]
  : T extends object
    ? { -readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * What a layer may say. `store` is whole (a Redis URL must not leak into a cluster store by merging),
 * `portals` hold partial settings that are completed from `portalDefaults` after all layers are merged.
 */
export type ConfigLayer = DeepPartial<Omit<GatewayConfig, 'store' | 'portals'>> & {
  store?: StoreConfig;
  portals?: Record<string, DeepPartial<PortalSettings>>;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Merges `overlays` onto `base` into a new value; `undefined` in an overlay means "not said". */
export function deepMerge<T>(base: T, ...overlays: readonly unknown[]): T {
  let result: unknown = base;
  for (const overlay of overlays) result = mergeTwo(result, overlay);
  return result as T;
}

function mergeTwo(base: unknown, overlay: unknown): unknown {
  if (overlay === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(overlay)) return overlay;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) out[key] = mergeTwo(base[key], value);
  return out;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
