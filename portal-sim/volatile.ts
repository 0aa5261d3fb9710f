/**
 * The per-request tokens of the portal's pages. Everything else on a login failure page is the same
 * bytes every time, so a test (or the gateway's decoy check) can compare two pages after removing
 * exactly these.
 */
import crypto from 'node:crypto';

/** 32 lowercase hex characters, the shape of bitrix_sessid() and a captcha_sid (both md5 hex). */
export function newToken(): string {
  return crypto.randomBytes(16).toString('hex');
}

const VOLATILE: RegExp[] = [
  /(<input type="hidden" name="sessid" id="sessid" value=")[0-9a-f]{32}(")/g,
  /('bitrix_sessid':')[0-9a-f]{32}(')/g,
  /(<input type="hidden" name="captcha_sid" value=")[0-9a-f]{32}(")/g,
  /(\/bitrix\/tools\/captcha\.php\?captcha_sid=)[0-9a-f]{32}(")/g,
];

/** Removes the token values (the surrounding markup stays), and nothing else. */
export function stripVolatile(html: string): string {
  let out = html;
  for (const re of VOLATILE) out = out.replace(re, '$1$2');
  return out;
}
