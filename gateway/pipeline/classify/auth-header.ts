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
  if (scheme === 'digest') {
    const u = /(?:^|[\s,])username\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/i.exec(rest);
    const username = u ? (u[1] !== undefined ? u[1].replace(/\\(.)/g, '$1') : u[2] ?? '') : '';
    return { scheme, username };
  }
  if (scheme === 'bearer') return rest === '' ? undefined : { scheme, token: rest };
  return undefined;
}
