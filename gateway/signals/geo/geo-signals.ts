/**
 * The `geo.*` group. Pure: the user's countries and last successful login come in as `GeoHistory`;
 * what a success should add goes out as `GeoMemory`.
 */
import type { GeoLocation } from './lookup';
import { travelKmh } from './travel';

/** Where the user last succeeded (as returned in GeoMemory, kept by the store). */
export interface LastSuccess {
  readonly atMs: number;
  readonly lat: number;
  readonly lon: number;
  readonly country: string;
  readonly accuracyKm: number;
}

export interface GeoHistory {
  /** Countries the user has succeeded from. Empty: the user is unknown. */
  readonly countries: ReadonlySet<string>;
  readonly lastSuccess?: LastSuccess;
}

export const NO_GEO_HISTORY: GeoHistory = Object.freeze({ countries: new Set<string>() });

export interface GeoSignals {
  readonly country: string;
  readonly known: boolean;
  readonly lat: number;
  readonly lon: number;
  readonly new_country: boolean;
  readonly travel_kmh: number;
}

export function geoSignals(here: GeoLocation, history: GeoHistory, nowMs: number): GeoSignals {
  const last = history.lastSuccess;
  const hasPoint = here.known && (here.lat !== 0 || here.lon !== 0);
  return {
    country: here.country,
    known: here.known,
    lat: here.lat,
    lon: here.lon,
    new_country: here.country !== '' && history.countries.size > 0 && !history.countries.has(here.country),
    travel_kmh: hasPoint && last !== undefined ? travelKmh(last, last.atMs, here, nowMs) : 0,
  };
}

/**
 * What a success adds: its country to the user's countries ('' : none), and the new last success
 * (absent when the place has no coordinates; keep the previous one then). Undefined: nothing known.
 */
export interface GeoMemory {
  readonly country: string;
  readonly lastSuccess?: LastSuccess;
}

export function geoToRemember(here: GeoLocation, nowMs: number): GeoMemory | undefined {
  if (!here.known) return undefined;
  if (here.lat === 0 && here.lon === 0) return { country: here.country };
  return {
    country: here.country,
    lastSuccess: { atMs: nowMs, lat: here.lat, lon: here.lon, country: here.country, accuracyKm: here.accuracyKm },
  };
}
