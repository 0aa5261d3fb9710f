/**
 * The portal's prolog (modules/main/include.php) for every page: it runs before any page script,
 * on any path and any method, in this order:
 *   1. `logout=yes` ends an authorized session (then a redirect to the same page without it);
 *   2. "remember me" cookies (BITRIX_SM_UIDL + BITRIX_SM_UIDH) authorize;
 *   3. `Authorization: Basic` is a password login (CUser::LoginByHttpAuth), on any page;
 *   4. a non-empty $_REQUEST["AUTH_FORM"] runs the form by TYPE: AUTH, OTP, SEND_PWD, and CHANGE_PWD
 *      for POST only. `?login=yes` is only the portal's own forms' convention: it is not required.
 * REST scripts define NOT_CHECK_PERMISSIONS, which skips all of this: REST never logs in by form.
 *
 * A failed Basic login is answered like a failed form login: the prolog only records the result and
 * the portal's pages (which all require authorization) render the login form with the error, 200.
 * Only scripts that call RequiredHTTPAuthBasic answer 401, and no page of this simulator does.
 */
import type { SimRequest, SimSettings } from './context';
import { deleteCookie, setCookie } from './cookies';
import { spendHashCost } from './hash-cost';
import {
  ADMIN_LOGIN_SUCCESS_BODY,
  CHECKWORD_SENT_TEXT,
  LOGIN_FAILURE_TEXT,
  OTP_FAILURE_TEXT,
  OTP_SESSION_ERROR_TEXT,
  PASSWORD_CHANGED_TEXT,
  changePasswordPage,
  forgotPage,
  loginPage,
  otpPage,
  pageHeaders,
  portalPage,
  type SimResponse,
} from './pages';
import { phpVarName, str, type PhpValue } from './php-request';
import { Portal, type Session, type UserState } from './portal';
import { newToken } from './volatile';

type AuthResult =
  | { kind: 'ok'; user: UserState; remember: boolean }
  | { kind: 'fail'; captcha: boolean }
  | { kind: 'otp-needed'; user: UserState; remember: boolean }
  | { kind: 'otp-fail' }
  | { kind: 'otp-no-session' }
  | { kind: 'sent' }
  | { kind: 'changed' }
  | { kind: 'change-error'; text: string };

/** BITRIX_SM_LOGIN and the remember-me cookies live 60 months (CUser::Login, SavePasswordHash). */
const LONG_COOKIE_MS = 60 * 60 * 24 * 30 * 60 * 1000;

/** Parameters the portal removes from the URL when it redirects after a login (DeleteParam), plus
 * the form's own fields, so a password sent in a query never comes back in a Location header. */
const LOGIN_PARAMS = new Set([
  'login', 'logout', 'register', 'forgot_password', 'change_password', 'confirm_registration', 'confirm_code',
  'confirm_user_id', 'logout_butt', 'auth_service_id', 'AUTH_FORM', 'TYPE', 'USER_LOGIN', 'USER_PASSWORD',
  'USER_REMEMBER', 'USER_OTP', 'OTP_REMEMBER', 'backurl', 'sessid', 'captcha_sid', 'captcha_word', 'USER_EMAIL',
  'USER_CHECKWORD', 'USER_CONFIRM_PASSWORD', 'USER_CURRENT_PASSWORD',
]);

/** PHP's session ids: letters, digits, `,` and `-`; anything else makes PHP start a new session. */
const SESSION_ID = /^[A-Za-z0-9,-]{1,128}$/;

/** PHP compares `$_REQUEST["AUTH_FORM"] <> ''` loosely: any array is "not empty" too. */
function present(v: PhpValue | undefined): boolean {
  return v !== undefined && (typeof v === 'object' || v !== '');
}

