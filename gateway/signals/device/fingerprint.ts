/**
 * `device.fingerprint`: a keyed hash of the request traits that stay the same for one browser on one
 * machine while its network changes: browser family and major version, OS family, device type,
 * the primary language tag, and the low-entropy client hints Chromium sends on HTTPS
 * (`Sec-CH-UA-Platform`, `Sec-CH-UA-Mobile`). No IP, no header order, nothing that moves with the
 * network, so the same browser on a new IP keeps its fingerprint.
 *
 * It is coarse on purpose, and so shared: every Chrome 124 on Windows in English has the same one.
 * It tells devices apart for one user; it does not identify a device among all users (the signed
 * cookie does). It changes when the browser's major version does, every few weeks for Chrome.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { keyedHash, type Secret } from '../keyed-hash';
import { userAgentTraits, type UserAgentTraits } from './user-agent';

export interface DeviceTraits extends UserAgentTraits {
  /** Primary subtag of the first Accept-Language entry, lower case ("en" for "en-US,en;q=0.9"). */
  readonly language: string;
  /** Sec-CH-UA-Platform without its quotes, lower case ("windows"). */
  readonly platformHint: string;
  /** Sec-CH-UA-Mobile: "?0", "?1" or ''. */
  readonly mobileHint: string;
}

const HEADER_CHARS = 256;

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.slice(0, HEADER_CHARS) : '';
}

export function primaryLanguage(acceptLanguage: string): string {
  const first = acceptLanguage.split(',')[0]!.split(';')[0]!.trim().toLowerCase();
  const primary = first.split('-')[0]!;
  return /^[a-z]{1,8}$/.test(primary) ? primary : '';
}

function platformHint(value: string): string {
  const unquoted = value.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  return /^[a-z0-9 ._-]{1,32}$/.test(unquoted) ? unquoted : '';
}

function mobileHint(value: string): string {
  const v = value.trim();
  return v === '?0' || v === '?1' ? v : '';
}

export function deviceTraits(headers: IncomingHttpHeaders): DeviceTraits {
  const ua = userAgentTraits(header(headers, 'user-agent') || undefined);
  return {
    ...ua,
    language: primaryLanguage(header(headers, 'accept-language')),
    platformHint: platformHint(header(headers, 'sec-ch-ua-platform')),
    mobileHint: mobileHint(header(headers, 'sec-ch-ua-mobile')),
  };
}

/** '' when the request shows no trait at all (nothing to tell one such client from another). */
export function deviceFingerprint(secret: Secret, traits: DeviceTraits): string {
  const parts = [
    traits.browser.toLowerCase(),
    traits.major,
    traits.os.toLowerCase(),
    traits.deviceType,
    traits.language,
    traits.platformHint,
    traits.mobileHint,
  ];
  if (parts.every((p) => p === '')) return '';
  return keyedHash(secret, 'device_fingerprint', 'v1', ...parts);
}
