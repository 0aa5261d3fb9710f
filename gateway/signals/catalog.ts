/**
 * The signal catalogue: every value a policy may ask about a request, with its type and meaning. It is
 * the one source for the policy engine's type checker (a condition naming `device.knwon` is refused at
 * load, with the nearest names from here) and for the generated docs (docs/signals.md).
 *
 * `counters.*` are not listed: each policy declares its own, and they are all `int`.
 *
 * Types are CEL's: bool, int, double, string. An unknown value is never an exception: each signal
 * states its value when it cannot be known (`unknown`, false, 0 or '').
 */
import type { RequestKind } from '../pipeline/request';

export type SignalType = 'bool' | 'int' | 'double' | 'string';

export type SignalGroup = 'request' | 'outcome' | 'device' | 'geo' | 'password' | 'user' | 'rest';

export interface SignalDef {
  /** Dotted name as written in policies, e.g. `device.known`. */
  readonly name: string;
  readonly type: SignalType;
  readonly description: string;
  /** The value when the gateway cannot know it (no cookie, unknown IP, encrypted password…). */
  readonly whenUnknown: boolean | number | string;
  /** Request kinds for which the signal is meaningful; absent: all. */
  readonly kinds?: readonly RequestKind[];
  /** `outcome` signals exist only in the outcome phase (after the portal has answered). */
  readonly phase?: 'outcome';
}

const LOGIN_KINDS: readonly RequestKind[] = ['login', 'otp', 'password_recovery', 'password_change'];
const PASSWORD_KINDS: readonly RequestKind[] = ['login', 'password_change'];

