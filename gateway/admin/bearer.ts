/**
 * Bearer-token check for the admin API. Compared in constant time over fixed-length digests, so the
 * answer time says nothing about how much of a guess was right; a missing and a wrong token get the
 * same 401.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export function bearerMatches(headers: IncomingHttpHeaders, expected: string | null): boolean {
  if (!expected) return false;
  const h = headers.authorization;
  if (typeof h !== 'string' || !/^bearer /i.test(h)) return false;
  const given = createHash('sha256').update(h.slice(7).trim()).digest();
  const want = createHash('sha256').update(expected).digest();
  return timingSafeEqual(given, want);
}
