/**
 * The signed device cookie: set when a login succeeds, presented by the same browser on every later
 * visit whatever its IP, so `device.known` can rest on something an attacker cannot copy from the
 * request traits.
 *
 *   pc_device=v1.<device id>.<issued, seconds since epoch, base36>.<signature>
 *
 * The device id is 128 random bits (base64url); the signature is the keyed MAC of (version, id, issue
 * time) under the deployment secret, 128 bits, compared in constant time. Secrets may be a list while
 * rotating: the first signs, any verifies.
 *
 * Reading never throws. For what the browser sent:
 *   no such cookie (or an empty one)  → present false, valid false, forged false
 *   a well-signed, unexpired cookie   → valid true, deviceId set
 *   anything else under our name      → forged true (a bad signature, a tampered id or time, a
 *                                        truncated or garbage value: we did not mint it)
 *   a well-signed but expired one     → expired true, valid false, forged false (so is one issued
 *                                        in the future beyond the replicas' clock skew)
 *   several cookies of our name       → duplicate true; valid if any is, forged if any is (both may
 *                                        be true: policies decide), deviceId from the first valid one.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { keyedMac, KEYED_HASH_BYTES, type Secret } from '../keyed-hash';

export const DEVICE_COOKIE_NAME = 'pc_device';
/** A year: a device unseen for longer is a new device. */
export const DEVICE_COOKIE_MAX_AGE_MS = 365 * 24 * 3600 * 1000;
/** Replicas' clocks may disagree by this much about an issue time in the future. */
export const DEVICE_COOKIE_CLOCK_SKEW_MS = 5 * 60 * 1000;

const VERSION = 'v1';
const ID = /^[A-Za-z0-9_-]{22}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{22}$/;
const ISSUED = /^[0-9a-z]{1,10}$/;
/** Only this many cookies of our name are examined; more is an attack on the parser, not a browser. */
const MAX_EXAMINED = 4;
const MAX_VALUE_CHARS = 128;

export type DeviceCookieSecrets = Secret | readonly Secret[];

export interface DeviceCookieRead {
  /** A non-empty cookie of our name was sent. */
  readonly present: boolean;
  readonly valid: boolean;
  readonly forged: boolean;
  readonly expired: boolean;
  readonly duplicate: boolean;
  /** The verified device id, '' unless valid. */
  readonly deviceId: string;
  /** When the verified cookie was issued, 0 unless valid. */
  readonly issuedAtMs: number;
}

export const NO_DEVICE_COOKIE: DeviceCookieRead = Object.freeze({
  present: false, valid: false, forged: false, expired: false, duplicate: false, deviceId: '', issuedAtMs: 0,
});

export interface IssueDeviceCookie {
  readonly deviceId: string;
  readonly nowMs: number;
  /** The request came over HTTPS: add `Secure`. */
  readonly secure: boolean;
  /** Default DEVICE_COOKIE_MAX_AGE_MS. */
  readonly maxAgeMs?: number;
}

export interface ReadDeviceCookieOptions {
  readonly nowMs: number;
  /** Default DEVICE_COOKIE_MAX_AGE_MS. */
  readonly maxAgeMs?: number;
}

/** A fresh device id: 128 random bits, base64url. */
export function newDeviceId(): string {
  return randomBytes(16).toString('base64url');
}

function secretList(secrets: DeviceCookieSecrets): readonly Secret[] {
  return typeof secrets === 'string' || Buffer.isBuffer(secrets) ? [secrets] : (secrets as readonly Secret[]);
}

function signature(secret: Secret, deviceId: string, issued: string): Buffer {
  return keyedMac(secret, 'device_cookie_signature', [VERSION, deviceId, issued]).subarray(0, KEYED_HASH_BYTES);
}

