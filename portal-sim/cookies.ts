/** Set-Cookie lines in the shape PHP's setcookie() writes them. */

export interface CookieOptions {
  /** Absolute expiry in ms since the epoch; absent = a session cookie. */
  expiresMs?: number;
  nowMs?: number;
  httpOnly?: boolean;
}

export function setCookie(name: string, value: string, opts: CookieOptions = {}): string {
  let line = `${name}=${encodeURIComponent(value)}`;
  if (opts.expiresMs !== undefined) {
    const maxAge = Math.max(0, Math.round((opts.expiresMs - (opts.nowMs ?? Date.now())) / 1000));
    line += `; expires=${new Date(opts.expiresMs).toUTCString().replace(/ GMT$/, ' GMT')}; Max-Age=${maxAge}`;
  }
  line += '; path=/';
  if (opts.httpOnly) line += '; HttpOnly';
  return line;
}

/** A deletion, as PHP writes it: an empty value, expired in the past. */
export function deleteCookie(name: string): string {
  return `${name}=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/`;
}
