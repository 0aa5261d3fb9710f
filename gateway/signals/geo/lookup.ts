/**
 * Country and coordinates of an address, from geoip-lite's bundled GeoLite2-derived data.
 *
 * geoip-lite reads its whole database into memory when it is first required: measured on this
 * project's machine, ~230 ms and +142 MB RSS (external buffers, almost none on the JS heap). So it is
 * required on the first lookup, not at import: a gateway whose policies never ask for `geo.*` never
 * pays for it. A lookup then costs ~5 µs.
 *
 * Private, loopback, link-local and documentation ranges are not in the data, and some public
 * addresses have a record with no country and no coordinates (1.1.1.1): all of these are unknown.
 */
import { normalizeIp } from '../../lib/ip';

export interface GeoLocation {
  readonly known: boolean;
  /** ISO 3166-1 alpha-2, '' when unknown. */
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
  /** geoip-lite's accuracy radius in km (0 when unknown or not given). */
  readonly accuracyKm: number;
}

export const UNKNOWN_GEO: GeoLocation = Object.freeze({ known: false, country: '', lat: 0, lon: 0, accuracyKm: 0 });

interface GeoipLite {
  lookup(ip: string): { country?: string; ll?: readonly (number | null)[]; area?: number } | null;
}

let geoip: GeoipLite | undefined;

function database(): GeoipLite {
  // Deliberately a require at first use (see above); the type comes from @types/geoip-lite.
  geoip ??= require('geoip-lite') as GeoipLite;
  return geoip;
}

/** True once the database is in memory (for /readyz and the docs' memory figure). */
export function geoDatabaseLoaded(): boolean {
  return geoip !== undefined;
}

export function lookupGeo(ip: string): GeoLocation {
  const addr = normalizeIp(ip);
  if (addr === '') return UNKNOWN_GEO;
  let record: ReturnType<GeoipLite['lookup']>;
  try {
    record = database().lookup(addr);
  } catch {
    return UNKNOWN_GEO;
  }
  if (!record) return UNKNOWN_GEO;
  const country = typeof record.country === 'string' && /^[A-Z]{2}$/.test(record.country) ? record.country : '';
  const lat = record.ll?.[0];
  const lon = record.ll?.[1];
  const hasPoint = typeof lat === 'number' && typeof lon === 'number' && Number.isFinite(lat) && Number.isFinite(lon);
  if (country === '' && !hasPoint) return UNKNOWN_GEO;
  return {
    known: true,
    country,
    lat: hasPoint ? lat : 0,
    lon: hasPoint ? lon : 0,
    accuracyKm: hasPoint && typeof record.area === 'number' && record.area > 0 ? record.area : 0,
  };
}
