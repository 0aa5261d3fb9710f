import {
  geoSignals,
  geoToRemember,
  greatCircleKm,
  IMPOSSIBLE_TRAVEL_KMH,
  lookupGeo,
  NO_GEO_HISTORY,
  travelKmh,
  type GeoHistory,
  type GeoLocation,
} from '../../gateway/signals';

const T0 = Date.UTC(2026, 0, 15, 12);
const MIN = 60_000;
const PARIS: GeoLocation = { known: true, country: 'FR', lat: 48.8566, lon: 2.3522, accuracyKm: 10 };
const SYDNEY: GeoLocation = { known: true, country: 'AU', lat: -33.8688, lon: 151.2093, accuracyKm: 10 };
const LYON: GeoLocation = { known: true, country: 'FR', lat: 45.764, lon: 4.8357, accuracyKm: 10 };
const NEW_YORK: GeoLocation = { known: true, country: 'US', lat: 40.7128, lon: -74.006, accuracyKm: 10 };

const after = (place: GeoLocation, atMs: number, countries: string[] = [place.country]): GeoHistory => ({
  countries: new Set(countries),
  lastSuccess: { atMs, lat: place.lat, lon: place.lon, country: place.country, accuracyKm: place.accuracyKm },
});

describe('lookupGeo', () => {
  it('knows a public address (8.8.8.8 is in the US)', () => {
    const g = lookupGeo('8.8.8.8');
    expect(g.known).toBe(true);
    expect(g.country).toBe('US');
    expect(Math.abs(g.lat)).toBeGreaterThan(0);
    expect(lookupGeo('::ffff:8.8.8.8').country).toBe('US');
    expect(lookupGeo('81.2.69.142').country).toBe('GB');
  });

  it('answers the same for every spelling of one address (a "::" early in IPv6, IPv4-mapped in hex)', () => {
    // geoip-lite's own parser reads "2001:550::1" as 2001:550:0:1::1, another /64 (its country, 1000 km,
    // instead of the city); lookupGeo asks with the address written out in full.
    const spellings = [
      ['2001:550::1', '2001:550:0:0:0:0:0:1', '2001:0550:0000:0000:0000:0000:0000:0001'],
      ['2a00:1450::200e', '2a00:1450:0:0:0:0:0:200e'],
      ['2001:4860:4860::8888', '2001:4860:4860:0:0:0:0:8888'],
      ['8.8.8.8', '::ffff:8.8.8.8', '::ffff:808:808', '0:0:0:0:0:ffff:808:808'],
    ];
    for (const group of spellings) {
      const answers = group.map((ip) => lookupGeo(ip));
      expect(answers[0]!.known).toBe(true);
      for (const a of answers) expect(a).toEqual(answers[0]);
    }
  });

  it.each(['10.1.2.3', '192.168.0.1', '127.0.0.1', '::1', 'fe80::1', '203.0.113.5', '1.1.1.1', 'not-an-ip', '', '999.1.1.1'])(
    '%s is unknown, with every value defined',
    (ip) => {
      expect(lookupGeo(ip)).toEqual({ known: false, country: '', lat: 0, lon: 0, accuracyKm: 0 });
    },
  );
});

describe('geo.travel_kmh', () => {
  it('measures great circles correctly (Paris–Sydney ~16,960 km, Paris–New York ~5,840 km)', () => {
    expect(greatCircleKm(PARIS, SYDNEY)).toBeGreaterThan(16_900);
    expect(greatCircleKm(PARIS, SYDNEY)).toBeLessThan(17_000);
    expect(greatCircleKm(PARIS, NEW_YORK)).toBeGreaterThan(5_800);
    expect(greatCircleKm(PARIS, NEW_YORK)).toBeLessThan(5_880);
  });

  it('a success in one country then another 9000 km away 10 minutes later is impossible travel', () => {
    const s = geoSignals(SYDNEY, after(PARIS, T0), T0 + 10 * MIN);
    expect(s.travel_kmh).toBeGreaterThan(1000);
    expect(s.travel_kmh).toBeGreaterThan(90_000); // ~17,000 km in 1/6 h
    expect(Number.isFinite(s.travel_kmh)).toBe(true);
  });

  it('a plausible trip is a plausible speed (Paris to Lyon by train in 2 hours: ~200 km/h)', () => {
    const s = geoSignals(LYON, after(PARIS, T0), T0 + 120 * MIN);
    expect(s.travel_kmh).toBeGreaterThan(150);
    expect(s.travel_kmh).toBeLessThan(250);
  });

  it('Paris to New York in 8 hours is a flight, not impossible', () => {
    expect(geoSignals(NEW_YORK, after(PARIS, T0), T0 + 8 * 60 * MIN).travel_kmh).toBeLessThan(1000);
  });

  it('under a minute apart with any distance: very large but finite', () => {
    expect(travelKmh(PARIS, T0, LYON, T0 + 30_000)).toBe(IMPOSSIBLE_TRAVEL_KMH);
    expect(travelKmh(PARIS, T0, LYON, T0)).toBe(IMPOSSIBLE_TRAVEL_KMH);
    expect(travelKmh(PARIS, T0 + 5000, LYON, T0)).toBe(IMPOSSIBLE_TRAVEL_KMH); // replica clocks disagree
  });

  it('no distance is no travel, however soon', () => {
    expect(travelKmh(PARIS, T0, PARIS, T0 + 1000)).toBe(0);
  });

  it("discounts geoip's accuracy radii (two centres of one country-level guess are no trip)", () => {
    const a: GeoLocation = { known: true, country: 'US', lat: 37.75, lon: -97.82, accuracyKm: 1000 };
    const b: GeoLocation = { known: true, country: 'US', lat: 39.0, lon: -94.6, accuracyKm: 50 };
    expect(geoSignals(b, after(a, T0), T0 + 5 * MIN).travel_kmh).toBe(0);
  });

  it('is 0 when the place or the last success is unknown', () => {
    expect(geoSignals(lookupGeo('10.0.0.1'), after(PARIS, T0), T0 + MIN).travel_kmh).toBe(0);
    expect(geoSignals(SYDNEY, NO_GEO_HISTORY, T0 + MIN).travel_kmh).toBe(0);
  });
});

describe('geo.new_country', () => {
  it('is true for a country the user never succeeded from', () => {
    expect(geoSignals(SYDNEY, after(PARIS, T0, ['FR', 'DE']), T0 + 30 * 86_400_000).new_country).toBe(true);
  });
  it('is false for a country seen before', () => {
    expect(geoSignals(LYON, after(PARIS, T0, ['FR']), T0 + 86_400_000).new_country).toBe(false);
  });
  it('is false when the user or the country is unknown', () => {
    expect(geoSignals(SYDNEY, NO_GEO_HISTORY, T0).new_country).toBe(false);
    expect(geoSignals(lookupGeo('192.168.1.1'), after(PARIS, T0), T0).new_country).toBe(false);
  });
});

describe('geoToRemember', () => {
  it('remembers the place and country of a success, and nothing for an unknown place', () => {
    expect(geoToRemember(SYDNEY, T0)).toEqual({
      country: 'AU',
      lastSuccess: { atMs: T0, lat: SYDNEY.lat, lon: SYDNEY.lon, country: 'AU', accuracyKm: 10 },
    });
    expect(geoToRemember(lookupGeo('10.0.0.1'), T0)).toBeUndefined();
  });
});
