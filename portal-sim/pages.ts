/**
 * The portal's HTML pages. The login page is built from fixed strings only (no echo of the login,
 * the URL or the time), so that every failure page is the same bytes except the per-request tokens
 * that `stripVolatile` removes: the gateway's decoy is compared to it byte by byte.
 */
import { newToken } from './volatile';

export interface SimResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

/** The failure text of the simulated portal (English, as the wire notes give it). */
export const LOGIN_FAILURE_TEXT = 'Incorrect login or password';
export const PASSWORD_CHANGED_TEXT = 'Password has been changed successfully.';
export const OTP_FAILURE_TEXT = 'Incorrect one-time password';
/** *(unverified)* The English text of USER_LOGIN_OTP_ERROR: an OTP step without a password step. */
export const OTP_SESSION_ERROR_TEXT = 'One-time password authorization error';
export const CHECKWORD_SENT_TEXT =
  'If an account with this login or e-mail exists, a check word to change the password has been sent to its e-mail.';

/**
 * The headers a PHP page of the portal sends: PHP's session cache limiter ("nocache"), the prolog's
 * charset, P3P and X-Powered-CMS lines. The same on every page, so the decoy can copy them.
 */
export function pageHeaders(): Record<string, string | string[]> {
  return {
    'content-type': 'text/html; charset=UTF-8',
    expires: 'Thu, 19 Nov 1981 08:52:00 GMT',
    'cache-control': 'no-store, no-cache, must-revalidate',
    pragma: 'no-cache',
    p3p: 'policyref="/bitrix/p3p.xml", CP="NON DSP COR CUR ADM DEV PSA PSD OUR UNR BUS UNI COM NAV INT DEM STA"',
    'x-powered-cms': 'Bitrix Site Manager (DEMO)',
    'x-frame-options': 'SAMEORIGIN',
    'x-content-type-options': 'nosniff',
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#039;');
}

function head(title: string, sessid: string): string {
  return (
    '<!DOCTYPE html>\n' +
    '<html lang="en">\n' +
    '<head>\n' +
    '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1.0" />\n' +
    `<title>${esc(title)}</title>\n` +
    '<link href="/bitrix/js/main/core/css/core.min.css" type="text/css" rel="stylesheet" />\n' +
    '<link href="/bitrix/templates/login/style.css" type="text/css" rel="stylesheet" />\n' +
    '<script type="text/javascript" src="/bitrix/js/main/core/core.min.js"></script>\n' +
    "<script type=\"text/javascript\">(window.BX||top.BX).message({'LANGUAGE_ID':'en','FORMAT_DATE':'MM/DD/YYYY'," +
    "'FORMAT_DATETIME':'MM/DD/YYYY H:MI:SS T','COOKIE_PREFIX':'BITRIX_SM','SITE_ID':'s1','SITE_DIR':'/'," +
    `'bitrix_sessid':'${sessid}'});</script>\n` +
    '</head>\n'
  );
}

function frame(title: string, sessid: string, inner: string): string {
  return (
    head(title, sessid) +
    '<body class="login-page">\n' +
    '<div class="log-popup-wrap">\n' +
    '<div class="log-popup">\n' +
    '<div class="log-popup-header">Bitrix24</div>\n' +
    '<div class="log-popup-body">\n' +
    inner +
    '</div>\n' +
    '</div>\n' +
    '<div class="log-footer">&copy; 2001-2025 Bitrix24 (simulated)</div>\n' +
    '</div>\n' +
    '</body>\n' +
    '</html>\n'
  );
}

/** ShowMessage(): the core's error and note boxes. */
function message(text: string | undefined, type: 'ERROR' | 'OK'): string {
  if (!text) return '';
  const cls = type === 'ERROR' ? 'errortext' : 'notetext';
  return `<p><font class="${cls}">${esc(text)}<br></font></p>\n`;
}

function sessidInput(sessid: string): string {
  return `<input type="hidden" name="sessid" id="sessid" value="${sessid}" />\n`;
}

export interface LoginPageOptions {
  error?: string;
  captcha?: boolean;
}

/** The authorization form, as the portal shows it to an anonymous visitor and after a failure. */
export function loginPage(opts: LoginPageOptions = {}): string {
  const sessid = newToken();
  let captcha = '';
  if (opts.captcha) {
    const sid = newToken();
    captcha =
      '<div class="login-item login-captcha">\n' +
      `<input type="hidden" name="captcha_sid" value="${sid}" />\n` +
      `<img src="/bitrix/tools/captcha.php?captcha_sid=${sid}" width="180" height="40" alt="CAPTCHA" />\n` +
      '<span class="login-label">Type the characters you see in the picture</span>' +
      '<input class="login-inp" type="text" name="captcha_word" maxlength="50" value="" autocomplete="off" />\n' +
      '</div>\n';
  }
  return frame(
    'Authorization',
    sessid,
    message(opts.error, 'ERROR') +
      '<form name="form_auth" method="post" target="_top" action="/auth/?login=yes">\n' +
      '<input type="hidden" name="AUTH_FORM" value="Y" />\n' +
      '<input type="hidden" name="TYPE" value="AUTH" />\n' +
      sessidInput(sessid) +
      '<div class="login-item"><span class="login-label">Login</span>' +
      '<input class="login-inp" type="text" name="USER_LOGIN" maxlength="255" value="" autocomplete="username" /></div>\n' +
      '<div class="login-item"><span class="login-label">Password</span>' +
      '<input class="login-inp" type="password" name="USER_PASSWORD" maxlength="255" autocomplete="current-password" /></div>\n' +
      captcha +
      '<div class="login-item"><input type="checkbox" id="USER_REMEMBER" name="USER_REMEMBER" value="Y" />' +
      '<label for="USER_REMEMBER">Remember me on this computer</label></div>\n' +
      '<div class="login-btn-wrap"><input type="submit" class="login-btn" name="Login" value="Log In" /></div>\n' +
      '<div class="login-links"><a href="/auth/?forgot_password=yes">Forgot your password?</a></div>\n' +
      '</form>\n',
  );
}

/** The second step of two-step authentication. */
export function otpPage(error?: string): string {
  const sessid = newToken();
  return frame(
    'Two-step authentication',
    sessid,
    message(error, 'ERROR') +
      '<form name="form_auth" method="post" target="_top" action="/auth/?login=yes">\n' +
      '<input type="hidden" name="AUTH_FORM" value="Y" />\n' +
      '<input type="hidden" name="TYPE" value="OTP" />\n' +
      sessidInput(sessid) +
      '<div class="login-item"><span class="login-label">One-time password</span>' +
      '<input class="login-inp" type="text" name="USER_OTP" maxlength="50" value="" autocomplete="one-time-code" /></div>\n' +
      '<div class="login-item"><input type="checkbox" id="OTP_REMEMBER" name="OTP_REMEMBER" value="Y" />' +
      '<label for="OTP_REMEMBER">Remember this computer</label></div>\n' +
      '<div class="login-btn-wrap"><input type="submit" class="login-btn" name="Login" value="Log In" /></div>\n' +
      '</form>\n',
  );
}

/** Password recovery: the form and, after SEND_PWD, the note. */
export function forgotPage(note?: string): string {
  const sessid = newToken();
  return frame(
    'Password recovery',
    sessid,
    message(note, 'OK') +
      '<form name="bform" method="post" target="_top" action="/auth/?forgot_password=yes">\n' +
      '<input type="hidden" name="AUTH_FORM" value="Y" />\n' +
      '<input type="hidden" name="TYPE" value="SEND_PWD" />\n' +
      sessidInput(sessid) +
      '<div class="login-item"><span class="login-label">Login or e-mail</span>' +
      '<input class="login-inp" type="text" name="USER_LOGIN" maxlength="255" value="" /></div>\n' +
      '<input type="hidden" name="USER_EMAIL" value="" />\n' +
      '<div class="login-btn-wrap"><input type="submit" class="login-btn" name="send_account_info" value="Send" /></div>\n' +
      '</form>\n',
  );
}

/** Password change (check word or current password). Success shows the OK note and no form. */
export function changePasswordPage(result?: { type: 'OK' | 'ERROR'; text: string }): string {
  const sessid = newToken();
  if (result?.type === 'OK') {
    return frame(
      'Change password',
      sessid,
      message(result.text, 'OK') + '<div class="login-links"><a href="/auth/">Log in</a></div>\n',
    );
  }
  return frame(
    'Change password',
    sessid,
    message(result?.text, 'ERROR') +
      '<form name="bform" method="post" target="_top" action="/auth/?change_password=yes">\n' +
      '<input type="hidden" name="AUTH_FORM" value="Y" />\n' +
      '<input type="hidden" name="TYPE" value="CHANGE_PWD" />\n' +
      sessidInput(sessid) +
      '<div class="login-item"><span class="login-label">Login</span><input class="login-inp" type="text" name="USER_LOGIN" maxlength="255" value="" /></div>\n' +
      '<div class="login-item"><span class="login-label">Check word</span><input class="login-inp" type="text" name="USER_CHECKWORD" maxlength="255" value="" autocomplete="off" /></div>\n' +
      '<div class="login-item"><span class="login-label">New password</span><input class="login-inp" type="password" name="USER_PASSWORD" maxlength="255" autocomplete="new-password" /></div>\n' +
      '<div class="login-item"><span class="login-label">Password confirmation</span><input class="login-inp" type="password" name="USER_CONFIRM_PASSWORD" maxlength="255" autocomplete="new-password" /></div>\n' +
      '<div class="login-btn-wrap"><input type="submit" class="login-btn" name="change_pwd" value="Change password" /></div>\n' +
      '</form>\n',
  );
}

/** A page of the portal for a logged-in user. */
export function portalPage(userName: string, path: string): string {
  const sessid = newToken();
  return (
    head('Activity Stream', sessid) +
    '<body class="template-bitrix24">\n' +
    '<div id="header"><span class="user-name">' +
    esc(userName) +
    '</span> <a href="/?logout=yes">Log out</a></div>\n' +
    `<div id="workarea"><h1>Activity Stream</h1><p>You are on ${esc(path)}.</p></div>\n` +
    '</body>\n</html>\n'
  );
}

/**
 * The admin section's answer to a successful form login: a script for the page that opened the
 * login dialog, not a redirect (modules/main/include.php, "special login form in the control panel").
 */
export const ADMIN_LOGIN_SUCCESS_BODY =
  '<script type="text/javascript">window.onload=function(){top.BX.AUTHAGENT.setAuthResult(false);};</script>';

export function portalNotFoundPage(): string {
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="UTF-8" />\n<title>Portal not found</title>\n</head>\n' +
    '<body>\n<h1>Portal not found</h1>\n<p>No portal is served at this address.</p>\n</body>\n</html>\n'
  );
}

