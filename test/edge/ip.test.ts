import { CidrSet, ipPrefix, normalizeIp, parseCidr } from '../../gateway/lib/ip';

describe('normalizeIp', () => {
  test.each([
    ['192.0.2.7', '192.0.2.7'],
    [' 192.0.2.7 ', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:192.0.2.7', '192.0.2.7'],
    // IPv4-mapped in hex or fully written: the same IPv4 client (it counts, blocks and locates as one)
    ['::ffff:c000:207', '192.0.2.7'],
    ['0:0:0:0:0:ffff:192.0.2.7', '192.0.2.7'],
    ['[0:0:0:0:0:FFFF:C000:0207]', '192.0.2.7'],
    ['::fffe:c000:207', '::fffe:c000:207'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::1', '::1'],
    ['::', '::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['not-an-ip', ''],
    ['999.1.1.1', ''],
    ['', ''],
  ])('%s → %s', (raw, want) => {
    expect(normalizeIp(raw)).toBe(want);
  });
});

describe('ipPrefix groups an attacker by network', () => {
  test('IPv6 /64 by default: two addresses of one /64 share a prefix, another /64 does not', () => {
    const p = { v4: 24, v6: 64 };
    expect(ipPrefix('2001:db8:1:2:aaaa::1', p)).toBe('2001:db8:1:2::/64');
    expect(ipPrefix('2001:db8:1:2:ffff:ffff:ffff:ffff', p)).toBe('2001:db8:1:2::/64');
    expect(ipPrefix('2001:db8:1:3::1', p)).toBe('2001:db8:1:3::/64');
  });
  test('IPv4 /24 and other lengths', () => {
    expect(ipPrefix('203.0.113.77', { v4: 24, v6: 64 })).toBe('203.0.113.0/24');
    expect(ipPrefix('203.0.113.77', { v4: 16, v6: 64 })).toBe('203.0.0.0/16');
    expect(ipPrefix('203.0.113.77', { v4: 32, v6: 64 })).toBe('203.0.113.77/32');
    expect(ipPrefix('2001:db8:abcd:1234::1', { v4: 24, v6: 48 })).toBe('2001:db8:abcd::/48');
    expect(ipPrefix('2001:db8:abcd:1234::1', { v4: 24, v6: 56 })).toBe('2001:db8:abcd:1200::/56');
  });
  test('a non-address has no prefix', () => {
    expect(ipPrefix('', { v4: 24, v6: 64 })).toBe('');
  });
});

describe('CidrSet', () => {
  const set = new CidrSet(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1']);
  test.each([
    ['10.1.2.3', true],
    ['11.0.0.1', false],
    ['192.0.2.1', true],
    ['192.0.2.2', false],
    ['2001:db8:ffff::1', true],
    ['2001:db9::1', false],
    ['garbage', false],
  ])('%s in set: %s', (ip, want) => {
    expect(set.has(ip)).toBe(want);
  });
  test('rejects malformed CIDRs', () => {
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('10.0.0.0/8/1')).toBeNull();
    expect(parseCidr('nope/8')).toBeNull();
    expect(() => new CidrSet(['10.0.0.0/99'])).toThrow(/not a CIDR/);
  });
});
