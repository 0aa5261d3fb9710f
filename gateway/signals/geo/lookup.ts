/**
 * Country and coordinates of an address, from geoip-lite's bundled GeoLite2-derived data.
 *
 * Two ways to the same answers, chosen on the first lookup (not at import: a gateway whose policies
 * never ask for `geo.*` never pays for either):
 *  - geo-compact.bin, which `npm run build` derives from geoip-lite's data (scripts/build-geo.js) and
 *    puts beside the compiled module: only what is answered here, ~24 MB searched in place
 *    (compact-db.ts). Used when present, intact and built from the geoip-lite data installed.
 *  - otherwise geoip-lite itself, which reads its whole database into memory: measured on this
 *    project's machine, ~230 ms and +142 MB RSS (external buffers, almost none on the JS heap).
 * Both answer identically for every address (test/signals/geo-compact.test.ts). A lookup costs a few µs.
 *
 * Private, loopback, link-local and documentation ranges are not in the data, and some public
 * addresses have a record with no country and no coordinates (1.1.1.1): all of these are unknown.
 */
import * as path from 'node:path';
import { fullIpv6, normalizeIp } from '../../lib/ip';
import { CompactGeoDb, geoipLiteDataDir } from './compact-db';

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

/** A geo database, compact or geoip-lite. */
export interface GeoDatabase {
  readonly kind: 'compact' | 'geoip-lite';
  /** The compact file in use (null for geoip-lite). */
  readonly file: string | null;
  /** Compact files that exist but were not used, each with the reason (stale, corrupt...). */
  readonly rejected: readonly string[];
  /** True once the data is in memory. */
  loaded(): boolean;
  lookup(ip: string): GeoLocation;
}

export interface GeoDatabaseOptions {
  /** Compact files to try, in order. Default: beside this module, then (from sources) in dist/. */
  compactFiles?: readonly string[];
  /** geoip-lite's data folder, to tell a stale compact file. Default: geoip-lite's own; null: no check. */
  geoipDataDir?: string | null;
}

/** Where `npm run build` puts geo-compact.bin: beside the compiled module. From sources (ts-jest/swc,
 * __dirname = gateway/signals/geo), the one a build left in dist/ is used if it is current. */
export function defaultCompactFiles(): string[] {
  const beside = path.join(__dirname, 'geo-compact.bin');
  const built = path.resolve(__dirname, '..', '..', '..', 'dist', 'gateway', 'signals', 'geo', 'geo-compact.bin');
  return beside === built ? [beside] : [beside, built];
}

/**
 * Opens a geo database: the first compact file that loads, else geoip-lite (required lazily, on its
 * first lookup, as before). Never throws.
 */
export function openGeoDatabase(options: GeoDatabaseOptions = {}): GeoDatabase {
  const files = options.compactFiles ?? defaultCompactFiles();
  const rejected: string[] = [];
  let dataDir: string | null | undefined = options.geoipDataDir;
  for (const file of files) {
    let db: CompactGeoDb;
    try {
      if (dataDir === undefined) dataDir = geoipLiteDataDir();
      db = CompactGeoDb.open(file, dataDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') rejected.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    return compactDatabase(db, file, rejected);
  }
  return geoipLiteDatabase(rejected);
}

function compactDatabase(db: CompactGeoDb, file: string, rejected: readonly string[]): GeoDatabase {
  return {
    kind: 'compact',
    file,
    rejected,
    loaded: () => true,
    lookup(ip: string): GeoLocation {
      const addr = queryAddress(ip);
      if (addr === '') return UNKNOWN_GEO;
      const loc = db.find(addr);
      // Every location but 0 has a point (geoip-lite's coordinates are integers / 10000), so is known.
      if (loc === 0) return UNKNOWN_GEO;
      return { known: true, country: db.country(loc), lat: db.lat(loc), lon: db.lon(loc), accuracyKm: db.areaKm(loc) };
    },
  };
}

function geoipLiteDatabase(rejected: readonly string[]): GeoDatabase {
  let geoip: GeoipLite | undefined;
  return {
    kind: 'geoip-lite',
    file: null,
    rejected,
    loaded: () => geoip !== undefined,
    lookup(ip: string): GeoLocation {
      const addr = queryAddress(ip);
      if (addr === '') return UNKNOWN_GEO;
      let record: ReturnType<GeoipLite['lookup']>;
      try {
        // Deliberately a require at first use (see above); the type comes from @types/geoip-lite.
        geoip ??= require('geoip-lite') as GeoipLite;
        record = geoip.lookup(addr);
      } catch {
        return UNKNOWN_GEO;
      }
      return fromGeoipRecord(record);
    },
  };
}

/**
 * The address as both databases are asked: normalised (IPv4-mapped is IPv4), and IPv6 written out in
 * full, because geoip-lite's parser mis-expands "::" in the first four groups and would look the
 * address up in another /64 (the compact reader parses as geoip-lite does, so both stay equal).
 */
function queryAddress(ip: string): string {
  const addr = normalizeIp(ip);
  return addr.includes(':') ? fullIpv6(addr) : addr;
}

/** lookupGeo's reading of a geoip-lite record (build-geo.js tabulates exactly this). */
function fromGeoipRecord(record: ReturnType<GeoipLite['lookup']>): GeoLocation {
  if (!record) return UNKNOWN_GEO;
  const country = typeof record.country === 'string' && /^[A-Z]{2}$/.test(record.country) ? record.country : '';
  const lat = record.ll?.[0];
  const lon = record.ll?.[1];
  const hasPoint = typeof lat === 'number' && typeof lon === 'number' && Number.isFinite(lat) && Number.isFinite(lon);
  // No country and the point 0,0: geoip-lite's filler for an IPv6 range without a location, not a
  // place in the Gulf of Guinea (as a place it would make travel from anywhere look impossible).
  if (country === '' && (!hasPoint || (lat === 0 && lon === 0))) return UNKNOWN_GEO;
  return {
    known: true,
    country,
    lat: hasPoint ? lat : 0,
    lon: hasPoint ? lon : 0,
    accuracyKm: hasPoint && typeof record.area === 'number' && record.area > 0 ? record.area : 0,
  };
}

let database: GeoDatabase | undefined;

/** True once the database is in memory (for /readyz and the docs' memory figure). */
export function geoDatabaseLoaded(): boolean {
  return database?.loaded() ?? false;
}

/** Which database lookupGeo uses (undefined before its first lookup), and why compact files were not. */
export function geoDatabaseInfo(): Pick<GeoDatabase, 'kind' | 'file' | 'rejected'> | undefined {
  return database && { kind: database.kind, file: database.file, rejected: database.rejected };
}

export function lookupGeo(ip: string): GeoLocation {
  database ??= openGeoDatabase();
  return database.lookup(ip);
}
