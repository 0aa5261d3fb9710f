/**
 * Headers on the way to the portal and back. Hop-by-hop headers are connection-scoped (RFC 9110 §7.6.1)
 * and never forwarded; X-Forwarded-For is appended to only when the chain came from a trusted proxy,
 * otherwise a client could plant addresses the portal would believe.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientAddress } from './client-ip';

export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings',
]);

/**
 * Headers a client's `Connection:` can never nominate for removal. RFC 9110 lets a sender name any
 * header as hop-by-hop, but a proxy that drops what it classified on makes the portal read a request
 * the gateway did not: without Host the portal serves its default site under another portal's name;
 * without Content-Type or Authorization it reads another body or login. Everything the classifier and
 * the signals read stays, as sent (framing is undici's: Content-Length and Transfer-Encoding are
 * re-derived from the body it sends).
 */
const NEVER_NOMINATED = new Set([
  'host', 'content-type', 'content-length', 'content-encoding', 'authorization', 'cookie', 'user-agent', 'accept-language',
  'sec-ch-ua-platform', 'sec-ch-ua-mobile', 'origin', 'x-http-method-override', 'x-method-override',
]);

/** Headers a client may not set for the portal: we set them ourselves from what we know. */
const SET_BY_GATEWAY = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-real-ip', 'forwarded', 'x-forwarded-host']);

export function upstreamRequestHeaders(headers: IncomingHttpHeaders, client: ClientAddress): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const named = connectionNamed(headers.connection);
  for (const key in headers) {
    if (HOP_BY_HOP.has(key) || SET_BY_GATEWAY.has(key) || (named && named.has(key))) continue;
    const v = headers[key];
    if (v !== undefined) out[key] = v;
  }
  // From a trusted proxy, keep its chain and append the hop we saw; from anyone else, start afresh.
  out['x-forwarded-for'] = client.forwardedFor ? `${client.forwardedFor}, ${client.peer}` : client.peer;
  out['x-forwarded-proto'] = client.proto;
  out['x-real-ip'] = client.ip;
  if (client.viaTrustedProxy && headers['x-forwarded-host'] !== undefined) out['x-forwarded-host'] = headers['x-forwarded-host'];
  return out;
}

function connectionNamed(v: string | string[] | undefined): Set<string> | null {
  if (!v) return null;
  const text = Array.isArray(v) ? v.join(',') : v;
  if (!text.includes(',') && /^\s*(keep-alive|close)\s*$/i.test(text)) return null;
  const named = text.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && !NEVER_NOMINATED.has(s));
  return named.length === 0 ? null : new Set(named);
}
