/**
 * Impossible travel: the speed a person would need to get from the place of the user's last
 * successful login to here, in the time between.
 *
 * Distances are great-circle (haversine, mean Earth radius 6371.0088 km) between geoip coordinates,
 * less both points' accuracy radii: geoip places an address at a city's or a country's centre, and
 * two addresses of one ISP can sit at two such centres while the person has not moved. Only what is
 * left after that is travel.
 *
 * Under a minute apart, any remaining distance gives IMPOSSIBLE_TRAVEL_KMH: very large, but finite,
 * so comparisons and sums in policies stay ordinary numbers.
 */

export const EARTH_RADIUS_KM = 6371.0088;
export const IMPOSSIBLE_TRAVEL_KMH = 1_000_000;
export const MIN_ELAPSED_MS = 60_000;

export interface Place {
  readonly lat: number;
  readonly lon: number;
  /** Accuracy radius, km; 0 when exact or unknown. */
  readonly accuracyKm?: number;
}

export function greatCircleKm(a: Place, b: Place): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The distance that cannot be explained by geoip's inaccuracy. */
export function travelledKm(from: Place, to: Place): number {
  return Math.max(0, greatCircleKm(from, to) - (from.accuracyKm ?? 0) - (to.accuracyKm ?? 0));
}

/** km/h from `from` at `fromMs` to `to` at `toMs`; 0 when nothing is left of the distance. */
export function travelKmh(from: Place, fromMs: number, to: Place, toMs: number): number {
  const km = travelledKm(from, to);
  if (!(km > 0)) return 0;
  const elapsedMs = toMs - fromMs;
  if (!(elapsedMs >= MIN_ELAPSED_MS)) return IMPOSSIBLE_TRAVEL_KMH;
  return Math.min(IMPOSSIBLE_TRAVEL_KMH, km / (elapsedMs / 3_600_000));
}
