#!/usr/bin/env node
'use strict';
// Part of `npm run build`: turns geoip-lite's city database (~145 MB of .dat files, all of which
// geoip-lite reads into memory on first require) into dist/gateway/signals/geo/geo-compact.bin, which
// holds only what lookupGeo() answers (country, lat, lon, accuracy radius) and which
// gateway/signals/geo/compact-db.ts searches in place. No dependency beyond Node and geoip-lite's data.
//
//   node scripts/build-geo.js [--out FILE] [--force] [--quiet]
//
// An output that is current (same sources, same version of this script, intact) is left as it is, in
// ~0.1 s instead of ~3-5 s: `npm test` and `npm start` run the build every time. --force rebuilds.
//
// Exactness. The compact file is not "the same ranges, smaller": it is the answer geoip-lite's
// lookup() gives, tabulated. geoip-lite's IPv6 data has nested ranges (a /48 record and, after it, a /64
// record inside it), on which its binary search answers by the path it happens to take. So the script
// runs a faithful copy of geoip-lite's search (lookup4/lookup6 in geoip-lite/lib/geoip.js, with its
// first/last and private-range checks) once per elementary interval: every comparison that search makes
// is between the key and a record's start or end (or a constant), so its answer is constant between two
// consecutive values of {start, end + 1, constants}, and evaluating it at each such value gives the
// answer for every key. Equal neighbours are then merged.
//
// Keys are what geoip-lite computes, not what the address means: IPv4 as a 32-bit number, IPv6 as the
// top 64 bits only (geoip-lite compares two of the four 32-bit words). compact-db.ts computes the same
// key from the same text (including geoip-lite's parsing quirks), so answers are identical.
//
// File format (version 1, little-endian, sections 4-byte aligned; see compact-db.ts):
//   header (160 bytes): magic "PCGEODB\0", version, header size, file size, counts (countries,
//     locations, IPv4 entries, IPv6 entries), the three source files' sizes, a fingerprint of the
//     source files (checked at load: stale file -> geoip-lite), the full SHA-256 of the sources
//     (informational), the SHA-256 of the payload (checked at load: corrupt file -> geoip-lite), and
//     the first 8 bytes of this script's SHA-256 (only to tell an up-to-date output).
//   countries: 2 ASCII bytes each (index 0 = "": not a two-letter code)
//   locations: lat Int32[], lon Int32[] (geoip-lite's integers, degrees x 10000), area Uint16[] (km),
//     country Uint8[]; location 0 = unknown (no record); every other location is known
//   IPv4: bucket Uint32[65537] (first entry whose start >= b << 16), startLow Uint16[] (low 16 bits of
//     each start), location 24-bit[]: entry i covers [start[i], start[i+1] - 1]; start[0] = 0
//   IPv6: startHi Uint32[], startLo Uint32[] (the 64-bit key), location 24-bit[]; same rule
// Gaps between ranges are explicit entries of location 0.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const os = require('node:os');

const root = path.resolve(__dirname, '..');
const DEFAULT_OUT = path.join(root, 'dist', 'gateway', 'signals', 'geo', 'geo-compact.bin');

const MAGIC = Buffer.from('PCGEODB\0', 'latin1');
const VERSION = 1;
const HEADER_BYTES = 160;
const SOURCES = ['geoip-city.dat', 'geoip-city6.dat', 'geoip-city-names.dat'];

// geoip-lite's record layouts (lib/geoip.js): big-endian.
const REC4 = 24; // start u32, end u32, locId u32, lat i32 (x 10000), lon i32 (x 10000), area u32
const REC6 = 48; // start 16 bytes, end 16 bytes, locId u32, lat i32, lon i32, area u32
const LOC = 88; // geoip-city-names.dat: country [0,2), region [2,5), metro i32 @5, eu @9, tz [10,42), city [42,88)
const NO_LOCATION = 0xffffffff;
// geoip-lite's lookup4 answers null for these (its own list: not 127/8, which is absent from the data).
const PRIVATE4 = [
  [0x0a000000, 0x0affffff],
  [0xac100000, 0xac1fffff],
  [0xc0a80000, 0xc0a8ffff],
];

function parseArgs(argv) {
  const args = { out: DEFAULT_OUT, quiet: false, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') {
      const v = argv[++i];
      if (!v) throw new Error('--out needs a file');
      args.out = path.resolve(v);
    } else if (a.startsWith('--out=')) args.out = path.resolve(a.slice(6));
    else if (a === '--quiet') args.quiet = true;
    else if (a === '--force') args.force = true;
    else throw new Error(`unknown argument: ${a}`);
  }
  return args;
}

