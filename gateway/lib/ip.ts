/**
 * Addresses as the gateway counts them: one spelling per address (IPv4-mapped IPv6 folded to IPv4,
 * IPv6 compressed and lower-cased), and a prefix per address so that an attacker who owns a whole
 * IPv6 /64 is counted as one source.
 */
import { BlockList, isIP } from 'node:net';

/** The canonical spelling of an address, or '' when it is not one. */
export function normalizeIp(raw: string | undefined): string {
  if (!raw) return '';
  let s = raw.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    s = end > 0 ? s.slice(1, end) : s;
  }
  const zone = s.indexOf('%');
  if (zone > 0) s = s.slice(0, zone);
  const family = isIP(s);
  if (family === 4) return s;
  if (family !== 6) return '';
  const lower = s.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  const groups = expandIpv6(lower);
  // IPv4-mapped in any spelling (::ffff:808:808, 0:0:0:0:0:ffff:8.8.8.8): the IPv4 client it is, so
  // that it counts, blocks and locates as that address.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return compressIpv6(groups);
}

/**
 * A normalised IPv6 address written out in full (eight groups, no "::"): for readers that mis-expand
 * "::", such as geoip-lite's aton6 ("2001:db8::1" read as 2001:db8:0:1:…, in another /64).
 */
export function fullIpv6(addr: string): string {
  return expandIpv6(addr).map((g) => g.toString(16)).join(':');
}

/** Eight 16-bit groups of an IPv6 address (which must be valid). */
function expandIpv6(addr: string): number[] {
  let head = addr;
  let tailV4: number[] = [];
  const lastColon = addr.lastIndexOf(':');
  const maybeV4 = addr.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const o = maybeV4.split('.').map(Number);
    tailV4 = [(o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!];
    head = addr.slice(0, lastColon + 1) + '0'; // placeholder group, removed below
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const l = left ? left.split(':').map((g) => parseInt(g, 16)) : [];
  const r = right !== undefined && right !== '' ? right.split(':').map((g) => parseInt(g, 16)) : [];
  if (tailV4.length) (r.length ? r : l).pop();
  const groupsWanted = 8 - tailV4.length;
  const fill = right !== undefined ? new Array(groupsWanted - l.length - r.length).fill(0) : [];
  return [...l, ...fill, ...r, ...tailV4];
}

/** RFC 5952 text form. */
function compressIpv6(g: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The network an address belongs to, as `addr/len`, for counting by prefix. '' for a non-address. */
export function ipPrefix(ip: string, prefix: { v4: number; v6: number }): string {
  const family = isIP(ip);
  if (family === 4) {
    const n = ip.split('.').reduce((acc, o) => (acc << 8) | Number(o), 0) >>> 0;
    const mask = prefix.v4 === 0 ? 0 : (~0 << (32 - prefix.v4)) >>> 0;
    const net = (n & mask) >>> 0;
    return `${[net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join('.')}/${prefix.v4}`;
  }
  if (family === 6) {
    const g = expandIpv6(ip.toLowerCase());
    let bits = prefix.v6;
    const out = g.map((x) => {
      const keep = Math.max(0, Math.min(16, bits));
      bits -= 16;
      return keep === 0 ? 0 : x & ((0xffff << (16 - keep)) & 0xffff);
    });
    return `${compressIpv6(out)}/${prefix.v6}`;
  }
  return '';
}

/** A set of CIDRs, matched with node's own BlockList (both families). */
export class CidrSet {
  private readonly list = new BlockList();
  readonly size: number;
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const parsed = parseCidr(c);
      if (!parsed) throw new RangeError(`not a CIDR: ${c}`);
      this.list.addSubnet(parsed.net, parsed.len, parsed.family === 4 ? 'ipv4' : 'ipv6');
    }
    this.size = cidrs.length;
  }
  has(ip: string): boolean {
    if (this.size === 0) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Null when malformed. */
export function parseCidr(cidr: string): { net: string; len: number; family: 4 | 6 } | null {
  const [addr, lenText, extra] = cidr.trim().split('/');
  if (extra !== undefined || !addr) return null;
  const net = normalizeIp(addr);
  const family = isIP(net);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  if (lenText === undefined) return { net, len: max, family };
  if (!/^\d{1,3}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > max) return null;
  return { net, len, family };
}