export async function handlePage(portal: Portal, req: SimRequest, settings: SimSettings): Promise<SimResponse> {
  const now = settings.clock.now();
  const R = req.request;
  const cookies: string[] = [];

  // PHP session_start(): adopt the id the client sent (no strict mode), else start one and say so.
  let sid = req.cookies['PHPSESSID'];
  if (sid === undefined || !SESSION_ID.test(sid)) {
    sid = Portal.newSessionId();
    cookies.push(setCookie('PHPSESSID', sid, { httpOnly: true }));
  }
  let session: Session = portal.session(sid) ?? {};

  if (str(R['logout']).toLowerCase() === 'yes' && session.userId !== undefined) {
    portal.dropSession(sid);
    const uidh = req.cookies['BITRIX_SM_UIDH'];
    if (uidh) portal.rememberHashes.delete(uidh);
    cookies.push(deleteCookie('BITRIX_SM_UIDH'));
    return redirect(urlWithout(req, new Set(['logout'])), cookies);
  }

  if (session.userId === undefined) {
    const uidh = req.cookies['BITRIX_SM_UIDH'];
    const uid = uidh ? portal.rememberHashes.get(uidh) : undefined;
    const user = uid === undefined ? undefined : portal.usersById.get(uid);
    if (user && user.active && (req.cookies['BITRIX_SM_UIDL'] ?? '').toLowerCase() === user.login.toLowerCase()) {
      session = { userId: user.id };
      portal.saveSession(sid, session);
    }
  }

  const authorize = (user: UserState, remember: boolean): void => {
    // A login starts a new session id (session fixation), so PHPSESSID is always set on success.
    portal.dropSession(sid!);
    sid = Portal.newSessionId();
    session = { userId: user.id };
    portal.saveSession(sid, session);
    for (let i = cookies.length - 1; i >= 0; i--) if (cookies[i]!.startsWith('PHPSESSID=')) cookies.splice(i, 1);
    cookies.push(setCookie('PHPSESSID', sid, { httpOnly: true }));
    cookies.push(setCookie('BITRIX_SM_LOGIN', user.login, { expiresMs: now + LONG_COOKIE_MS, nowMs: now }));
    if (remember) {
      const uidh = newToken();
      portal.rememberHashes.set(uidh, user.id);
      cookies.push(setCookie('BITRIX_SM_UIDH', uidh, { expiresMs: now + LONG_COOKIE_MS, nowMs: now, httpOnly: true }));
      cookies.push(setCookie('BITRIX_SM_UIDL', user.login, { expiresMs: now + LONG_COOKIE_MS, nowMs: now }));
    }
  };
  const apply = (result: AuthResult): void => {
    if (result.kind === 'ok') authorize(result.user, result.remember);
    if (result.kind === 'otp-needed') {
      session = { ...session, otpPending: { userId: result.user.id, remember: result.remember } };
      portal.saveSession(sid!, session);
      // CUser::Login sets the login cookie whenever the password was right, before the second step.
      cookies.push(setCookie('BITRIX_SM_LOGIN', result.user.login, { expiresMs: now + LONG_COOKIE_MS, nowMs: now }));
    }
  };

  let result: AuthResult | undefined;
  const basic = parseBasic(req.headers.authorization);
  if (basic && (session.userId === undefined || portal.usersById.get(session.userId)?.login !== basic.user)) {
    result = await passwordLogin(portal, settings, req, basic.user, basic.password, false);
    apply(result);
  }

  let formType: string | undefined;
  if (present(R['AUTH_FORM'])) {
    const type = str(R['TYPE']);
    let formResult: AuthResult | undefined;
    if (type === 'AUTH') {
      formResult = await passwordLogin(portal, settings, req, str(R['USER_LOGIN']), str(R['USER_PASSWORD']), str(R['USER_REMEMBER']) === 'Y');
    } else if (type === 'OTP') formResult = otpLogin(portal, session, str(R['USER_OTP']));
    else if (type === 'SEND_PWD') formResult = sendPassword(portal, str(R['USER_LOGIN']), str(R['USER_EMAIL']), str(R['USER_PHONE_NUMBER']));
    else if (type === 'CHANGE_PWD' && req.method === 'POST') formResult = await changePassword(portal, settings, R);
    if (formResult) {
      formType = type;
      result = formResult;
      apply(formResult);
    }
  }

  const isAdmin = req.path === '/bitrix/admin' || req.path.startsWith('/bitrix/admin/');
  switch (result?.kind) {
    case 'ok':
      if (formType === 'AUTH' || formType === 'OTP') {
        if (isAdmin) return page(ADMIN_LOGIN_SUCCESS_BODY, cookies);
        return redirect(successTarget(req), cookies);
      }
      break; // Basic: the page itself is served, now authorized
    case 'fail':
      return page(loginPage({ error: LOGIN_FAILURE_TEXT, captcha: result.captcha }), cookies);
    case 'otp-needed':
      return page(otpPage(), cookies);
    case 'otp-fail':
      return page(otpPage(OTP_FAILURE_TEXT), cookies);
    case 'otp-no-session':
      return page(loginPage({ error: OTP_SESSION_ERROR_TEXT }), cookies);
    case 'sent':
      return page(forgotPage(CHECKWORD_SENT_TEXT), cookies);
    case 'changed':
      return page(changePasswordPage({ type: 'OK', text: PASSWORD_CHANGED_TEXT }), cookies);
    case 'change-error':
      return page(changePasswordPage({ type: 'ERROR', text: result.text }), cookies);
    default:
      break;
  }

  const user = session.userId === undefined ? undefined : portal.usersById.get(session.userId);
  if (user && user.active) return page(portalPage(user.name, req.path), cookies);
  // Every page of the portal needs authorization: an anonymous visitor gets the form (200).
  if (str(R['forgot_password']) === 'yes') return page(forgotPage(), cookies);
  if (str(R['change_password']) === 'yes') return page(changePasswordPage(), cookies);
  return page(loginPage(), cookies);
}