export function tooLargePage(): string {
  return '<!DOCTYPE html>\n<html lang="en">\n<head>\n<title>413 Request Entity Too Large</title>\n</head>\n<body>\n<h1>413 Request Entity Too Large</h1>\n</body>\n</html>\n';
}

const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

const STATIC_TYPES: Record<string, string> = {
  js: 'application/javascript; charset=UTF-8',
  css: 'text/css; charset=UTF-8',
  png: 'image/png',
  gif: 'image/gif',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  json: 'application/json',
  txt: 'text/plain; charset=UTF-8',
  html: 'text/html; charset=UTF-8',
};

/** A static file as nginx would serve it in front of the portal: small, typed by extension. */
export function staticFile(path: string): SimResponse {
  const ext = (/\.([a-z0-9]+)$/i.exec(path)?.[1] ?? '').toLowerCase();
  const type = STATIC_TYPES[ext] ?? 'application/octet-stream';
  let body: string | Buffer;
  if (ext === 'js') body = `/* portal-sim static file ${path} */\n(function(){})();\n`;
  else if (ext === 'css') body = `/* portal-sim static file ${path} */\nbody{margin:0}\n`;
  else if (type.startsWith('image/') && ext !== 'svg') body = PNG_1X1;
  else if (ext === 'svg') body = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n';
  else body = `portal-sim static file ${path}\n`;
  return { status: 200, headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' }, body };
}

/** The CAPTCHA picture (any 1x1 PNG will do for clients that fetch it). */
export function captchaImage(): SimResponse {
  return { status: 200, headers: { 'content-type': 'image/png', 'cache-control': 'no-store' }, body: PNG_1X1 };
}
