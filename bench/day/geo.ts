/**
 * Real public addresses, by country, from the same GeoIP data the gateway reads (geoip-lite), so that
 * a person's laptop, phone and office all locate in their own country and impossible travel is never
 * faked by the generator. Drawn by sampling: a seeded random address is kept when its country is the
 * one wanted and it has a location; every address is handed out once (an attacker never shares an
 * address with an ordinary user by accident).
 */
import geoip from 'geoip-lite';
import type { Random } from './random';

/** Where the portals' companies are, and where attackers come from. */
export const HOME_COUNTRIES = ['DE', 'FR', 'GB', 'NL', 'PL', 'ES', 'IT', 'SE', 'US'] as const;
export const ATTACKER_COUNTRIES = ['BR', 'IN', 'VN', 'NG', 'ID', 'TR', 'RU', 'CN', 'US', 'UA'] as const;
/** A neighbour a person may travel to in a working day (well under the speed of an airliner). */
export const NEIGHBOUR: Readonly<Record<string, string>> = { DE: 'AT', FR: 'BE', GB: 'IE', NL: 'BE', PL: 'CZ', ES: 'PT', IT: 'CH', SE: 'DK', US: 'CA' };

function isPublic(a: number, b: number): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b < 32) return false;
  if (a === 192 && b === 168) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  return true;
}

export class AddressBook {
  private readonly used = new Set<string>();
  constructor(private readonly random: Random) {}

  /** A fresh public IPv4 address located in `country` (a city-level location). */
  address(country: string): string {
    for (let tries = 0; tries < 2_000_000; tries++) {
      const a = this.random.int(1, 223);
      const b = this.random.int(0, 255);
      if (!isPublic(a, b)) continue;
      const ip = `${a}.${b}.${this.random.int(0, 255)}.${this.random.int(1, 254)}`;
      if (this.used.has(ip)) continue;
      const hit = geoip.lookup(ip);
      if (hit?.country !== country || !hit.ll || (hit.ll[0] === 0 && hit.ll[1] === 0)) continue;
      this.used.add(ip);
      return ip;
    }
    throw new Error(`no address found in ${country}`);
  }

  /** `n` addresses of one network (a carrier's CGNAT or a cloud's egress): the same /24 as a first one. */
  network(country: string, n: number): string[] {
    const first = this.address(country);
    const prefix = first.slice(0, first.lastIndexOf('.') + 1);
    const out = [first];
    for (let host = 1; out.length < n && host < 255; host++) {
      const ip = `${prefix}${host}`;
      if (this.used.has(ip) || geoip.lookup(ip)?.country !== country) continue;
      this.used.add(ip);
      out.push(ip);
    }
    return out;
  }
}