/**
 * CUser::Login. The portal's own failure counter (b_user.LOGIN_ATTEMPTS) counts wrong passwords of
 * an existing user; from `captchaAfterFailures` on, the form shows a CAPTCHA. The real portal then
 * also requires the right captcha_word (a wrong one fails like a wrong password); the simulator
 * checks it only when `captchaWord` is configured, and otherwise just shows the block.
 * An inactive user fails with the same page (the real core says LOGIN_BLOCK when the password of an
 * inactive user is right; the wire contract of this project keeps one failure page).
 */
async function passwordLogin(
  portal: Portal,
  settings: SimSettings,
  req: SimRequest,
  login: string,
  password: string,
  remember: boolean,
): Promise<AuthResult> {
  await spendHashCost(settings.hashCostMs); // for every attempt, known user or not: see hash-cost.ts
  const user = login === '' ? undefined : portal.userByLogin(login);
  if (!user) return { kind: 'fail', captcha: false };
  const limit = settings.captchaAfterFailures;
  const captchaShown = limit > 0 && user.failures >= limit;
  const captchaOk =
    !captchaShown ||
    settings.captchaWord === undefined ||
    str(req.request['captcha_word']).toUpperCase() === settings.captchaWord.toUpperCase();
  if (user.password !== password || !captchaOk) {
    user.failures++;
    return { kind: 'fail', captcha: limit > 0 && user.failures >= limit };
  }
  if (!user.active) return { kind: 'fail', captcha: captchaShown };
  if (user.otp) return { kind: 'otp-needed', user, remember };
  user.failures = 0;
  return { kind: 'ok', user, remember };
}

/** CUser::LoginByOtp: needs the deferred password step of this session. */
function otpLogin(portal: Portal, session: Session, otp: string): AuthResult {
  const pending = session.otpPending;
  const user = pending && portal.usersById.get(pending.userId);
  if (!pending || !user || !user.active || !user.otp) return { kind: 'otp-no-session' };
  if (otp !== user.otp) return { kind: 'otp-fail' };
  delete session.otpPending;
  user.failures = 0;
  return { kind: 'ok', user, remember: pending.remember };
}

