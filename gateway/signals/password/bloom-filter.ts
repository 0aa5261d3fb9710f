/**
 * A Bloom filter over SHA-256, with its own small binary file format, for the bundled common-password
 * list: membership in about 720 KB instead of the megabytes the list takes as text, with no false
 * negatives and a false-positive rate chosen at build time.
 *
 * Probes use double hashing (Kirsch & Mitzenmacher): g_i = h1 + i·h2 mod m, with h1 and h2 two 32-bit
 * words of SHA-256(item). The hash is unkeyed on purpose: the list is public, and the file must be the
 * same for every deployment.
 *
 * File layout (big-endian): "PCBLOOM1" (8 bytes) | m: u32 bits | k: u8 probes | n: u32 items | bits.
 */
import { createHash } from 'node:crypto';

const MAGIC = Buffer.from('PCBLOOM1', 'latin1');
const HEADER_BYTES = MAGIC.length + 4 + 1 + 4;

export interface BloomShape {
  /** Bits in the filter. */
  readonly bits: number;
  /** Probes per item. */
  readonly probes: number;
}

/** The optimal shape for `items` at `falsePositiveRate` (m = -n·ln p / ln²2, k = m/n·ln 2). */
export function bloomShape(items: number, falsePositiveRate: number): BloomShape {
  const n = Math.max(1, items);
  const bits = Math.ceil((-n * Math.log(falsePositiveRate)) / (Math.LN2 * Math.LN2));
  const probes = Math.max(1, Math.round((bits / n) * Math.LN2));
  return { bits, probes };
}

/** The false-positive rate of a filter of this shape holding `items`: (1 - e^(-kn/m))^k. */
export function bloomFalsePositiveRate(shape: BloomShape, items: number): number {
  return Math.pow(1 - Math.exp((-shape.probes * items) / shape.bits), shape.probes);
}

export class BloomFilter {
  private constructor(
    private readonly bitArray: Uint8Array,
    readonly shape: BloomShape,
    private count: number,
  ) {}

  /** Items added when the filter was built. */
  get items(): number {
    return this.count;
  }

  static empty(shape: BloomShape): BloomFilter {
    return new BloomFilter(new Uint8Array(Math.ceil(shape.bits / 8)), shape, 0);
  }

  static build(items: Iterable<string>, falsePositiveRate: number): BloomFilter {
    const list = [...new Set(items)];
    const filter = BloomFilter.empty(bloomShape(list.length, falsePositiveRate));
    for (const item of list) filter.add(item);
    return filter;
  }

  /** Reads the file format; throws on a malformed file (a broken install, not bad input). */
  static fromBytes(bytes: Uint8Array): BloomFilter {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < HEADER_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new Error('bloom filter: not a PCBLOOM1 file');
    }
    const bits = buf.readUInt32BE(MAGIC.length);
    const probes = buf.readUInt8(MAGIC.length + 4);
    const items = buf.readUInt32BE(MAGIC.length + 5);
    const body = buf.subarray(HEADER_BYTES);
    if (bits === 0 || probes === 0 || body.length !== Math.ceil(bits / 8)) {
      throw new Error('bloom filter: header and body disagree (truncated file?)');
    }
    return new BloomFilter(new Uint8Array(body), { bits, probes }, items);
  }

  toBytes(): Buffer {
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32BE(this.shape.bits, MAGIC.length);
    header.writeUInt8(this.shape.probes, MAGIC.length + 4);
    header.writeUInt32BE(this.items, MAGIC.length + 5);
    return Buffer.concat([header, this.bitArray]);
  }

  /** Bytes held in memory by the bit array. */
  get byteLength(): number {
    return this.bitArray.byteLength;
  }

  has(item: string): boolean {
    const { h1, h2 } = hashPair(item);
    for (let i = 0; i < this.shape.probes; i++) {
      const bit = (h1 + i * h2) % this.shape.bits;
      if ((this.bitArray[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }

  private add(item: string): void {
    const { h1, h2 } = hashPair(item);
    for (let i = 0; i < this.shape.probes; i++) {
      const bit = (h1 + i * h2) % this.shape.bits;
      this.bitArray[bit >>> 3]! |= 1 << (bit & 7);
    }
    this.count++;
  }
}

function hashPair(item: string): { h1: number; h2: number } {
  const digest = createHash('sha256').update(item, 'utf8').digest();
  // h2 odd so that it never collapses every probe onto h1; both stay below 2^32, and
  // h1 + i·h2 stays an exact double for the probe counts used (i < 64).
  return { h1: digest.readUInt32BE(0), h2: (digest.readUInt32BE(4) | 1) >>> 0 };
}
