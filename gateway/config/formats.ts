/**
 * The string syntaxes of the configuration, each a parser that explains its refusal. Used twice, so a
 * value means the same wherever it is written: as named formats of the JSON Schema (file values) and
 * directly by the environment reader.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import type { HostPort } from './types';
import { parseCidr as parseCidrValue } from '../lib/ip';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (reason: string): Parsed<never> => ({ ok: false, reason });

/** Letters, digits and hyphens in dot-separated labels: what a Host header or a listen address may name. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

const HOST_PORT_EXAMPLES = 'such as 0.0.0.0:8080, [::]:8080 or :8080';

export function checkListenHost(host: string): string | null {
  if (isIP(host) || HOST_NAME.test(host)) return null;
  if (host.includes(':')) return `"${host}" is not an IPv6 address`;
  return `"${host}" is not an IP address or host name`;
}

export function parsePort(text: string): Parsed<number> {
  if (!/^\d{1,6}$/.test(text)) return fail(`port "${text}" is not a number`);
  const port = Number(text);
  // 0 is allowed on purpose: "any free port", which the tests and the demo use.
  return port <= 65535 ? ok(port) : fail(`port ${port} is outside 0..65535`);
}

/**
 * `host:port`, `[v6]:port`, `:port` (all IPv4 interfaces, like the default) or a bare `port`.
 * IPv6 hosts are returned without brackets, as node's `listen()` wants them.
 */
export function parseHostPort(text: string, defaultHost = '0.0.0.0'): Parsed<HostPort> {
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
    if (!isIPv6(host)) return fail(`"[${host}]" is not an IPv6 address`);
  } else if (/^\d+$/.test(text)) {
    host = defaultHost;
    portText = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return fail(`"${text}" is not a "host:port" address (${HOST_PORT_EXAMPLES})`);
    host = text.slice(0, colon) || defaultHost;
    portText = text.slice(colon + 1);
    if (host.includes(':')) return fail(`"${text}": write IPv6 addresses in brackets, as [${host}]:${portText}`);
    const hostProblem = checkListenHost(host);
    if (hostProblem) return fail(`"${text}": ${hostProblem}`);
  }
  const port = parsePort(portText);
  return port.ok ? ok({ host, port: port.value }) : fail(`"${text}": ${port.reason}`);
}

/**
 * A CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address, returned as a canonical CIDR (`/32`, `/128`).
 * The parsing is lib/ip.ts's, the same that the edge matches with; this adds the author-facing reason.
 */
export function parseCidr(text: string): Parsed<string> {
  const parsed = parseCidrValue(text);
  if (parsed) return ok(`${parsed.net}/${parsed.len}`);
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes('%') ? 6 : 0;
  if (family === 0) return fail(`"${text}" is not an IPv4 or IPv6 CIDR (such as 10.0.0.0/8, 192.168.1.7 or fd00::/8)`);
  return fail(`"${text}": the prefix length of an IPv${family} CIDR must be 0..${family === 4 ? 32 : 128}`);
}

function checkUrl(text: string, protocols: readonly string[], what: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL; ${what} is written like ${protocols[0]}//host:port`;
  }
  if (!protocols.includes(url.protocol)) {
    return `"${text}" uses ${url.protocol}; ${what} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`;
  }
  if (!url.hostname) return `"${text}" has no host`;
  return null;
}

/** The portal's base URL. */
export const checkUpstreamUrl = (text: string): string | null => checkUrl(text, ['http:', 'https:'], 'the upstream');

/** A single Redis node, as ioredis reads it (`rediss:` for TLS). */
export const checkRedisUrl = (text: string): string | null => checkUrl(text, ['redis:', 'rediss:'], 'a Redis URL');

/**
 * Portal keys are matched against the request's Host as the classifier canonicalises it: lower case,
 * port stripped, ASCII (punycode). A key in any other form would silently never match, so it is refused.
 */
export function checkPortalHost(key: string): string | null {
  const hostOnly = key.replace(/:\d+$/, '');
  const suggestion = domainToASCII(hostOnly.toLowerCase()) || hostOnly.toLowerCase();
  const fixes: string[] = [];
  if (hostOnly !== key) fixes.push('has a port (portals are matched by host name alone)');
  if (hostOnly !== hostOnly.toLowerCase()) fixes.push('has upper case (hosts are matched in lower case)');
  if (/[^\x00-\x7f]/.test(hostOnly)) fixes.push('is not ASCII (hosts arrive in punycode)');
  if (fixes.length > 0) return `portal name ${fixes.join(' and ')}; write it as "${suggestion}"`;
  if (!HOST_NAME.test(key) || isIPv6(key)) return `"${key}" is not a host name such as crm.example.com`;
  return null;
}

export const STRING_FORMATS = {
  'host-port': (text: string) => {
    const parsed = parseHostPort(text);
    return parsed.ok ? null : parsed.reason;
  },
  'listen-host': checkListenHost,
  cidr: (text: string) => {
    const parsed = parseCidr(text);
    return parsed.ok ? null : parsed.reason;
  },
  'http-url': checkUpstreamUrl,
  'redis-url': checkRedisUrl,
  'portal-host': checkPortalHost,
} as const;
