/**
 * Reader of geo-compact.bin, the compact geo database scripts/build-geo.js derives from geoip-lite's
 * city data at build time.
 *
 * Why: geoip-lite reads ~140 MB of .dat files into memory on first use (+142 MB RSS), although
 * lookupGeo() only ever answers country, latitude, longitude and accuracy radius. The compact file holds
 * exactly those answers, tabulated by address range (~24 MB), and is searched in place: the file is read
 * into one Buffer and typed arrays are laid over its sections, so loading creates no per-record object
 * and a lookup allocates nothing (lookup.ts allocates the result).
 *
 * Exactness: the tables are geoip-lite's own answers (build-geo.js evaluates a faithful copy of its
 * search at every range boundary, nested IPv6 ranges included), and the key is computed from the
 * address text the way geoip-lite computes it, quirks included (see geoipLiteKey below). So for any
 * address, compact and geoip-lite give the same GeoLocation; test/signals/geo-compact.test.ts checks it.
 *
 * Format (version 1, little-endian; all sections 4-byte aligned; build-geo.js writes it):
 *   header, 160 bytes:
 *     0 magic "PCGEODB\0" | 8 version u32 | 12 header size u32 | 16 file size u32
 *     20 countries u32 | 24 locations u32 | 28 IPv4 entries u32 | 32 IPv6 entries u32 | 36 0
 *     40/44/48 sizes of geoip-city.dat, geoip-city6.dat, geoip-city-names.dat | 52 0
 *     56 source fingerprint (32) | 88 SHA-256 of the three sources (32, informational)
 *     120 SHA-256 of everything after the header (32) | 152 8 bytes of build-geo.js's own SHA-256
 *     (the build uses them to leave an up-to-date file alone; not read here)
 *   countries   2 ASCII bytes each; index 0 is "" (not a two-letter code)
 *   locations   lat Int32[], lon Int32[] (geoip-lite's integers: degrees x 10000), area Uint16[] (km),
 *               country Uint8[]; location 0 is "unknown" (every other location is known)
 *   IPv4        bucket Uint32[65537]: first entry whose start >= b << 16; startLow Uint16[] (the low
 *               16 bits of each start: the high ones are the bucket's); location 24-bit[]
 *   IPv6        startHi Uint32[], startLo Uint32[] (the key is the top 64 bits: geoip-lite compares
 *               no more); location 24-bit[]
 *   Entry i covers keys [start i, start i+1 - 1]; entry 0 starts at 0; gaps are entries of location 0.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import * as path from 'node:path';

export const COMPACT_GEO_VERSION = 1;
const MAGIC = 'PCGEODB\0';
const HEADER_BYTES = 160;
const SOURCES = ['geoip-city.dat', 'geoip-city6.dat', 'geoip-city-names.dat'] as const;

/** geoip-lite's data folder, resolved as geoip-lite resolves it (GEODATADIR honoured); null without it. */
export function geoipLiteDataDir(): string | null {
  let pkg: string;
  try {
    pkg = require.resolve('geoip-lite/package.json');
  } catch {
    return null;
  }
  const override = (globalThis as { geodatadir?: string }).geodatadir || process.env['GEODATADIR'];
  return path.resolve(path.dirname(pkg), 'lib', override || '../data/');
}

/**
 * A content fingerprint of geoip-lite's city files, cheap enough to check at every load (~1 ms): sizes,
 * 16 spread 4 KiB samples of each file, and city.checksum (rewritten by geoip-lite's updatedb). Not
 * mtimes: the Docker image installs node_modules and builds dist/ in different stages. Must stay
 * identical to sourceFingerprint() in scripts/build-geo.js (the test builds with one, loads with this).
 */
