/**
 * Credentials in the Authorization header, read the way the portal reads them
 * (`Bitrix\Main\Server::parseAuthRequest`, `CUser::LoginByHttpAuth`, `Bitrix\Rest\OAuth\Auth`):
 * the scheme is case-insensitive, Basic is base64 `user:password` (PHP's non-strict base64_decode
 * skips bad characters, as Node's decoder does), Digest carries `username="…"`, Bearer an OAuth token.
 */
export type HeaderCredentials =
  | { readonly scheme: 'basic'; readonly username: string; readonly password: string }
  | { readonly scheme: 'digest'; readonly username: string }
  | { readonly scheme: 'bearer'; readonly token: string };

export function readAuthorization(header: string | string[] | undefined): HeaderCredentials | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(value);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!.trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0
      ? { scheme, username: decoded, password: '' }
      : { scheme, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme === 'digest') return { scheme, username: digestUsername(rest) };
  if (scheme === 'bearer') return rest === '' ? undefined : { scheme, token: rest };
  return undefined;
}

/**
 * The Digest username as the portal reads it (`CHTTP::ParseDigest`, the PHP manual's
 * http_digest_parse): an unanchored, case-sensitive match of `(nonce|username|uri|response)=` followed
 * by a quoted (`"` or `'`) or bare value, the LAST match of each part winning, so `xusername="a"`
 * after `username="b"` makes the login `a`. A quoted "0" is falsy in PHP and reads as ''. When that
 * reading finds no username, a looser one (any case, spaces around `=`) is kept: calling a request a
 * login that the portal will not log in is only a counted attempt.
 */
const DIGEST_PART = /(nonce|username|uri|response)=(?:(['"])([^\x02]+?)\2|([^\t\n\v\f\r ,]+))/g;
const DIGEST_USERNAME_LOOSE = /(?:^|[\s,])username\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/i;

function digestUsername(params: string): string {
  let username: string | undefined;
  for (const m of params.matchAll(DIGEST_PART)) {
    if (m[1] === 'username') username = m[3] && m[3] !== '0' ? m[3] : m[4] ?? '';
  }
  if (username !== undefined && username !== '') return username;
  const u = DIGEST_USERNAME_LOOSE.exec(params);
  return u ? (u[1] !== undefined ? u[1].replace(/\\(.)/g, '$1') : u[2] ?? '') : '';
}
