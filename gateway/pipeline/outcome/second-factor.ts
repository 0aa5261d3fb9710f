/**
 * A second-factor login opens its session at the one-time-code step, which names no user: the portal
 * knows whose code it is from its session. The gateway learns it the same way: when the password step
 * is answered with the code form, the portal session it belongs to (PHP's session cookie) is noted
 * with the user, for ten minutes; the code step that succeeds in that session is that user's, and
 * makes the device known and gets the device cookie (observe-stage.ts).
 *
 * Never from what the client says: a `BITRIX_SM_LOGIN` cookie or a USER_LOGIN field on the code step
 * could name anyone, and would let an attacker's own successful login make their device "known" for
 * someone else. The session id is kept only as a keyed hash; the record is used once.
 */
import { cookieValues } from '../../signals/device/device-cookie';
import { keyedHash } from '../../signals/keyed-hash';
import type { Store, StoredRecord } from '../../store/port';

/** PHP's default session name (a portal with a renamed session cookie gets no code-step learning). */
export const SESSION_COOKIE = 'PHPSESSID';
/** How long a password step waits for its code step. */
export const PENDING_SECOND_FACTOR_MS = 10 * 60_000;
const ID_PREFIX = 'second-factor:';

interface PendingSecondFactor extends StoredRecord {
  readonly id: string;
  readonly uid: string;
  readonly login: string;
  readonly expiresAtMs: number;
}

/** The portal session of an exchange: the one the answer starts, else the one the request sent. */
export function portalSessionOf(requestCookie: string | string[] | undefined, answerSetCookie: string | string[] | undefined): string | undefined {
  for (const line of ([] as string[]).concat(answerSetCookie ?? [])) {
    const m = /^\s*([^=;]+)=([^;]*)/.exec(line);
    if (m && m[1]!.trim() === SESSION_COOKIE && m[2]!.trim() !== '') return m[2]!.trim();
  }
  return cookieValues(requestCookie, SESSION_COOKIE).find((v) => v !== '');
}

function pendingId(secret: string, portal: string, session: string): string {
  return ID_PREFIX + keyedHash(secret, 'identifier', 'portal_session', portal, session);
}

/** The password step was right and the portal asked for the code: note whose session this is. */
export function notePendingSecondFactor(store: Store, secret: string, who: { portal: string; uid: string; login: string }, session: string, nowMs: number): Promise<void> {
  const record: PendingSecondFactor = { id: pendingId(secret, who.portal, session), uid: who.uid, login: who.login, expiresAtMs: nowMs + PENDING_SECOND_FACTOR_MS };
  return store.put('devices', who.portal, record);
}

/** The user whose password step opened this session's code step, once (the record is removed). */
export async function takePendingSecondFactor(store: Store, secret: string, portal: string, session: string, nowMs: number): Promise<{ uid: string; login: string } | undefined> {
  const id = pendingId(secret, portal, session);
  const r = await store.get<PendingSecondFactor>('devices', portal, id);
  if (!r || r.expiresAtMs <= nowMs) return undefined;
  await store.delete('devices', portal, id);
  return { uid: r.uid, login: r.login };
}
