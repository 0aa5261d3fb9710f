/**
 * The `device.*` group. Pure: what the store knows about the user's devices comes in as
 * `DeviceHistory`, and what it should learn from a success goes out as `DeviceMemory`.
 *
 * `device.known` is true when the signed cookie's device id, or else the fingerprint, has succeeded
 * for this user before. The fingerprint is shared by every look-alike browser (fingerprint.ts), so
 * `device.known_by` says which it was: a policy that must not trust a look-alike asks for
 * `device.known_by == 'cookie'`.
 *
 * Known-ness and counting use one identity (`countingKey`): a device known by its cookie is counted
 * under that cookie's id; one known by fingerprint only, under the fingerprint; any other, under the
 * client's address. A signed cookie that is not among this user's known ids (minted at a success of
 * another user, or another portal, or never used by anyone) is worth nothing as an identity: anyone
 * can get fresh ones, so it must not open a fresh counter (issue 15: a copied user agent and a new
 * cookie every 25 guesses let 150 guesses through).
 */
import type { RequestHead } from '../../pipeline/request';
import type { Secret } from '../keyed-hash';
import { isBotUserAgent } from './bot';
import type { DeviceCookieRead } from './device-cookie';
import { deviceFingerprint, deviceTraits, type DeviceTraits } from './fingerprint';

/** What the store knows about the devices of the user a request is for. */
export interface DeviceHistory {
  /** Device ids (from the signed cookie) that have succeeded for this user. */
  readonly knownDeviceIds: ReadonlySet<string>;
  /** Fingerprints that have succeeded for this user. */
  readonly knownFingerprints: ReadonlySet<string>;
  /**
   * The gateway has seen this fingerprint before, for any user. Undefined when the store cannot say
   * (then a device without a valid cookie counts as first seen).
   */
  readonly fingerprintSeenBefore?: boolean;
}

export const NO_DEVICE_HISTORY: DeviceHistory = Object.freeze({
  knownDeviceIds: new Set<string>(),
  knownFingerprints: new Set<string>(),
});

export type KnownBy = 'cookie' | 'fingerprint' | '';

export interface DeviceSignals {
  readonly known: boolean;
  readonly known_by: KnownBy;
  readonly cookie_valid: boolean;
  readonly cookie_forged: boolean;
  readonly first_seen: boolean;
  readonly count_for_user: number;
  readonly fingerprint: string;
  readonly browser: string;
  readonly os: string;
  readonly is_bot: boolean;
}

export interface DeviceSense {
  readonly signals: DeviceSignals;
  readonly traits: DeviceTraits;
  /** The verified device id from the cookie, '' when none. */
  readonly deviceId: string;
  /** When that cookie was issued, 0 when none. */
  readonly cookieIssuedAtMs: number;
  /**
   * What counters keyed `by: [device]` count this request under: `c:<id>` (known by cookie),
   * `f:<fingerprint>` (known by fingerprint only), or '' (not known: the caller keys by the address).
   */
  readonly countingKey: string;
}

export function deviceSignals(
  head: Pick<RequestHead, 'headers'>,
  cookie: DeviceCookieRead,
  history: DeviceHistory,
  keys: { readonly secret: Secret },
): DeviceSense {
  const traits = deviceTraits(head.headers);
  const fingerprint = deviceFingerprint(keys.secret, traits);
  const byCookie = cookie.valid && history.knownDeviceIds.has(cookie.deviceId);
  const byFingerprint = !byCookie && fingerprint !== '' && history.knownFingerprints.has(fingerprint);
  const ua = head.headers['user-agent'];
  return {
    traits,
    deviceId: cookie.valid ? cookie.deviceId : '',
    cookieIssuedAtMs: cookie.valid ? cookie.issuedAtMs : 0,
    countingKey: byCookie ? `c:${cookie.deviceId}` : byFingerprint ? `f:${fingerprint}` : '',
    signals: {
      known: byCookie || byFingerprint,
      known_by: byCookie ? 'cookie' : byFingerprint ? 'fingerprint' : '',
      cookie_valid: cookie.valid,
      cookie_forged: cookie.forged,
      // A valid cookie was minted by this gateway at a success: that device has been seen.
      first_seen: !cookie.valid && history.fingerprintSeenBefore !== true,
      // Counted by fingerprint: a script that never keeps cookies would add a device id per success.
      count_for_user: history.knownFingerprints.size,
      fingerprint,
      browser: traits.browser,
      os: traits.os,
      is_bot: isBotUserAgent(typeof ua === 'string' ? ua : undefined),
    },
  };
}

/** What the store should remember about the device after the portal accepted a login. */
export interface DeviceMemory {
  /** The device id to add to the user's known devices (and to put in the cookie). */
  readonly deviceId: string;
  /** The fingerprint to add to the user's known fingerprints ('' : nothing to add). */
  readonly fingerprint: string;
  /**
   * Send issueDeviceCookie(…) with the answer: the browser has no valid cookie yet, or its cookie is
   * older than `refreshAfterMs` (re-issuing keeps a device in use from expiring after a year).
   */
  readonly issueCookie: boolean;
}

/** Re-issue a cookie at a success once it is this old. */
export const DEVICE_COOKIE_REFRESH_AFTER_MS = 30 * 24 * 3600 * 1000;

export interface RememberDeviceOptions {
  readonly nowMs: number;
  /** Makes a new device id; newDeviceId() in production, a fixed one in tests. */
  readonly mintDeviceId: () => string;
  /** Default DEVICE_COOKIE_REFRESH_AFTER_MS. */
  readonly refreshAfterMs?: number;
}

/** After a success: keep the cookie's id, or mint one (and ask for the cookie to be set). */
export function deviceToRemember(sense: DeviceSense, o: RememberDeviceOptions): DeviceMemory {
  const fingerprint = sense.signals.fingerprint;
  if (sense.deviceId === '') return { deviceId: o.mintDeviceId(), fingerprint, issueCookie: true };
  const age = o.nowMs - sense.cookieIssuedAtMs;
  return { deviceId: sense.deviceId, fingerprint, issueCookie: age >= (o.refreshAfterMs ?? DEVICE_COOKIE_REFRESH_AFTER_MS) };
}