/** The cookie's value alone (what the browser sends back). Throws on an id we did not make: a bug. */
export function deviceCookieValue(secrets: DeviceCookieSecrets, deviceId: string, nowMs: number): string {
  if (!ID.test(deviceId)) throw new TypeError('device cookie: the device id must come from newDeviceId()');
  const issued = Math.floor(nowMs / 1000).toString(36);
  const sig = signature(secretList(secrets)[0]!, deviceId, issued).toString('base64url');
  return `${VERSION}.${deviceId}.${issued}.${sig}`;
}

/** A Set-Cookie header value: HttpOnly, SameSite=Lax, Path=/, a year, Secure over HTTPS. */
export function issueDeviceCookie(secrets: DeviceCookieSecrets, o: IssueDeviceCookie): string {
  const maxAgeS = Math.floor((o.maxAgeMs ?? DEVICE_COOKIE_MAX_AGE_MS) / 1000);
  const attrs = [`${DEVICE_COOKIE_NAME}=${deviceCookieValue(secrets, o.deviceId, o.nowMs)}`, `Max-Age=${maxAgeS}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (o.secure) attrs.push('Secure');
  return attrs.join('; ');
}

/** The values of every cookie named `name` in a Cookie header (or several), in order. */
export function cookieValues(cookieHeader: string | readonly string[] | undefined, name: string): string[] {
  if (cookieHeader === undefined) return [];
  const text = typeof cookieHeader === 'string' ? cookieHeader : cookieHeader.join('; ');
  const out: string[] = [];
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out.push(value);
  }
  return out;
}

type OneCookie =
  | { readonly kind: 'valid'; readonly deviceId: string; readonly issuedAtMs: number }
  | { readonly kind: 'forged' | 'expired' };

function readOne(secrets: readonly Secret[], value: string, o: ReadDeviceCookieOptions): OneCookie {
  if (value.length > MAX_VALUE_CHARS) return { kind: 'forged' };
  const parts = value.split('.');
  if (parts.length !== 4) return { kind: 'forged' };
  const [version, deviceId, issued, sig] = parts as [string, string, string, string];
  if (version !== VERSION || !ID.test(deviceId) || !ISSUED.test(issued) || !SIGNATURE.test(sig)) return { kind: 'forged' };
  const presented = Buffer.from(sig, 'base64url');
  // Only the canonical spelling: base64url's last character carries unused bits, and a cookie whose
  // spelling we did not write is not ours, even when it decodes to the same bytes.
  if (presented.length !== KEYED_HASH_BYTES || presented.toString('base64url') !== sig) return { kind: 'forged' };
  let verified = false;
  for (const secret of secrets) {
    // Check every secret (no early exit) so the time taken does not tell which one matched.
    if (timingSafeEqual(presented, signature(secret, deviceId, issued))) verified = true;
  }
  if (!verified) return { kind: 'forged' };
  const issuedAtMs = parseInt(issued, 36) * 1000;
  const age = o.nowMs - issuedAtMs;
  if (age > (o.maxAgeMs ?? DEVICE_COOKIE_MAX_AGE_MS) || age < -DEVICE_COOKIE_CLOCK_SKEW_MS) return { kind: 'expired' };
  return { kind: 'valid', deviceId, issuedAtMs };
}

export function readDeviceCookie(
  secrets: DeviceCookieSecrets,
  cookieHeader: string | readonly string[] | undefined,
  options: ReadDeviceCookieOptions,
): DeviceCookieRead {
  const values = cookieValues(cookieHeader, DEVICE_COOKIE_NAME).filter((v) => v !== '');
  if (values.length === 0) return NO_DEVICE_COOKIE;
  const list = secretList(secrets);
  const results = values.slice(0, MAX_EXAMINED).map((v) => readOne(list, v, options));
  const firstValid = results.find((r): r is Extract<OneCookie, { kind: 'valid' }> => r.kind === 'valid');
  return {
    present: true,
    valid: firstValid !== undefined,
    forged: results.some((r) => r.kind === 'forged'),
    expired: firstValid === undefined && results.some((r) => r.kind === 'expired'),
    duplicate: values.length > 1,
    deviceId: firstValid?.deviceId ?? '',
    issuedAtMs: firstValid?.issuedAtMs ?? 0,
  };
}
