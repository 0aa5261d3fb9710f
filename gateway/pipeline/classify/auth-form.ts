/**
 * The prolog's form login (`modules/main/include.php`, run before every page):
 *
 *   older cores:  if (isset($_REQUEST["AUTH_FORM"]) && $_REQUEST["AUTH_FORM"] <> '')   // any method
 *   newer cores:  if (!empty($_POST["AUTH_FORM"]))                                      // POST only
 *   then, by TYPE compared with PHP `==` (exact, case-sensitive, for these non-numeric strings):
 *     "AUTH"       → Login(USER_LOGIN, USER_PASSWORD, USER_REMEMBER)
 *     "OTP"        → LoginByOtp(USER_OTP, OTP_REMEMBER, captcha…)
 *     "SEND_PWD"   → SendPassword(USER_LOGIN, USER_EMAIL, …, USER_PHONE_NUMBER)
 *     "CHANGE_PWD" → only when REQUEST_METHOD == 'POST': ChangePassword(USER_LOGIN, USER_CHECKWORD,
 *                    USER_PASSWORD, USER_CONFIRM_PASSWORD, …, USER_PHONE_NUMBER, USER_CURRENT_PASSWORD)
 *     "REGISTRATION" → only by POST, and only where self-registration is open
 *     anything else → nothing.
 *
 * We take the union of both generations: AUTH_FORM counts when it is non-empty (`'0'` included: the
 * older `<> ''` test accepts it) in the body, the query or, for PHP setups whose $_REQUEST includes
 * cookies (no request_order and variables_order with C), a cookie. An array counts (`array <> ''` is
 * true). The fields are read from $_REQUEST (post wins over query); cookies only fill gaps.
 *
 * Decisions where the core does nothing but we still call it a login (a false login is only a
 * counted attempt; a false `other` would be a bypass if some version or custom component acts):
 * an unknown, missing, differently-cased or array TYPE, and REGISTRATION. CHANGE_PWD by anything but
 * POST is `other`: every core version ignores it, and calling it a password change could let a
 * request the portal ignored look like the change that lifts `reset_required`.
 */
import type { Credentials, Principal, RequestKind } from '../request';
import { phpTrim } from './bytes';
import { ARRAY_MARKER } from './php-params';

export type FormSource = 'post' | 'query' | 'cookie';

export interface FormDecision {
  readonly kind: RequestKind;
  readonly reason: string;
  readonly principal: Principal;
  readonly credentials: Credentials;
}

export interface FormSources {
  readonly post?: ReadonlyMap<string, string> | undefined;
  readonly query?: ReadonlyMap<string, string> | undefined;
  /** The query parsed with `;` as a separator too (arg_separator.input = "&;"), if it differs. */
  readonly queryAlt?: ReadonlyMap<string, string> | undefined;
  readonly cookie?: ReadonlyMap<string, string> | undefined;
}

/** The source whose AUTH_FORM is non-empty, body first. */
export function authFormSource(s: FormSources): FormSource | undefined {
  if (nonEmpty(s.post?.get('AUTH_FORM'))) return 'post';
  if (nonEmpty(s.query?.get('AUTH_FORM')) || nonEmpty(s.queryAlt?.get('AUTH_FORM'))) return 'query';
  if (nonEmpty(s.cookie?.get('AUTH_FORM'))) return 'cookie';
  return undefined;
}

/** The suffix of a decision's reason when the portal's php.ini decides what it reads. */
export const AMBIGUOUS = ':ambiguous';

/**
 * The decision, under every reading a portal's php.ini can give; when they differ, the request is
 * marked `:ambiguous` and refused by the classifier (classify.ts) (the gateway cannot know which principal the
 * portal checks, and counting one while the portal logs in another lets guesses go uncounted).
 *
 * - arg_separator.input "&" (PHP's default) or "&;": with `?USER_LOGIN=bob;USER_PASSWORD=x` one
 *   portal checks the login `bob;USER_PASSWORD=x`, the other `bob`. An ambiguous decision carries the
 *   ";" reading's principal: its values never run past a ";", so a secret written after one is not
 *   taken for a login (and logged).
 * - request_order "GP" (php.ini-production: cookies are not in $_REQUEST, so here they only fill gaps)
 *   or no request_order at all (PHP without a php.ini, as the official container images ship:
 *   variables_order "EGPCS", so a cookie overrides the body). No browser sends USER_LOGIN or TYPE as a
 *   cookie.
 *
 * (A login field past the first 1000 variables, where max_input_vars decides, is refused before this:
 * php-params.ts lateMatteringKey, php-multipart.ts.)
 */
