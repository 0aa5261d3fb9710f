/**
 * What the sensors need to know from the past, and what they hand back to be remembered. The store
 * adapters implement these shapes (load `UserHistory` for the request's portal and user, save a
 * `SuccessMemory` after the portal accepted a login); the sensors stay pure and synchronous.
 *
 * Nothing in either shape is a secret: devices and fingerprints are random ids or keyed hashes,
 * places are geoip coordinates, and password knowledge is a boolean.
 */
import type { DeviceHistory, DeviceMemory } from './device/device-signals';
import type { GeoHistory, GeoMemory } from './geo/geo-signals';

/** Facts about one user of one portal, as the gateway has learned them. */
export interface UserFacts {
  /** The gateway has seen this user succeed. */
  readonly known: boolean;
  /** Admin or owner, from the portal's directory config or an admin import. */
  readonly admin: boolean;
  readonly owner: boolean;
  /** An OTP step has been seen after a password step. */
  readonly secondFactorSeen: boolean;
  /** A weak or common password has been seen succeeding. */
  readonly weakPasswordSeen: boolean;
  /** When a password change last succeeded at the gateway, if ever. */
  readonly passwordChangedAtMs?: number;
}

/** Everything the sensors read about a user: one load per login-like request. */
export interface UserHistory extends UserFacts, DeviceHistory, GeoHistory {}

export interface PortalFacts {
  /** Users of the portal known to the gateway and not blocked. */
  readonly activeEmployees: number;
}

/** For a request with no user (or a store that cannot answer): every signal takes its unknown value. */
export const UNKNOWN_USER: UserHistory = Object.freeze({
  known: false,
  admin: false,
  owner: false,
  secondFactorSeen: false,
  weakPasswordSeen: false,
  knownDeviceIds: new Set<string>(),
  knownFingerprints: new Set<string>(),
  countries: new Set<string>(),
});

/** What to save about a user after the portal accepted a login (or its OTP step). */
export interface SuccessMemory {
  /** Mark the user known. */
  readonly userKnown: true;
  readonly device: DeviceMemory;
  /** Undefined: the place is unknown, keep what was known. */
  readonly geo?: GeoMemory;
  /** Set `weakPasswordSeen` (never cleared here: a password change at the gateway clears it). */
  readonly weakPasswordSeen: boolean;
  /** Set `secondFactorSeen`. */
  readonly secondFactorSeen: boolean;
}
