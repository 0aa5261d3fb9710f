/**
 * Who the client is. X-Forwarded-For and Forwarded are believed only when the connection comes from a
 * configured trusted proxy, and then only as far back as the chain stays inside trusted proxies: the
 * first untrusted hop from the right is the client (a client can prepend anything it likes to XFF).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CidrSet, normalizeIp } from '../lib/ip';

export interface ClientAddress {
  /** The client as the gateway counts it. */
  readonly ip: string;
  /** The directly connected peer. */
  readonly peer: string;
  /** True when the peer is a trusted proxy (its forwarding headers were read). */
  readonly viaTrustedProxy: boolean;
  /** The trusted chain as received, to be appended to when forwarding ('' when none). */
  readonly forwardedFor: string;
  /** https when the client used TLS to us or to a trusted proxy that says so. */
  readonly proto: 'http' | 'https';
}

export function resolveClientAddress(
  remoteAddress: string | undefined,
  encrypted: boolean,
  headers: IncomingHttpHeaders,
  trusted: CidrSet,
): ClientAddress {
  const peer = normalizeIp(remoteAddress) || '0.0.0.0';
  const ownProto = encrypted ? 'https' : 'http';
  if (!trusted.has(peer)) {
    return { ip: peer, peer, viaTrustedProxy: false, forwardedFor: '', proto: ownProto };
  }
  const hops = forwardedHops(headers);
  let ip = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i]);
    if (!hop) break; // garbage in the chain: stop believing it here
    ip = hop;
    if (!trusted.has(hop)) break;
  }
  const xfp = headerValue(headers['x-forwarded-proto']);
  const proto = xfp ? (xfp.split(',')[0]!.trim().toLowerCase() === 'https' ? 'https' : 'http') : ownProto;
  return { ip, peer, viaTrustedProxy: true, forwardedFor: hops.join(', '), proto };
}

/** The hop list from X-Forwarded-For, or from RFC 7239 Forwarded when XFF is absent. */
function forwardedHops(headers: IncomingHttpHeaders): string[] {
  const xff = headerValue(headers['x-forwarded-for']);
  if (xff) return xff.split(',').map((s) => s.trim()).filter(Boolean);
  const fwd = headerValue(headers['forwarded']);
  if (!fwd) return [];
  const hops: string[] = [];
  for (const element of fwd.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      let v = pair.slice(eq + 1).trim();
      if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      // `for="[2001:db8::1]:4711"` and `for=192.0.2.60:8080`: drop the port.
      if (v.startsWith('[')) v = v.slice(1, v.indexOf(']') > 0 ? v.indexOf(']') : undefined);
      else if (v.split(':').length === 2) v = v.split(':')[0]!;
      hops.push(v);
    }
  }
  return hops;
}

function headerValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  return Array.isArray(v) ? v.join(', ') : v;
}
