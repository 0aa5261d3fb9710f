import { randomBytes } from 'node:crypto';
import { BloomFilter, bloomFalsePositiveRate, bundledCommonPasswords } from '../../gateway/signals';

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${i}-${randomBytes(6).toString('hex')}`);

describe('Bloom filter', () => {
  const members = words(20_000, 'in');
  const filter = BloomFilter.build(members, 1e-4);

  it('finds every member (no false negatives)', () => {
    expect(members.filter((m) => !filter.has(m))).toEqual([]);
  });

  it('keeps its stated false-positive rate', () => {
    const others = words(200_000, 'out');
    const hits = others.filter((o) => filter.has(o)).length;
    expect(bloomFalsePositiveRate(filter.shape, members.length)).toBeLessThan(1.2e-4);
    expect(hits / others.length).toBeLessThan(4e-4); // expected ~1e-4, i.e. ~20 of 200,000
  });

  it('survives a round trip through its file format, and refuses a truncated file', () => {
    const bytes = filter.toBytes();
    const back = BloomFilter.fromBytes(bytes);
    expect(back.items).toBe(20_000);
    expect(members.every((m) => back.has(m))).toBe(true);
    expect(() => BloomFilter.fromBytes(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => BloomFilter.fromBytes(Buffer.from('not a filter'))).toThrow(/PCBLOOM1/);
  });
});

describe('the bundled common-password filter', () => {
  const list = bundledCommonPasswords();

  it('holds well-known entries from across the list', () => {
    // Ranks 1-2, ~300, ~3,000 and ~32,000 in the source list.
    for (const pw of ['123456', 'password', 'qwerty123', 'Password1', 'p@ssw0rd', 'dragon', 'letmein', 'trustno1']) {
      expect(list.has(pw)).toBe(true);
    }
  });

  it('rarely matches random strings (false positives ~1 in 10,000)', () => {
    const random = Array.from({ length: 50_000 }, () => randomBytes(12).toString('base64url'));
    expect(random.filter((r) => list.has(r)).length).toBeLessThan(25);
  });
});
