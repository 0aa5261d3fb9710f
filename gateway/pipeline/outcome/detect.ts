/**
 * Reading the portal's answer: did the login, the one-time-code step, the password change or the REST
 * call succeed? The per-portal matchers (PortalSettings) default to the wire notes and the simulator:
 *
 * - a password-step failure is a 200 page with the portal's failure text;
 * - the one-time-code form in the answer means the password was right and a second factor is asked
 *   (the portal then sets BITRIX_SM_LOGIN too, so a session cookie alone is not a success); in the
 *   answer to a one-time-code step, the same form means the code was wrong;
 * - a success opens a *logged-in* session: a redirect that sets a session cookie, or any answer that
 *   sets a login cookie (BITRIX_SM_LOGIN, BITRIX_SM_UIDH…: every session-prefix cookie but PHPSESSID);
 *   the anonymous PHPSESSID a portal sets on any first visit is not a login;
 * - a password change succeeded when the answer carries the portal's success text;
 * - a REST call failed when its status is 400 or more (the portal's error envelopes all are).
 */
import type { PortalSettings } from '../../config/types';
import type { RequestKind } from '../request';
import type { OutcomeReading } from '../request-state';

/** The one-time-code field of the portal's second step form (wire notes: `USER_OTP`). */
const SECOND_FACTOR_MARKERS = ['name="USER_OTP"', "name='USER_OTP'"];

export interface AnswerView {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Undefined when the answer streamed (REST): only the status is read. */
  readonly body?: Buffer;
}

export function detectOutcome(kind: RequestKind, answer: AnswerView, settings: PortalSettings): OutcomeReading {
  const status = answer.status;
  if (kind === 'rest') return reading(status < 400, status);
  if (kind === 'oauth_token') return reading(status === 200 && has(answer.body, ['"access_token"']), status);
  const text = answer.body ? answer.body.toString('utf8') : '';
  if (kind === 'password_change') return reading(status < 400 && settings.passwordChange.successTexts.some((t) => text.includes(t)), status);
  const failedText = settings.login.failureTexts.some((t) => text.includes(t));
  if (kind === 'password_recovery') return reading(status < 400 && !failedText, status);
  const secondFactorAsked = !failedText && SECOND_FACTOR_MARKERS.some((m) => text.includes(m));
  const cookies = sessionCookies(answer.headers['set-cookie'], settings.login.sessionCookiePrefixes);
  const redirect = status >= 300 && status < 400;
  const loggedIn = cookies.some((name) => name !== ANONYMOUS_SESSION) || (redirect && cookies.length > 0);
  const success = status < 400 && !failedText && !secondFactorAsked && loggedIn;
  // The one-time-code step answered with its own form again is a wrong code (a failure), not a
  // second factor being asked: that is what the password step's answer means.
  if (kind === 'otp') return { success, failure: !success, status, secondFactorAsked: false };
  return { success, failure: !success && !secondFactorAsked, status, secondFactorAsked };
}

function reading(success: boolean, status: number): OutcomeReading {
  return { success, failure: !success, status, secondFactorAsked: false };
}

function has(body: Buffer | undefined, needles: readonly string[]): boolean {
  if (!body) return false;
  const text = body.toString('utf8');
  return needles.some((n) => text.includes(n));
}

/** PHP's session cookie: set on a first visit whether or not anyone logs in. */
const ANONYMOUS_SESSION = 'PHPSESSID';

/** Names of the session cookies an answer sets (a cookie being deleted sets nothing). */
function sessionCookies(setCookie: string | string[] | undefined, prefixes: readonly string[]): string[] {
  if (!setCookie) return [];
  const names: string[] = [];
  for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
    const name = line.slice(0, line.indexOf('=')).trim();
    if (/=\s*(;|$)|=deleted/i.test(line)) continue;
    if (prefixes.some((p) => name.startsWith(p))) names.push(name);
  }
  return names;
}
