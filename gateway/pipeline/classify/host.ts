/**
 * The portal a request is for, from `Host` (or the authority of an absolute-form target).
 *
 * Decision: for an absolute-form request target (`GET http://other.host/rest/… HTTP/1.1`), the
 * target's host wins over `Host`. RFC 9112 §3.2.2 says a server MUST ignore `Host` then, and nginx
 * does exactly that (it sets `$host` from the request line). A gateway that kept `Host` would count
 * and block one portal while the portal behind it serves another.
 */

/** Canonical portal name: lower case, port stripped, trailing dot(s) stripped, IPv6 brackets kept. */
export function canonicalPortal(hostHeader: string | undefined, absoluteTargetHost?: string): string {
  const source = absoluteTargetHost !== undefined && absoluteTargetHost.trim() !== '' ? absoluteTargetHost : hostHeader;
  if (source === undefined) return '';
  let host = source.trim().toLowerCase();
  if (host === '') return '';
  if (host.startsWith('[')) {
    // IPv6 literal: keep "[…]", drop any ":port" after it.
    const close = host.indexOf(']');
    return close < 0 ? host : host.slice(0, close + 1);
  }
  const colon = host.indexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  // "portal.example.com." and "portal.example.com" name the same portal (and nginx matches both).
  let end = host.length;
  while (end > 0 && host.charCodeAt(end - 1) === 0x2e) end--;
  return host.slice(0, end);
}
