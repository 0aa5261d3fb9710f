/**
 * The stable traits of a User-Agent, parsed with ua-parser-js 1.x. Parsing costs ~20 µs, and a portal
 * sees a few thousand distinct user agents, so results are cached (bounded: an attacker sending a new
 * user agent per request only churns the cache). Overlong values are cut before parsing (ua-parser-js
 * has had regex-cost problems on long input; no real user agent is longer than 512 characters).
 */
import { LRUCache } from 'lru-cache';
import { UAParser } from 'ua-parser-js';

export interface UserAgentTraits {
  /** Browser family ("Chrome", "Mobile Safari"), or for a non-browser its product ("curl"); '' if none. */
  readonly browser: string;
  /** Major version of that browser or product, '' if none. */
  readonly major: string;
  /** Operating system family ("Windows", "iOS"), ''. */
  readonly os: string;
  /** ua-parser-js device type (mobile, tablet, smarttv…); '' for a desktop or unknown. */
  readonly deviceType: string;
}

export const USER_AGENT_PARSED_CHARS = 512;
const CACHE_ENTRIES = 4096;
const cache = new LRUCache<string, UserAgentTraits>({ max: CACHE_ENTRIES });

export const NO_TRAITS: UserAgentTraits = Object.freeze({ browser: '', major: '', os: '', deviceType: '' });

export function userAgentTraits(userAgent: string | undefined): UserAgentTraits {
  if (!userAgent) return NO_TRAITS;
  const ua = userAgent.slice(0, USER_AGENT_PARSED_CHARS);
  const cached = cache.get(ua);
  if (cached) return cached;
  const traits = parse(ua);
  cache.set(ua, traits);
  return traits;
}

function parse(ua: string): UserAgentTraits {
  let browser = '';
  let major = '';
  let os = '';
  let deviceType = '';
  try {
    const r = new UAParser(ua).getResult();
    browser = r.browser.name ?? '';
    major = r.browser.major ?? '';
    os = r.os.name ?? '';
    deviceType = r.device.type ?? '';
  } catch {
    // ua-parser-js does not throw on any string we know of; if it ever does, the traits are unknown.
  }
  if (browser === '') {
    const product = productToken(ua);
    browser = product.name;
    major = product.major;
  }
  return Object.freeze({ browser, major, os, deviceType });
}

/** "curl/8.5.0" → {curl, 8}; "python-requests/2.31" → {python-requests, 2}. Not for "Mozilla/5.0". */
function productToken(ua: string): { name: string; major: string } {
  const m = /^([A-Za-z][A-Za-z0-9._-]{0,39})\/(\d{1,6})/.exec(ua.trimStart());
  if (!m || m[1]!.toLowerCase() === 'mozilla') return { name: '', major: '' };
  return { name: m[1]!.toLowerCase(), major: m[2]! };
}
