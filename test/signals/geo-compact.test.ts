/**
 * The compact geo database (scripts/build-geo.js -> geo-compact.bin, read by compact-db.ts) answers
 * exactly as geoip-lite does through lookupGeo, for every kind of address; a stale or corrupt file is
 * refused (geoip-lite then answers); and it is much smaller in memory.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { geoipLiteDataDir, sourceFingerprint } from '../../gateway/signals/geo/compact-db';
import { openGeoDatabase, UNKNOWN_GEO, type GeoDatabase, type GeoLocation } from '../../gateway/signals/geo/lookup';

const root = path.resolve(__dirname, '..', '..');
const builder = path.join(root, 'scripts', 'build-geo.js');
const dataDir = geoipLiteDataDir();
const haveData = dataDir !== null && fs.existsSync(path.join(dataDir, 'geoip-city.dat'));

// Deterministic, so that a failure can be reproduced.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dotted = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
/** Eight groups, uncompressed (normalizeIp compresses them, as it does any input). */
const v6text = (groups: readonly number[]): string => groups.map((g) => g.toString(16)).join(':');
/** Groups of a 64-bit prefix (as a bigint) followed by the given low groups. */
const v6groups = (hi64: bigint, low: readonly number[]): number[] => [
  Number((hi64 >> 48n) & 0xffffn),
  Number((hi64 >> 32n) & 0xffffn),
  Number((hi64 >> 16n) & 0xffffn),
  Number(hi64 & 0xffffn),
  ...low,
];

const WELL_KNOWN = [
  '8.8.8.8', '8.8.4.4', '1.1.1.1', '1.0.0.1', '9.9.9.9', '81.2.69.142', '208.67.222.222', '4.2.2.2',
  '0.0.0.0', '0.255.255.255', '1.0.0.0', '255.255.255.255', '224.0.0.1', '100.64.0.1', '169.254.1.1',
  '10.0.0.0', '10.255.255.255', '11.0.0.0', '9.255.255.255', '172.15.255.255', '172.16.0.0', '172.31.255.255',
  '172.32.0.0', '192.167.255.255', '192.168.0.0', '192.168.255.255', '192.169.0.0', '127.0.0.1', '127.255.255.255',
  '192.0.2.1', '198.51.100.7', '203.0.113.5', '100.127.255.255',
  '::', '::1', '::2', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12:3456::1', 'ff02::1', '2001:db8::1', '2001:db8:1:2::',
  '2001:4860:4860::8888', '2001:4860:4860::8844', '2606:4700:4700::1111', '2620:fe::fe', '2a00:1450:4001:81c::200e',
  '2a03:2880:f12f:83:face:b00c:0:25de', '2600::', '2c0f:ffff:ffff:ffff::', '3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  '2002:808:808::1', '64:ff9b::8.8.8.8', '64:ff9b::808:808', '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2',
  '::ffff:8.8.8.8', '::FFFF:8.8.8.8', '::ffff:808:808', '0:0:0:0:0:ffff:8.8.8.8', '0:0:0:0:0:ffff:808:808',
  '::ffff:0:0', '::ffff:0:1', '::ffff:ffff:ffff', '::ffff:1:2:3', '::ffff:10.0.0.1', '::ffff:c0a8:101', '::ffff:5102:458e',
  '[2001:4860:4860::8888]', ' 8.8.8.8 ', '::8.8.8.8', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6::', '::2:3:4:5:6:7:8', '1::8',
  '', 'not-an-ip', '999.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', ':::', '2001:db8:::1', 'gggg::1',
];

