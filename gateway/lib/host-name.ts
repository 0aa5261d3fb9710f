/**
 * Is a canonical portal name (lower case, no port, no trailing dot: classify/host.ts) a host name a
 * portal can have? RFC 1123 names (at most 253 characters, labels of 1 to 63 letters, digits and `-`;
 * `_` is tolerated, as internal DNS names use it), IPv4 addresses, and bracketed IPv6 literals.
 * Anything else (an 8 000-character Host, control characters, empty labels, non-ASCII bytes: browsers
 * send IDNs as punycode) names no portal, and is refused before any table keeps it.
 */
export const MAX_HOST_NAME_CHARS = 253;
export const MAX_LABEL_CHARS = 63;

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const IPV6_LITERAL = /^\[[0-9a-f:.]{2,45}\]$/;

export function validHostName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_HOST_NAME_CHARS) return false;
  if (name.startsWith('[')) return IPV6_LITERAL.test(name);
  for (const label of name.split('.')) if (label.length > MAX_LABEL_CHARS || !LABEL.test(label)) return false;
  return true;
}