/**
 * CUser::SendPassword. The answer is the same whether the account exists or not (no enumeration);
 * only an active account gets a check word, "e-mailed" into the simulator's mailbox.
 */
function sendPassword(portal: Portal, login: string, email: string, phone: string): AuthResult {
  let user = login !== '' ? portal.userByLogin(login) : undefined;
  if (!user && login.includes('@')) user = portal.userByEmail(login);
  if (!user && login === '' && email !== '') user = portal.userByEmail(email);
  // By phone, the check word goes out by SMS (the simulator's mailbox stands for the phone too).
  if (!user && login === '' && email === '' && phone !== '') user = portal.userByPhone(phone);
  if (user && user.active) {
    const word = Portal.newCheckword();
    portal.mailbox.set(user.login, word);
    portal.checkwords.set(user.login, word);
  }
  return { kind: 'sent' };
}

/** CUser::ChangePassword, by check word or (without one) by the current password. */
async function changePassword(portal: Portal, settings: SimSettings, R: SimRequest['request']): Promise<AuthResult> {
  const byLogin = str(R['USER_LOGIN']);
  const user = byLogin !== '' ? portal.userByLogin(byLogin) : portal.userByPhone(str(R['USER_PHONE_NUMBER']));
  const checkword = str(R['USER_CHECKWORD']);
  if (checkword === '' && R['USER_CURRENT_PASSWORD'] !== undefined) {
    await spendHashCost(settings.hashCostMs);
    if (!user || !user.active || user.password !== str(R['USER_CURRENT_PASSWORD'])) {
      return { kind: 'change-error', text: 'Incorrect login or current password.' };
    }
  } else if (!user || !user.active || checkword === '' || portal.checkwords.get(user.login) !== checkword) {
    return { kind: 'change-error', text: 'The check word is incorrect or the login was not found.' };
  }
  const password = str(R['USER_PASSWORD']);
  if (password !== str(R['USER_CONFIRM_PASSWORD'])) {
    return { kind: 'change-error', text: 'The password and its confirmation do not match.' };
  }
  if (password.length < 6) return { kind: 'change-error', text: 'The password must be at least 6 characters long.' };
  user.password = password;
  user.failures = 0;
  portal.checkwords.delete(user.login);
  return { kind: 'changed' };
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  // LoginByHttpAuth ignores a header with an empty login or password.
  return user !== '' && password !== '' ? { user, password } : undefined;
}

/** backurl when it is a same-site path, else the page itself without the login parameters. */
function successTarget(req: SimRequest): string {
  const back = str(req.request['backurl']);
  if (back.startsWith('/') && !back.startsWith('//') && !back.startsWith('/\\') && !/[\r\n\0]/.test(back)) return back;
  return urlWithout(req, LOGIN_PARAMS);
}

function urlWithout(req: SimRequest, names: Set<string>): string {
  const kept = req.rawQuery
    .split('&')
    .filter((pair) => {
      if (pair === '') return false;
      const rawName = pair.split('=')[0]!;
      let decoded: string;
      try {
        decoded = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        decoded = rawName;
      }
      const name = phpVarName(decoded);
      return !name || !names.has(name.base);
    });
  return req.rawPath + (kept.length ? `?${kept.join('&')}` : '');
}

function page(body: string, cookies: string[], status = 200): SimResponse {
  const headers = pageHeaders();
  if (cookies.length) headers['set-cookie'] = cookies;
  return { status, headers, body };
}

function redirect(location: string, cookies: string[]): SimResponse {
  const headers = pageHeaders();
  headers['location'] = location;
  if (cookies.length) headers['set-cookie'] = cookies;
  return { status: 302, headers, body: '' };
}