(haveData ? describe : describe.skip)('compact geo database', () => {
  let tmp: string;
  let file: string;
  let compact: GeoDatabase;
  let reference: GeoDatabase;
  let buildLine: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'geo-compact-'));
    file = path.join(tmp, 'geo-compact.bin');
    buildLine = execFileSync(process.execPath, [builder, '--out', file], { encoding: 'utf8' }).trim();
    compact = openGeoDatabase({ compactFiles: [file] });
    reference = openGeoDatabase({ compactFiles: [] });
  }, 120_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is built, with one line of sizes, and loads', () => {
    process.stdout.write(`${buildLine}\n`);
    expect(buildLine).toMatch(/MB → .* MB/);
    expect(compact.kind).toBe('compact');
    expect(compact.rejected).toEqual([]);
    expect(reference.kind).toBe('geoip-lite');
    // A second build leaves the current file alone (the build runs before every `npm test`).
    expect(execFileSync(process.execPath, [builder, '--out', file], { encoding: 'utf8' })).toMatch(/is up to date/);
  });

  it('fingerprints the sources the same way in the build script and in the gateway', () => {
    const js = require(builder) as { sourceFingerprint(dir: string): Buffer };
    expect(js.sourceFingerprint(dataDir!).equals(sourceFingerprint(dataDir!))).toBe(true);
  });

  it('answers exactly as geoip-lite does, for 200,000+ addresses', () => {
    const city = fs.readFileSync(path.join(dataDir!, 'geoip-city.dat'));
    const city6 = fs.readFileSync(path.join(dataDir!, 'geoip-city6.dat'));
    const rand = prng(20260115);
    const u32 = (): number => Math.floor(rand() * 4294967296) >>> 0;
    const g16 = (): number => Math.floor(rand() * 65536);
    const addrs: string[] = [...WELL_KNOWN];

    // Random IPv4 across the whole space.
    for (let i = 0; i < 60_000; i++) addrs.push(dotted(u32()));
    // Random IPv6 in 2000::/3; a third with zero groups, so that "::" lands anywhere when normalised.
    for (let i = 0; i < 60_000; i++) {
      const g = Array.from({ length: 8 }, g16);
      g[0] = 0x2000 | (g[0]! & 0x1fff);
      if (i % 3 === 0) for (let j = 1; j < 8; j++) if (rand() < 0.35) g[j] = 0;
      addrs.push(v6text(g));
    }
    // IPv4-mapped, in every spelling (normalizeIp folds the dotted ones; geoip-lite reads the others its way).
    for (let i = 0; i < 3_000; i++) {
      const n = u32();
      addrs.push(`::ffff:${dotted(n)}`, `::ffff:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`);
      addrs.push(`0:0:0:0:0:ffff:${dotted(n)}`);
    }

    // Edges of IPv4 ranges: start, end and both outer neighbours of one record in every 128 (at
    // random), the first and last ones, and those around the private ranges.
    const n4 = city.length / 24;
    const pick4 = new Set<number>([0, 1, n4 - 2, n4 - 1]);
    for (let r = 0; r < n4; r += 128) pick4.add(Math.min(n4 - 1, r + Math.floor(rand() * 128)));
    for (let r = 1; r < n4; r++) {
      const prevEnd = city.readUInt32BE(r * 24 - 20);
      const start = city.readUInt32BE(r * 24);
      for (const p of [0x0a000000, 0xac100000, 0xc0a80000, 0x7f000000]) {
        if (prevEnd < p + 0x1000000 && start >= p - 1) pick4.add(r - 1).add(r);
      }
    }
    for (const r of pick4) {
      const s = city.readUInt32BE(r * 24);
      const e = city.readUInt32BE(r * 24 + 4);
      addrs.push(dotted(s), dotted(e));
      if (s > 0) addrs.push(dotted(s - 1));
      if (e < 0xffffffff) addrs.push(dotted(e + 1));
    }

    // Edges of IPv6 ranges (the key is the top 64 bits): one record in every 100, and every nested range (a
    // record starting before the previous one ends) with its neighbours, where geoip-lite's binary
    // search answers by the path it takes.
    const n6 = city6.length / 48;
    const pick6 = new Set<number>([0, n6 - 1]);
    let nested = 0;
    for (let r = 0; r < n6; r += 100) pick6.add(Math.min(n6 - 1, r + Math.floor(rand() * 100)));
    for (let r = 1; r < n6; r++) {
      if (city6.readBigUInt64BE(r * 48) <= city6.readBigUInt64BE(r * 48 - 32)) {
        nested++;
        for (let k = Math.max(0, r - 3); k <= Math.min(n6 - 1, r + 3); k++) pick6.add(k);
      }
    }
    expect(nested).toBeGreaterThan(0); // (the data has some: this test covers them)
    const low = (): number[] => [1 + (g16() % 0xfffe), 1 + (g16() % 0xfffe), g16(), 1 + (g16() % 0xfffe)];
    const MAX64 = 0xffffffffffffffffn;
    for (const r of pick6) {
      const s = city6.readBigUInt64BE(r * 48);
      const e = city6.readBigUInt64BE(r * 48 + 16);
      for (const k of [s, e, s - 1n, e + 1n, (s + e) / 2n]) {
        if (k < 0n || k > MAX64) continue;
        addrs.push(v6text(v6groups(k, low())), v6text(v6groups(k, [0, 0, 0, 0])), v6text(v6groups(k, [0xffff, 0xffff, 0xffff, 0xffff])));
      }
    }

    expect(addrs.length).toBeGreaterThan(200_000);
    const differences: string[] = [];
    let known = 0;
    for (const a of addrs) {
      const want = reference.lookup(a);
      const got = compact.lookup(a);
      if (want.known) known++;
      if (!same(got, want)) differences.push(`${JSON.stringify(a)}: compact ${JSON.stringify(got)}, geoip-lite ${JSON.stringify(want)}`);
    }
    process.stdout.write(`geo-compact: ${addrs.length} addresses compared (${known} known), ${differences.length} differ\n`);
    expect(differences.slice(0, 20)).toEqual([]);
    expect(known).toBeGreaterThan(addrs.length / 3);
  }, 180_000);

  it('answers as lookupGeo did for mapped, private and loopback addresses', () => {
    expect(compact.lookup('8.8.8.8').country).toBe('US');
    expect(compact.lookup('::ffff:8.8.8.8')).toEqual(compact.lookup('8.8.8.8'));
    expect(compact.lookup('81.2.69.142').country).toBe('GB');
    for (const ip of ['10.1.2.3', '172.16.5.4', '192.168.0.1', '127.0.0.1', '::1', 'fe80::1', '203.0.113.5', '1.1.1.1', 'not-an-ip', '', '999.1.1.1', '::ffff:10.0.0.1']) {
      expect(compact.lookup(ip)).toBe(UNKNOWN_GEO);
    }
  });

  describe('refuses a file it cannot trust, and geoip-lite answers instead', () => {
    const variant = (name: string, change: (b: Buffer) => Buffer): string => {
      const f = path.join(tmp, name);
      fs.writeFileSync(f, change(Buffer.from(fs.readFileSync(file))));
      return f;
    };
    const refused = (f: string, reason: RegExp, geoipDataDir?: string | null): void => {
      const db = openGeoDatabase(geoipDataDir === undefined ? { compactFiles: [f] } : { compactFiles: [f], geoipDataDir });
      expect(db.kind).toBe('geoip-lite');
      expect(db.rejected).toHaveLength(1);
      expect(db.rejected[0]).toMatch(reason);
      expect(db.lookup('8.8.8.8').country).toBe('US');
    };

    it('corrupt: one byte changed in the tables', () => {
      refused(variant('flip.bin', (b) => ((b[b.length >> 1] ^= 0x10), b)), /corrupt/);
    });
    it('truncated, or cut to less than a header', () => {
      refused(variant('short.bin', (b) => b.subarray(0, b.length - 4096)), /size/);
      refused(variant('tiny.bin', (b) => b.subarray(0, 100)), /truncated/);
    });
    it('another format or version', () => {
      refused(variant('magic.bin', (b) => (b.write('XXXX', 0, 'latin1'), b)), /magic/);
      refused(variant('version.bin', (b) => (b.writeUInt32LE(99, 8), b)), /version 99/);
    });
    it('stale: built from other geoip-lite data', () => {
      const stale = variant('stale.bin', (b) => ((b[60] ^= 1), b));
      refused(stale, /stale/);
      // Other data in the folder geoip-lite reads (GEODATADIR): the real file is stale against it.
      const other = path.join(tmp, 'other-data');
      fs.mkdirSync(other, { recursive: true });
      for (const n of ['geoip-city.dat', 'geoip-city6.dat', 'geoip-city-names.dat']) fs.writeFileSync(path.join(other, n), Buffer.alloc(4800, 1));
      refused(file, /stale/, other);
      // With no source data to compare with (geoip-lite's data not installed), the file is used as is.
      expect(openGeoDatabase({ compactFiles: [stale], geoipDataDir: null }).kind).toBe('compact');
      expect(openGeoDatabase({ compactFiles: [stale], geoipDataDir: path.join(tmp, 'nowhere') }).kind).toBe('compact');
    });
    it('an absent file is no error: the next candidate, then geoip-lite', () => {
      const absent = path.join(tmp, 'absent.bin');
      expect(openGeoDatabase({ compactFiles: [absent] })).toMatchObject({ kind: 'geoip-lite', rejected: [] });
      expect(openGeoDatabase({ compactFiles: [absent, file] })).toMatchObject({ kind: 'compact', file });
    });
  });

  it('takes far less memory than geoip-lite (RSS of a process that loads each)', () => {
    // compact-db.ts has no import of ours: transpiled alone, a plain `node -e` can load it.
    const { transformSync } = require('@swc/core') as typeof import('@swc/core');
    const src = fs.readFileSync(path.join(root, 'gateway', 'signals', 'geo', 'compact-db.ts'), 'utf8');
    const js = transformSync(src, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }).code;
    const reader = path.join(tmp, 'compact-db.js');
    fs.writeFileSync(reader, js);
    const rss = "(require('node:fs').readFileSync('/proc/self/status','utf8').match(/VmRSS:\\s+(\\d+)/)||[0,0])[1]";
    const measure = (code: string): number =>
      Number(execFileSync(process.execPath, ['-e', `${code}; process.stdout.write(String(${rss}))`], { encoding: 'utf8', cwd: root })) / 1024;
    const baseline = measure('0');
    const geoip = measure("if (require('geoip-lite').lookup('8.8.8.8').country !== 'US') throw new Error('geoip-lite')");
    const small = measure(
      `const db = require(${JSON.stringify(reader)}).CompactGeoDb.open(${JSON.stringify(file)}, ${JSON.stringify(dataDir)});` +
        "if (db.country(db.find('8.8.8.8')) !== 'US') throw new Error('compact')",
    );
    process.stdout.write(
      `geo RSS after load: node ${baseline.toFixed(0)} MB, geoip-lite ${geoip.toFixed(0)} MB (+${(geoip - baseline).toFixed(0)}), ` +
        `compact ${small.toFixed(0)} MB (+${(small - baseline).toFixed(0)}); file ${(fs.statSync(file).size / 1048576).toFixed(1)} MB\n`,
    );
    expect(small).toBeLessThan(geoip);
  }, 60_000);
});

function same(a: GeoLocation, b: GeoLocation): boolean {
  return (
    a.known === b.known &&
    a.country === b.country &&
    Object.is(a.lat, b.lat) &&
    Object.is(a.lon, b.lon) &&
    Object.is(a.accuracyKm, b.accuracyKm)
  );
}
