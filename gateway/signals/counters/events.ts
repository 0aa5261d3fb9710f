/**
 * The events that policy counters count, and the keys they are counted by. The record stage emits one
 * or two events per request (its attempt event before scoring, its outcome event after the portal has
 * answered); a counter names one event and the keys of its buckets.
 *
 * Order of recording, which every threshold in a policy depends on:
 *   1. the request's attempt event (`login.attempt`, `rest.call`, …) is recorded *before* the attempt
 *      phase is scored, so at the attempt phase a count of attempts includes the current one;
 *   2. its outcome event (`login.failed`, `login.success`, `rest.error`, …) is recorded after the portal
 *      has answered and *before* the outcome phase is scored, so at the outcome phase the count
 *      includes the current failure or success;
 *   3. a request the gateway answers itself (a decoy after `deny_attempt`, an enforced block) records
 *      the failure event of its kind: to the attacker it *was* a failure, and the ladder of
 *      thresholds must keep climbing while the decoy is served.
 */
import type { RequestKind } from '../../pipeline/request';

export interface CounterEventDef {
  readonly name: string;
  readonly kind: RequestKind;
  /** `attempt`: recorded before the attempt phase; `outcome`: after the portal's answer. */
  readonly stage: 'attempt' | 'outcome';
  readonly description: string;
}

const loginLike = (kind: RequestKind, what: string): CounterEventDef[] => [
  { name: `${kind}.attempt`, kind, stage: 'attempt', description: `A ${what} arrived (recorded before scoring).` },
  { name: `${kind}.failed`, kind, stage: 'outcome', description: `A ${what} failed: the portal refused it, or the gateway answered it with a decoy.` },
  { name: `${kind}.success`, kind, stage: 'outcome', description: `A ${what} succeeded at the portal.` },
];

export const COUNTER_EVENTS: readonly CounterEventDef[] = [
  ...loginLike('login', 'login (password step)'),
  ...loginLike('otp', 'one-time-code step'),
  ...loginLike('password_recovery', 'password recovery request'),
  ...loginLike('password_change', 'password change'),
  ...loginLike('oauth_token', 'OAuth token request'),
  { name: 'rest.call', kind: 'rest', stage: 'attempt', description: 'A REST call arrived (recorded before scoring).' },
  { name: 'rest.error', kind: 'rest', stage: 'outcome', description: "A REST call failed: the portal's error envelope or status >= 400, or a gateway refusal." },
  { name: 'rest.success', kind: 'rest', stage: 'outcome', description: 'A REST call succeeded.' },
];

export const COUNTER_EVENT_NAMES: readonly string[] = COUNTER_EVENTS.map((e) => e.name);
export const COUNTER_EVENTS_BY_NAME: ReadonlyMap<string, CounterEventDef> = new Map(COUNTER_EVENTS.map((e) => [e.name, e]));

/** The events a request of `kind` records: its attempt event, then its failure or success event. */
export function eventsOfKind(kind: RequestKind): { attempt: string; failed: string; success: string } | undefined {
  if (kind === 'rest') return { attempt: 'rest.call', failed: 'rest.error', success: 'rest.success' };
  if (kind === 'websocket' || kind === 'other') return undefined;
  return { attempt: `${kind}.attempt`, failed: `${kind}.failed`, success: `${kind}.success` };
}

/**
 * What buckets are keyed by. Values are strings supplied by the sense stage (keyed hashes where the
 * value is personal or secret); an event that lacks a key a counter needs is not counted by it (a REST
 * call without a webhook is not counted `by: [webhook]`).
 */
export const COUNTER_KEYS = ['portal', 'user', 'ip', 'ip_prefix', 'device', 'webhook', 'app', 'method', 'password'] as const;
export type CounterKey = (typeof COUNTER_KEYS)[number];

export const COUNTER_KEY_DESCRIPTIONS: Readonly<Record<CounterKey, string>> = {
  portal: 'the portal (request.portal)',
  user: 'the login name (user.login), as a keyed hash in the store',
  ip: 'the client address (request.ip)',
  ip_prefix: 'the client network, /24 or /64 (request.ip_prefix)',
  device: "the identity that made the device known for this user: its cookie's id (device.known_by == 'cookie') or its fingerprint ('fingerprint'); for a device not known, the client IP (a cookie or user agent costs an attacker nothing to change)",
  webhook: 'the incoming webhook (portal + webhook user id; the code is never used)',
  app: 'the OAuth application (rest.app)',
  method: 'the REST method (rest.method)',
  password: 'a keyed hash of the submitted password: distinct passwords, or the same wrong password counted once',
};

/** The key values of one event; absent or empty means unknown. */
export type CounterKeys = Readonly<Partial<Record<CounterKey, string>>>;