/** geoip-lite's data folder, resolved exactly as geoip-lite resolves it (GEODATADIR honoured). */
function geoipDataDir() {
  let pkg;
  try {
    pkg = require.resolve('geoip-lite/package.json');
  } catch {
    return null;
  }
  return path.resolve(path.dirname(pkg), 'lib', global.geodatadir || process.env.GEODATADIR || '../data/');
}

/**
 * A cheap, content-based fingerprint of the source files: their sizes, 16 spread 4 KiB samples of
 * each, and city.checksum (which geoip-lite's updatedb rewrites). The gateway recomputes it at load in
 * about a millisecond (mtimes would not do: the Docker image installs node_modules and builds dist/ in
 * different stages). KEEP IN SYNC with sourceFingerprint() in gateway/signals/geo/compact-db.ts (the
 * test builds with this one and loads with that one).
 */
function sourceFingerprint(dir) {
  const h = crypto.createHash('sha256');
  h.update('portcullis-geo-fingerprint-1\n');
  const block = Buffer.alloc(4096);
  for (const name of SOURCES) {
    let fd;
    try {
      fd = fs.openSync(path.join(dir, name), 'r');
    } catch {
      h.update(`${name}:missing\n`);
      continue;
    }
    try {
      const size = fs.fstatSync(fd).size;
      h.update(`${name}:${size}\n`);
      for (let i = 0; i < 16; i++) {
        const off = size <= 4096 ? 0 : Math.floor((i * (size - 4096)) / 15);
        const n = fs.readSync(fd, block, 0, Math.min(4096, size - off), off);
        h.update(block.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  let checksum;
  try {
    checksum = fs.readFileSync(path.join(dir, 'city.checksum'));
  } catch {
    checksum = Buffer.from('missing');
  }
  h.update('city.checksum:');
  h.update(checksum);
  return h.digest();
}

/** True when `file` is an intact output of this very script from the sources in `dir`. */
function upToDate(file, dir, scriptHash) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return false;
  }
  return (
    buf.length >= HEADER_BYTES &&
    buf.subarray(0, 8).equals(MAGIC) &&
    buf.readUInt32LE(8) === VERSION &&
    buf.readUInt32LE(16) === buf.length &&
    buf.subarray(152, 160).equals(scriptHash) &&
    buf.subarray(56, 88).equals(sourceFingerprint(dir)) &&
    buf.subarray(120, 152).equals(crypto.createHash('sha256').update(buf.subarray(HEADER_BYTES)).digest())
  );
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (os.endianness() !== 'LE') throw new Error('build-geo: writes the little-endian format with typed arrays; run it on a little-endian host');
  const started = process.hrtime.bigint();
  const dir = geoipDataDir();
  const files = dir && SOURCES.map((n) => path.join(dir, n));
  if (!files || !files.every((f) => fs.existsSync(f))) {
    console.warn(
      `build-geo: geoip-lite's city data not found${dir ? ` in ${dir}` : ''}; no compact geo database ` +
        'written (the gateway falls back to geoip-lite, or to "unknown" without it)',
    );
    return;
  }
  const mb = (n) => (n / 1048576).toFixed(1);
  const shown = path.relative(process.cwd(), args.out) || args.out;
  const scriptHash = crypto.createHash('sha256').update(fs.readFileSync(__filename)).digest().subarray(0, 8);
  if (!args.force && upToDate(args.out, dir, scriptHash)) {
    if (!args.quiet) console.log(`build-geo: ${shown} is up to date (${mb(fs.statSync(args.out).size)} MB)`);
    return;
  }
  const city = fs.readFileSync(files[0]);
  const city6 = fs.readFileSync(files[1]);
  const names = fs.readFileSync(files[2]);
  if (city.length % REC4 !== 0 || city6.length % REC6 !== 0 || city.length === 0 || city6.length === 0) {
    throw new Error('build-geo: geoip-lite city files have an unexpected size (format changed?)');
  }
  const fullHash = crypto.createHash('sha256').update(city).update(city6).update(names).digest();

  // ---- Locations: deduplicated on what lookupGeo() returns ------------------------------------------
  const countries = ['']; // index 0: unknown / not a two-letter code
  const countryIndex = new Map([['', 0]]);
  let nl = 1; // location 0: unknown
  let locCap = 1 << 16;
  let locLat = new Int32Array(locCap);
  let locLon = new Int32Array(locCap);
  let locArea = new Uint32Array(locCap);
  let locCountry = new Uint16Array(locCap);
  let locNext = new Int32Array(locCap); // chain of locations sharing a hash bucket
  const locHead = new Map(); // hash of (lat, lon) -> first location in its chain
  // geoip-lite locId -> country index + 2 (0: not computed yet, 1: reading it throws)
  const countryOfLocId = new Int32Array(Math.ceil(names.length / LOC));

  function countryFor(locId) {
    const known = locId < countryOfLocId.length ? countryOfLocId[locId] : 0;
    if (known !== 0) return known - 2;
    let c;
    const off = locId * LOC;
    try {
      // The same reads geoip-lite makes (the metro read is the one that throws past the end of the
      // names file, which lookupGeo turns into "unknown").
      const text = names.toString('utf8', off, off + 2).replace(/\u0000.*/, '');
      names.readInt32BE(off + 5);
      // lookupGeo's mapping: anything but two capital letters is ''.
      const code = /^[A-Z]{2}$/.test(text) ? text : '';
      c = countryIndex.get(code);
      if (c === undefined) {
        c = countries.length;
        countries.push(code);
        countryIndex.set(code, c);
      }
    } catch {
      c = -1;
    }
    if (locId < countryOfLocId.length) countryOfLocId[locId] = c + 2;
    return c;
  }

  function location(country, lat, lon, area) {
    const hash = lat * 4194304 + lon; // collisions are harmless: the chain compares every field
    const head = locHead.get(hash);
    for (let i = head === undefined ? -1 : head; i >= 0; i = locNext[i]) {
      if (locLat[i] === lat && locLon[i] === lon && locArea[i] === area && locCountry[i] === country) return i;
    }
    if (nl === locCap) {
      locCap *= 2;
      const grow = (a) => {
        const b = new a.constructor(locCap);
        b.set(a);
        return b;
      };
      locLat = grow(locLat);
      locLon = grow(locLon);
      locArea = grow(locArea);
      locCountry = grow(locCountry);
      locNext = grow(locNext);
    }
    const i = nl++;
    locLat[i] = lat;
    locLon[i] = lon;
    locArea[i] = area;
    locCountry[i] = country;
    locNext[i] = head === undefined ? -1 : head;
    locHead.set(hash, i);
    return i;
  }

  /** What lookupGeo() answers for each record of a city file, as location indices (0 = unknown). */
  function answers(buf, recSize, at) {
    const n = buf.length / recSize;
    const out = new Uint32Array(n);
    let pLoc = -1;
    let pLat = 0;
    let pLon = 0;
    let pArea = 0;
    let pAnswer = 0;
    for (let r = 0; r < n; r++) {
      const base = r * recSize + at;
      const locId = buf.readUInt32BE(base);
      const lat = buf.readInt32BE(base + 4);
      const lon = buf.readInt32BE(base + 8);
      const area = buf.readUInt32BE(base + 12);
      if (locId === pLoc && lat === pLat && lon === pLon && area === pArea) {
        out[r] = pAnswer; // neighbours very often share a place
        continue;
      }
      let a;
      if (locId === NO_LOCATION) {
        // geoip-lite leaves ll = [null, null] for IPv4 but [0, 0] for IPv6; lookupGeo reads both as
        // unknown (a place "at 0,0 with no country" would make travel from anywhere look impossible).
        a = 0;
      } else {
        const c = countryFor(locId);
        // lat/lon are always finite (int / 10000), so the place is known whatever the country.
        a = c < 0 ? 0 : location(c, lat, lon, area);
      }
      out[r] = a;
      pLoc = locId;
      pLat = lat;
      pLon = lon;
      pArea = area;
      pAnswer = a;
    }
    return out;
  }

  // ---- IPv4 --------------------------------------------------------------------------------------------
  const n4 = city.length / REC4;
  const S4 = new Uint32Array(n4);
  const E4 = new Uint32Array(n4);
  for (let r = 0; r < n4; r++) {
    S4[r] = city.readUInt32BE(r * REC4);
    E4[r] = city.readUInt32BE(r * REC4 + 4);
  }
  const first4 = S4[0];
  const last4 = E4[n4 - 1];
  const answer4 = answers(city, REC4, 8);

  // A faithful copy of geoip-lite's lookup4(): record index, or -1 for null.
  function search4(ip) {
    if (ip > last4 || ip < first4) return -1;
    for (let i = 0; i < PRIVATE4.length; i++) if (ip >= PRIVATE4[i][0] && ip <= PRIVATE4[i][1]) return -1;
    let fline = 0;
    let cline = n4 - 1;
    for (;;) {
      const line = Math.round((cline - fline) / 2) + fline;
      const floor = S4[line];
      const ceil = E4[line];
      if (floor <= ip && ceil >= ip) return line;
      else if (fline === cline) return -1;
      else if (fline === cline - 1) {
        if (line === fline) fline = cline;
        else cline = fline;
      } else if (floor > ip) cline = line;
      else if (ceil < ip) fline = line;
    }
  }

  const points4 = new Float64Array(2 * n4 + 3 + 2 * PRIVATE4.length);
  let np = 0;
  points4[np++] = 0;
  points4[np++] = first4;
  points4[np++] = last4 + 1;
  for (const [a, b] of PRIVATE4) {
    points4[np++] = a;
    points4[np++] = b + 1;
  }
  for (let r = 0; r < n4; r++) {
    points4[np++] = S4[r];
    points4[np++] = E4[r] + 1;
  }
  const sorted4 = points4.subarray(0, np).sort();
  const v4Start = new Uint32Array(sorted4.length);
  const v4Loc = new Uint32Array(sorted4.length);
  let m4 = 0;
  for (let k = 0; k < sorted4.length; k++) {
    const p = sorted4[k];
    if (p > 0xffffffff || (k > 0 && p === sorted4[k - 1])) continue;
    const r = search4(p);
    const loc = r < 0 ? 0 : answer4[r];
    if (m4 === 0 || v4Loc[m4 - 1] !== loc) {
      v4Start[m4] = p;
      v4Loc[m4++] = loc;
    }
  }

  // ---- IPv6 (keys: the top 64 bits, as two 32-bit words) -----------------------------------------------
  const n6 = city6.length / REC6;
  const SH = new Uint32Array(n6);
  const SL = new Uint32Array(n6);
  const EH = new Uint32Array(n6);
  const EL = new Uint32Array(n6);
  const points6 = new BigUint64Array(2 * n6 + 2);
  let nq = 0;
  for (let r = 0; r < n6; r++) {
    const o = r * REC6;
    SH[r] = city6.readUInt32BE(o);
    SL[r] = city6.readUInt32BE(o + 4);
    EH[r] = city6.readUInt32BE(o + 16);
    EL[r] = city6.readUInt32BE(o + 20);
    points6[nq++] = city6.readBigUInt64BE(o);
    const end = city6.readBigUInt64BE(o + 16);
    if (end !== 0xffffffffffffffffn) points6[nq++] = end + 1n; // (this includes the last record's end)
  }
  points6[nq++] = 0n; // (the first record's start is in already)
  const firstH = SH[0];
  const firstL = SL[0];
  const lastH = EH[n6 - 1];
  const lastL = EL[n6 - 1];
  const answer6 = answers(city6, REC6, 32);

  const cmp = (ah, al, bh, bl) => (ah < bh ? -1 : ah > bh ? 1 : al < bl ? -1 : al > bl ? 1 : 0);
  // A faithful copy of geoip-lite's lookup6() on the top 64 bits: record index, or -1 for null.
  function search6(h, l) {
    if (cmp(h, l, lastH, lastL) > 0 || cmp(h, l, firstH, firstL) < 0) return -1;
    let fline = 0;
    let cline = n6 - 1;
    for (;;) {
      const line = Math.round((cline - fline) / 2) + fline;
      if (cmp(SH[line], SL[line], h, l) <= 0 && cmp(EH[line], EL[line], h, l) >= 0) return line;
      else if (fline === cline) return -1;
      else if (fline === cline - 1) {
        if (line === fline) fline = cline;
        else cline = fline;
      } else if (cmp(SH[line], SL[line], h, l) > 0) cline = line;
      else if (cmp(EH[line], EL[line], h, l) < 0) fline = line;
    }
  }

  const sorted6 = points6.subarray(0, nq).sort();
  const v6Hi = new Uint32Array(sorted6.length);
  const v6Lo = new Uint32Array(sorted6.length);
  const v6Loc = new Uint32Array(sorted6.length);
  let m6 = 0;
  for (let k = 0; k < sorted6.length; k++) {
    const p = sorted6[k];
    if (k > 0 && p === sorted6[k - 1]) continue;
    const h = Number(p >> 32n);
    const l = Number(p & 0xffffffffn);
    const r = search6(h, l);
    const loc = r < 0 ? 0 : answer6[r];
    if (m6 === 0 || v6Loc[m6 - 1] !== loc) {
      v6Hi[m6] = h;
      v6Lo[m6] = l;
      v6Loc[m6++] = loc;
    }
  }

  // ---- IPv4 bucket index: entries whose start is in each /16 ---------------------------------------------
  // bucket[b] = the first entry whose start >= b << 16 (bucket[65536] = m4). Entries then store only the
  // low 16 bits of their start: half the size, and a lookup searches ~36 entries instead of 2 million.
  const bucket = new Uint32Array(65537);
  for (let b = 0, i = 0; b <= 65536; b++) {
    while (i < m4 && v4Start[i] < b * 65536) i++;
    bucket[b] = i;
  }

  // ---- Write -------------------------------------------------------------------------------------------
  if (countries.length > 256) throw new Error('build-geo: more than 255 countries (format limit)');
  if (nl > 1 << 24) throw new Error('build-geo: more than 2^24 locations (format limit)');
  for (let i = 0; i < nl; i++) {
    if (locArea[i] > 0xffff) throw new Error('build-geo: an accuracy radius above 65535 km (format limit)');
  }
  const align4 = (n) => (n + 3) & ~3;
  const nc = countries.length;
  const layout = [
    ['countries', align4(nc * 2)],
    ['locLat', nl * 4],
    ['locLon', nl * 4],
    ['locArea', align4(nl * 2)],
    ['locCountry', align4(nl)],
    ['v4Bucket', 65537 * 4],
    ['v4StartLow', align4(m4 * 2)],
    ['v4Loc', align4(m4 * 3)],
    ['v6Hi', m6 * 4],
    ['v6Lo', m6 * 4],
    ['v6Loc', align4(m6 * 3)],
  ];
  const total = HEADER_BYTES + layout.reduce((a, [, n]) => a + n, 0);
  const ab = new ArrayBuffer(total);
  const out = Buffer.from(ab);
  const at = {};
  let o = HEADER_BYTES;
  for (const [name, n] of layout) {
    at[name] = o;
    o += n;
  }
  // Typed arrays are host-endian; the format is little-endian (checked at the top of main()).
  for (let i = 0; i < nc; i++) out.write(countries[i].padEnd(2, '\0'), at.countries + 2 * i, 'latin1');
  new Int32Array(ab, at.locLat, nl).set(locLat.subarray(0, nl));
  new Int32Array(ab, at.locLon, nl).set(locLon.subarray(0, nl));
  new Uint16Array(ab, at.locArea, nl).set(locArea.subarray(0, nl));
  new Uint8Array(ab, at.locCountry, nl).set(locCountry.subarray(0, nl));
  new Uint32Array(ab, at.v4Bucket, 65537).set(bucket);
  new Uint16Array(ab, at.v4StartLow, m4).set(v4Start.subarray(0, m4)); // (keeps the low 16 bits)
  const put24 = (offset, values, n) => {
    for (let i = 0, j = offset; i < n; i++, j += 3) {
      const v = values[i];
      out[j] = v & 0xff;
      out[j + 1] = (v >>> 8) & 0xff;
      out[j + 2] = v >>> 16;
    }
  };
  put24(at.v4Loc, v4Loc, m4);
  new Uint32Array(ab, at.v6Hi, m6).set(v6Hi.subarray(0, m6));
  new Uint32Array(ab, at.v6Lo, m6).set(v6Lo.subarray(0, m6));
  put24(at.v6Loc, v6Loc, m6);

  MAGIC.copy(out, 0);
  out.writeUInt32LE(VERSION, 8);
  out.writeUInt32LE(HEADER_BYTES, 12);
  out.writeUInt32LE(total, 16);
  out.writeUInt32LE(nc, 20);
  out.writeUInt32LE(nl, 24);
  out.writeUInt32LE(m4, 28);
  out.writeUInt32LE(m6, 32);
  out.writeUInt32LE(city.length, 40);
  out.writeUInt32LE(city6.length, 44);
  out.writeUInt32LE(names.length, 48);
  sourceFingerprint(dir).copy(out, 56);
  fullHash.copy(out, 88);
  crypto.createHash('sha256').update(out.subarray(HEADER_BYTES)).digest().copy(out, 120);
  scriptHash.copy(out, 152);

  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  const tmp = `${args.out}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, out);
  fs.renameSync(tmp, args.out);

  if (!args.quiet) {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(
      `build-geo: geoip-lite city data ${mb(city.length + city6.length + names.length)} MB → ${shown} ` +
        `${mb(total)} MB (IPv4 ${m4} ranges from ${n4} records, IPv6 ${m6} from ${n6}, ` +
        `${nl - 1} places; ${(ms / 1000).toFixed(1)} s)`,
    );
  }
}

module.exports = { sourceFingerprint, geoipDataDir };

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