export function sourceFingerprint(dir: string): Buffer {
  const h = createHash('sha256');
  h.update('portcullis-geo-fingerprint-1\n');
  const block = Buffer.alloc(4096);
  for (const name of SOURCES) {
    let fd: number;
    try {
      fd = openSync(path.join(dir, name), 'r');
    } catch {
      h.update(`${name}:missing\n`);
      continue;
    }
    try {
      const size = fstatSync(fd).size;
      h.update(`${name}:${size}\n`);
      for (let i = 0; i < 16; i++) {
        const off = size <= 4096 ? 0 : Math.floor((i * (size - 4096)) / 15);
        const n = readSync(fd, block, 0, Math.min(4096, size - off), off);
        h.update(block.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }
  let checksum: Buffer;
  try {
    checksum = readFileSync(path.join(dir, 'city.checksum'));
  } catch {
    checksum = Buffer.from('missing');
  }
  h.update('city.checksum:');
  h.update(checksum);
  return h.digest();
}

const align4 = (n: number): number => (n + 3) & ~3;

export class CompactGeoDb {
  private readonly countries: readonly string[];
  private readonly locLat: Int32Array;
  private readonly locLon: Int32Array;
  private readonly locArea: Uint16Array;
  private readonly locCountry: Uint8Array;
  private readonly v4Bucket: Uint32Array;
  private readonly v4StartLow: Uint16Array;
  private readonly v4Loc: Uint8Array;
  private readonly v6Hi: Uint32Array;
  private readonly v6Lo: Uint32Array;
  private readonly v6Loc: Uint8Array;
  readonly bytes: number;
  readonly locations: number;

  /**
   * Reads and checks a compact file; throws (with the reason) when it is unreadable, of another format
   * or version, corrupt (payload hash), or stale: built from other geoip-lite data than the files in
   * `sourceDir`. With no sourceDir, or no geoip-city.dat in it (geoip-lite or its data not installed),
   * there is nothing to be stale against and the file is used as it is.
   */
  static open(file: string, sourceDir: string | null): CompactGeoDb {
    if (endianness() !== 'LE') throw new Error('big-endian host (the file is little-endian)');
    let buf = readFileSync(file);
    if (buf.length < HEADER_BYTES) throw new Error('truncated header');
    if (buf.toString('latin1', 0, 8) !== MAGIC) throw new Error('not a compact geo database (magic)');
    const version = buf.readUInt32LE(8);
    if (version !== COMPACT_GEO_VERSION) throw new Error(`format version ${version}, expected ${COMPACT_GEO_VERSION}`);
    if (buf.readUInt32LE(12) !== HEADER_BYTES) throw new Error('unexpected header size');
    if (buf.readUInt32LE(16) !== buf.length) throw new Error(`size ${buf.length}, header says ${buf.readUInt32LE(16)}`);
    const payloadHash = createHash('sha256').update(buf.subarray(HEADER_BYTES)).digest();
    if (!payloadHash.equals(buf.subarray(120, 152))) throw new Error('corrupt (payload checksum)');
    if (sourceDir !== null && statSize(path.join(sourceDir, SOURCES[0])) !== null) {
      if (!sourceFingerprint(sourceDir).equals(buf.subarray(56, 88))) {
        throw new Error(`stale: built from other geoip-lite data than ${sourceDir}`);
      }
    }
    // Typed arrays need aligned offsets: readFileSync gives a large file its own ArrayBuffer, but be sure.
    if (buf.byteOffset % 4 !== 0) {
      const aligned = Buffer.alloc(buf.length);
      buf.copy(aligned);
      buf = aligned;
    }
    return new CompactGeoDb(buf);
  }

  private constructor(buf: Buffer) {
    const nc = buf.readUInt32LE(20);
    const nl = buf.readUInt32LE(24);
    const n4 = buf.readUInt32LE(28);
    const n6 = buf.readUInt32LE(32);
    const sizes = [align4(nc * 2), nl * 4, nl * 4, align4(nl * 2), align4(nl), 65537 * 4, align4(n4 * 2), align4(n4 * 3)];
    sizes.push(n6 * 4, n6 * 4, align4(n6 * 3));
    if (HEADER_BYTES + sizes.reduce((a, b) => a + b, 0) !== buf.length) throw new Error('section sizes do not add up');
    if (nl < 1 || n4 < 1 || n6 < 1) throw new Error('empty tables');
    const countries: string[] = [];
    for (let i = 0, at = HEADER_BYTES; i < nc; i++, at += 2) {
      countries.push(buf.toString('latin1', at, at + 2).replace(/\0+$/, ''));
    }
    this.countries = countries;
    const ab = buf.buffer;
    let o = buf.byteOffset + HEADER_BYTES + sizes[0]!;
    this.locLat = new Int32Array(ab, o, nl);
    o += sizes[1]!;
    this.locLon = new Int32Array(ab, o, nl);
    o += sizes[2]!;
    this.locArea = new Uint16Array(ab, o, nl);
    o += sizes[3]!;
    this.locCountry = new Uint8Array(ab, o, nl);
    o += sizes[4]!;
    this.v4Bucket = new Uint32Array(ab, o, 65537);
    o += sizes[5]!;
    this.v4StartLow = new Uint16Array(ab, o, n4);
    o += sizes[6]!;
    this.v4Loc = new Uint8Array(ab, o, n4 * 3);
    o += sizes[7]!;
    this.v6Hi = new Uint32Array(ab, o, n6);
    o += sizes[8]!;
    this.v6Lo = new Uint32Array(ab, o, n6);
    o += sizes[9]!;
    this.v6Loc = new Uint8Array(ab, o, n6 * 3);
    if (this.v4Bucket[65536] !== n4) throw new Error('IPv4 index does not match its table');
    this.bytes = buf.length;
    this.locations = nl;
  }

  /**
   * The location of an address, 0 when geoip-lite has none. `addr` must be normalizeIp()'s output (an
   * IPv4 dotted quad, or a lower-case RFC 5952 IPv6): the key is then computed as geoip-lite computes
   * it from that same text.
   */
  find(addr: string): number {
    if (addr.indexOf(':') < 0) {
      const key = dottedQuad(addr);
      return key < 0 ? 0 : this.find4(key);
    }
    // geoip-lite's get4mapped(): text starting "::ffff:" is looked up as IPv4, by aton4() of the rest.
    // normalizeIp already turned "::ffff:a.b.c.d" into "a.b.c.d"; what still starts so is hexadecimal
    // ("::ffff:808:808", or "0:0:0:0:0:ffff:8.8.8.8" once normalised), and aton4("808:808") is
    // parseInt("808:808", 10) << 24, i.e. 40.0.0.0, not 8.8.8.8. Reproduced to answer as geoip-lite does.
    if (addr.startsWith('::ffff:')) return this.find4((leadingDecimal(addr, 7) << 24) >>> 0);
    if (!geoipLiteKey6(addr)) return 0;
    return this.find6(KEY[0]!, KEY[1]!);
  }

  country(loc: number): string {
    return this.countries[this.locCountry[loc]!] ?? '';
  }
  /** Degrees, the same double geoip-lite computes (its integer / 10000). */
  lat(loc: number): number {
    return this.locLat[loc]! / 10000;
  }
  lon(loc: number): number {
    return this.locLon[loc]! / 10000;
  }
  /** Accuracy radius, km. */
  areaKm(loc: number): number {
    return this.locArea[loc]!;
  }

  private find4(key: number): number {
    const b = key >>> 16;
    const low = key & 0xffff;
    const starts = this.v4StartLow;
    let lo = this.v4Bucket[b]!;
    let hi = this.v4Bucket[b + 1]!;
    // First entry of the bucket starting after the key; the one before it (possibly the last entry of
    // an earlier bucket) holds the key. Entry 0 starts at 0, so there is always one.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= low) lo = mid + 1;
      else hi = mid;
    }
    return loc24(this.v4Loc, lo - 1);
  }

  private find6(kh: number, kl: number): number {
    const his = this.v6Hi;
    const los = this.v6Lo;
    let lo = 0;
    let hi = his.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = his[mid]!;
      if (h < kh || (h === kh && los[mid]! <= kl)) lo = mid + 1;
      else hi = mid;
    }
    return loc24(this.v6Loc, lo - 1);
  }
}

function loc24(table: Uint8Array, i: number): number {
  const j = i * 3;
  return table[j]! | (table[j + 1]! << 8) | (table[j + 2]! << 16);
}

function statSize(file: string): number | null {
  try {
    const fd = openSync(file, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** a.b.c.d as a 32-bit number (what geoip-lite's aton4 gives for a valid dotted quad); -1 otherwise. */
function dottedQuad(s: string): number {
  let key = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46 && digits > 0 && dots < 3) {
      key = key * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return key * 256 + part;
}

/** parseInt(s.slice(from), 10) for text that has no sign or space there: NaN becomes 0, as `NaN << 24` does. */
function leadingDecimal(s: string, from: number): number {
  let v = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return v;
}

// Scratch for geoipLiteKey6 (no allocation per lookup): the parts between colons, and the key.
const MAX_PARTS = 16;
const PART_START = new Int32Array(MAX_PARTS);
const PART_END = new Int32Array(MAX_PARTS);
const GROUPS = new Uint32Array(4);
const KEY = new Uint32Array(2);

/**
 * The top 64 bits of an IPv6 address as geoip-lite's aton6() computes them, into KEY. aton6 splits on
 * ':', moves the parts after the last empty one to the end of 8 groups, but does not clear the places
 * they came from: "2001:db8::1" becomes 2001:db8:0:1:0:0:0:1, so geoip-lite looks that address up in
 * 2001:db8:0:1::/64, not 2001:db8::/64. That is reproduced here, deliberately: this reader must answer
 * exactly as geoip-lite does (addresses whose "::" is in the last four groups are not affected).
 * False when the text has more parts than an address can.
 */
function geoipLiteKey6(s: string): boolean {
  let parts = 0;
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s.charCodeAt(i) === 58) {
      if (parts === MAX_PARTS) return false;
      PART_START[parts] = start;
      PART_END[parts] = i;
      parts++;
      start = i + 1;
    }
  }
  const l = parts - 1;
  // aton6: `if (a[l] === '') a[l] = 0;`, then, when l < 7, for i from l down while a[i] !== '':
  // a[7 - l + i] = a[i]. So group t comes from part t - (7 - l) when t > 7 - l + k (k: the last empty
  // part before l, or -1), else from part t when t <= l, else is 0 (an unset place).
  let k = -1;
  for (let j = l - 1; j >= 0; j--) {
    if (PART_END[j] === PART_START[j]) {
      k = j;
      break;
    }
  }
  const shift = 7 - l;
  for (let t = 0; t < 4; t++) {
    let src = -1;
    if (l < 7 && t > shift + k) src = t - shift;
    else if (t <= l) src = t;
    GROUPS[t] = src < 0 ? 0 : hexPart(s, PART_START[src]!, PART_END[src]!);
  }
  KEY[0] = ((GROUPS[0]! << 16) + GROUPS[1]!) >>> 0;
  KEY[1] = ((GROUPS[2]! << 16) + GROUPS[3]!) >>> 0;
  return true;
}

/** parseInt(part, 16) for a canonical group (1-4 hex digits); '' is 0, as in aton6. */
function hexPart(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) break;
    v = v * 16 + d;
  }
  return v;
}