export function decideAuthForm(sources: FormSources, method: string): FormDecision | undefined {
  const amp = decideOneSeparator({ ...sources, queryAlt: undefined }, method);
  if (sources.queryAlt === undefined) return amp;
  const semi = decideOneSeparator({ ...sources, query: sources.queryAlt, queryAlt: undefined }, method);
  if (sameDecision(amp, semi)) return amp !== undefined && semi?.reason.endsWith(AMBIGUOUS) ? ambiguous(amp) : amp;
  return ambiguous((semi ?? amp)!);
}

function decideOneSeparator(sources: FormSources, method: string): FormDecision | undefined {
  const gp = decideFrom(sources, method, requestFields(sources));
  if (sources.cookie === undefined || sources.cookie.size === 0) return gp;
  const cookieWins = requestFields(sources);
  for (const [k, v] of sources.cookie) cookieWins.set(k, v);
  const egpcs = decideFrom(sources, method, cookieWins);
  if (sameDecision(gp, egpcs)) return gp;
  return ambiguous((gp ?? egpcs)!);
}

function ambiguous(d: FormDecision): FormDecision {
  return d.reason.endsWith(AMBIGUOUS) ? d : { ...d, reason: `${d.reason}${AMBIGUOUS}` };
}

function sameDecision(a: FormDecision | undefined, b: FormDecision | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const p = a.principal;
  const q = b.principal;
  return a.kind === b.kind && p.login === q.login && p.email === q.email && p.phone === q.phone;
}

function decideFrom(sources: FormSources, method: string, fields: ReadonlyMap<string, string>): FormDecision | undefined {
  const source = authFormSource(sources);
  if (source === undefined) return undefined;
  const get = (k: string): string | undefined => plain(fields.get(k));
  const type = fields.get('TYPE');
  const isPost = method.toUpperCase() === 'POST';
  const reason = `auth_form:${source}`;
  const login = trimmed(get('USER_LOGIN'));
  switch (type) {
    case 'AUTH':
      return loginDecision(reason, login, get('USER_PASSWORD'));
    case 'OTP':
      return {
        kind: 'otp', reason,
        principal: compact({ login, loginVia: 'form' }),
        credentials: compact({ otp: get('USER_OTP') }),
      };
    case 'SEND_PWD':
      return {
        kind: 'password_recovery', reason,
        principal: compact({ login, email: trimmed(get('USER_EMAIL')), phone: trimmed(get('USER_PHONE_NUMBER')) }),
        credentials: {},
      };
    case 'CHANGE_PWD':
      if (!isPost) {
        return { kind: 'other', reason: `${reason}:change_pwd_ignored_not_post`, principal: compact({ login }), credentials: {} };
      }
      return {
        kind: 'password_change', reason,
        principal: compact({ login, phone: trimmed(get('USER_PHONE_NUMBER')) }),
        credentials: compact({
          checkword: get('USER_CHECKWORD'),
          newPassword: get('USER_PASSWORD'),
          password: get('USER_CURRENT_PASSWORD'),
        }),
      };
    case 'REGISTRATION':
      return loginDecision(`${reason}:registration`, login, get('USER_PASSWORD'));
    default:
      return loginDecision(`${reason}:type_unknown`, login, get('USER_PASSWORD'));
  }
}

/** `$_REQUEST["bx_hit_hash"]`, trimmed, when non-empty (login by a one-time URL hash). */
export function hitHash(sources: FormSources): string | undefined {
  const v = plain(sources.post?.get('bx_hit_hash')) ?? plain(sources.query?.get('bx_hit_hash'));
  const t = v === undefined ? '' : phpTrim(v);
  return t === '' ? undefined : t;
}

function loginDecision(reason: string, login: string | undefined, password: string | undefined): FormDecision {
  return {
    kind: 'login', reason,
    principal: compact({ login, loginVia: 'form' }),
    credentials: compact({ password }),
  };
}

function requestFields(s: FormSources): Map<string, string> {
  const fields = new Map<string, string>();
  for (const source of [s.cookie, s.queryAlt]) if (source) for (const [k, v] of source) fields.set(k, v);
  if (s.query) for (const [k, v] of s.query) fields.set(k, v);
  if (s.post) for (const [k, v] of s.post) fields.set(k, v);
  return fields;
}

function nonEmpty(v: string | undefined): boolean {
  return v !== undefined && v !== '';
}

function plain(v: string | undefined): string | undefined {
  return v === undefined || v === ARRAY_MARKER ? undefined : v;
}

function trimmed(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = phpTrim(v);
  return t === '' ? undefined : t;
}

/** Drop undefined properties, so results compare cleanly and carry no empty keys. */
export function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
