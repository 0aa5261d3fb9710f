/**
 * Whose one-time-code step is this? The portal's second step (`TYPE=OTP`) names no user: PHP takes the
 * user from the session that the password step left pending, and ignores any USER_LOGIN sent with
 * the code. So the gateway learns the same thing the same way: when a password step is answered with
 * the one-time-code form, the portal session it belongs to (the PHPSESSID the answer sets, else the
 * one the request sent) is remembered for that login, as a record of `portal_facts` keyed by a keyed
 * hash of the session id (the id itself is a credential, never stored), expiring after OTP_SESSION_MS.
 * A code step whose session belongs to a blocked user gets the decoy, as the user's other logins do.
 * An OTP step is then counted for the user its session belongs to; one whose session the gateway never
 * saw pending is counted by address only. The code step that succeeds takes the record (used once) and
 * makes its device known for that user, with the device cookie (observe-stage.ts).
 */
import { keyedHash } from '../../signals/keyed-hash';
import { cookieValues } from '../../signals/device/device-cookie';
import type { Store, StoredRecord } from '../../store/port';

/** PHP's session cookie, as detect.ts reads it. */
const SESSION_COOKIE = 'PHPSESSID';
/**
 * A pending second step lasts as long as its PHP session, which every request (a wrong code too) keeps
 * alive: remembered for a day, so a long guessing run in one session stays counted for its user.
 */
export const OTP_SESSION_MS = 24 * 3600 * 1000;
export const OTP_SESSION_ID_PREFIX = 'otp_session:';
const MAX_SESSION_ID_CHARS = 256;

export interface OtpSessionRecord extends StoredRecord {
  readonly id: string;
  readonly portal: string;
  readonly login: string;
  readonly expiresAtMs: number;
}

export function otpSessionRecordId(secret: string, portal: string, sessionId: string): string {
  return `${OTP_SESSION_ID_PREFIX}${keyedHash(secret, 'identifier', 'php_session', portal, sessionId)}`;
}

/** The PHPSESSID a request sends (the first one, as PHP reads it), or undefined. */
export function requestSessionId(cookieHeader: string | readonly string[] | undefined): string | undefined {
  const v = cookieValues(cookieHeader, SESSION_COOKIE)[0];
  return v && v.length <= MAX_SESSION_ID_CHARS ? v : undefined;
}

/** The PHPSESSID an answer sets (not one it deletes), or undefined. */
export function answerSessionId(setCookie: string | readonly string[] | undefined): string | undefined {
  for (const line of setCookie === undefined ? [] : typeof setCookie === 'string' ? [setCookie] : setCookie) {
    const m = /^\s*PHPSESSID=([^;]*)/.exec(line);
    if (m && m[1] !== '' && m[1] !== 'deleted' && m[1]!.length <= MAX_SESSION_ID_CHARS) return m[1];
  }
  return undefined;
}

/**
 * A password step was answered with the code form: the portal session it belongs to (the one its answer
 * starts, else the one the request sent) now waits for this login's code.
 */
export function rememberSessionLogin(store: Store, secret: string, portal: string, exchange: { readonly requestCookie: string | readonly string[] | undefined; readonly answerSetCookie: string | readonly string[] | undefined }, login: string, nowMs: number): Promise<void> {
  const sid = answerSessionId(exchange.answerSetCookie) ?? requestSessionId(exchange.requestCookie);
  if (sid === undefined) return Promise.resolve();
  const record: OtpSessionRecord = { id: otpSessionRecordId(secret, portal, sid), portal, login, expiresAtMs: nowMs + OTP_SESSION_MS };
  return store.put('portal_facts', portal, record);
}

/** The login whose code step this request's portal session is, if the gateway saw it pending. */
export async function sessionLogin(store: Store, secret: string, portal: string, cookieHeader: string | readonly string[] | undefined, nowMs: number): Promise<string | undefined> {
  return (await pendingSession(store, secret, portal, cookieHeader, nowMs))?.login;
}

/** sessionLogin, once: the record is removed (the session is open; its code step is done). */
export async function takeSessionLogin(store: Store, secret: string, portal: string, cookieHeader: string | readonly string[] | undefined, nowMs: number): Promise<string | undefined> {
  const pending = await pendingSession(store, secret, portal, cookieHeader, nowMs);
  if (pending) await store.delete('portal_facts', portal, pending.id);
  return pending?.login;
}

async function pendingSession(store: Store, secret: string, portal: string, cookieHeader: string | readonly string[] | undefined, nowMs: number): Promise<OtpSessionRecord | undefined> {
  const sid = requestSessionId(cookieHeader);
  if (sid === undefined) return undefined;
  const record = await store.get<OtpSessionRecord>('portal_facts', portal, otpSessionRecordId(secret, portal, sid));
  return record && record.expiresAtMs > nowMs ? record : undefined;
}