export const SIGNAL_CATALOG: readonly SignalDef[] = [
  // request.*
  { name: 'request.portal', type: 'string', description: 'The portal, from Host: lower case, no port.', whenUnknown: '' },
  { name: 'request.kind', type: 'string', description: 'login, otp, password_recovery, password_change, rest, oauth_token, websocket or other.', whenUnknown: 'other' },
  { name: 'request.method', type: 'string', description: 'HTTP method, upper case.', whenUnknown: '' },
  { name: 'request.path', type: 'string', description: 'Canonical path as the portal routes it (webhook codes masked).', whenUnknown: '' },
  { name: 'request.ip', type: 'string', description: 'Client address (X-Forwarded-For believed only from trusted proxies).', whenUnknown: '' },
  { name: 'request.ip_prefix', type: 'string', description: 'The client network: /24 for IPv4, /64 for IPv6 by default.', whenUnknown: '' },
  { name: 'request.user_agent', type: 'string', description: 'The User-Agent header as sent, up to 1024 characters (may be empty).', whenUnknown: '' },
  { name: 'request.hour_utc', type: 'int', description: 'Hour of the day (0-23, UTC) when the request arrived.', whenUnknown: 0 },
  { name: 'request.time_ms', type: 'int', description: 'Arrival time in milliseconds since the epoch (from the injected clock).', whenUnknown: 0 },
  // outcome.*
  { name: 'outcome.success', type: 'bool', description: "The portal accepted the login, OTP step, password change or REST call (per-portal matchers).", whenUnknown: false, phase: 'outcome' },
  { name: 'outcome.failure', type: 'bool', description: 'The portal refused it (e.g. the "Incorrect login or password" page, a REST error envelope).', whenUnknown: false, phase: 'outcome' },
  { name: 'outcome.status', type: 'int', description: "The portal's HTTP status.", whenUnknown: 0, phase: 'outcome' },
  { name: 'outcome.second_factor_asked', type: 'bool', description: 'The portal answered the password step with its one-time-code form.', whenUnknown: false, phase: 'outcome', kinds: ['login'] },
  // device.*
  { name: 'device.known', type: 'bool', description: 'The device (signed cookie, or else fingerprint) has succeeded for this user before. See device.known_by. Counters by device count it under that same identity; a device not known, under its IP (a cookie minted for another user or portal makes nothing known).', whenUnknown: false, kinds: LOGIN_KINDS },
  { name: 'device.known_by', type: 'string', description: 'What made the device known: "cookie" (its signed id), "fingerprint" (a look-alike browser matches too), or "".', whenUnknown: '', kinds: LOGIN_KINDS },
  { name: 'device.cookie_valid', type: 'bool', description: 'A device cookie signed by this deployment was presented.', whenUnknown: false },
  { name: 'device.cookie_forged', type: 'bool', description: 'A device cookie was presented whose signature does not verify.', whenUnknown: false },
  { name: 'device.first_seen', type: 'bool', description: 'The gateway has never seen this device before, for any user: no valid device cookie and a fingerprint never seen.', whenUnknown: true },
  { name: 'device.count_for_user', type: 'int', description: 'How many distinct devices (by fingerprint) have succeeded for this user.', whenUnknown: 0, kinds: LOGIN_KINDS },
  { name: 'device.fingerprint', type: 'string', description: 'Keyed hash of stable traits (parsed user agent, accept-language, client hints).', whenUnknown: '' },
  { name: 'device.browser', type: 'string', description: 'Browser family from the user agent (ua-parser-js), or "".', whenUnknown: '' },
  { name: 'device.os', type: 'string', description: 'Operating system family from the user agent, or "".', whenUnknown: '' },
  { name: 'device.is_bot', type: 'bool', description: 'The user agent is empty, an HTTP library or tool (curl, python-requests…), an automated browser or a crawler.', whenUnknown: false },
  // geo.*
  { name: 'geo.country', type: 'string', description: 'ISO country code from geoip-lite, or "" when unknown (private ranges included).', whenUnknown: '' },
  { name: 'geo.known', type: 'bool', description: 'The address was found in the geo database.', whenUnknown: false },
  { name: 'geo.lat', type: 'double', description: 'Latitude, 0 when unknown.', whenUnknown: 0 },
  { name: 'geo.lon', type: 'double', description: 'Longitude, 0 when unknown.', whenUnknown: 0 },
  { name: 'geo.new_country', type: 'bool', description: 'The user has never succeeded from this country (false when the country or the user is unknown).', whenUnknown: false, kinds: LOGIN_KINDS },
  { name: 'geo.travel_kmh', type: 'double', description: "Speed (km/h) needed to get here from the user's last success, the distance less geoip's accuracy radii (impossible travel); 1000000 when under a minute apart; 0 when unknown.", whenUnknown: 0, kinds: LOGIN_KINDS },
  // password.* (computed from the submitted password, then the password is dropped)
  { name: 'password.present', type: 'bool', description: 'A password was submitted and could be read (false when use_encrypted_auth hides it).', whenUnknown: false, kinds: PASSWORD_KINDS },
  { name: 'password.length', type: 'int', description: 'Length in characters (Unicode code points).', whenUnknown: 0, kinds: PASSWORD_KINDS },
  { name: 'password.classes', type: 'int', description: 'Character classes used: lower, upper, digit, other (0-4).', whenUnknown: 0, kinds: PASSWORD_KINDS },
  { name: 'password.strength', type: 'int', description: 'Strength score 0 (trivial) to 4 (strong): zxcvbn of the first 32 characters; 0 for a common password.', whenUnknown: 0, kinds: PASSWORD_KINDS },
  { name: 'password.common', type: 'bool', description: 'In the bundled list of the 300,000 most common passwords (as sent or lower-cased; 1 in 10,000 false positives).', whenUnknown: false, kinds: PASSWORD_KINDS },
  { name: 'password.contains_login', type: 'bool', description: 'Contains the login name (case-insensitive), or the local part of an e-mail login; logins under 3 characters never match.', whenUnknown: false, kinds: PASSWORD_KINDS },
  // user.*
  { name: 'user.login', type: 'string', description: 'The login name the request is for, or "". For the one-time-code step: the login its portal session was left pending for (the form\'s USER_LOGIN is ignored, as the portal ignores it).', whenUnknown: '' },
  { name: 'user.known', type: 'bool', description: 'The gateway has seen this user succeed.', whenUnknown: false },
  { name: 'user.admin', type: 'bool', description: "An admin or owner (from the portal's directory config or an admin import).", whenUnknown: false },
  { name: 'user.owner', type: 'bool', description: 'The account owner.', whenUnknown: false },
  { name: 'user.second_factor', type: 'bool', description: 'An OTP step has been seen after a password step for this user.', whenUnknown: false },
  { name: 'user.weak_password_seen', type: 'bool', description: 'A weak or common password has been seen succeeding for this user.', whenUnknown: false },
  { name: 'user.active_employees_on_portal', type: 'int', description: 'Users of the portal known to the gateway and not blocked.', whenUnknown: 0 },
  // rest.*
  { name: 'rest.principal', type: 'string', description: 'webhook, oauth, session or none.', whenUnknown: 'none', kinds: ['rest'] },
  { name: 'rest.webhook_user', type: 'string', description: 'User id of an incoming webhook, or "".', whenUnknown: '', kinds: ['rest'] },
  { name: 'rest.app', type: 'string', description: 'Keyed hash of the OAuth token or client id of an application call, or "".', whenUnknown: '', kinds: ['rest', 'oauth_token'] },
  { name: 'rest.method', type: 'string', description: 'REST method, lower case (e.g. crm.deal.list), or "".', whenUnknown: '', kinds: ['rest'] },
  { name: 'rest.batch_size', type: 'int', description: 'Commands in a batch call (1 for a plain call, 0 when unknown).', whenUnknown: 0, kinds: ['rest'] },
];

export const SIGNALS_BY_NAME: ReadonlyMap<string, SignalDef> = new Map(SIGNAL_CATALOG.map((s) => [s.name, s]));
