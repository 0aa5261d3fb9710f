/**
 * The portal's answer to a decoyed request, put back in the user's words: wherever the portal echoed
 * the random login (in the page, or in a cookie such as BITRIX_SM_LOGIN), the login the client sent
 * appears instead, escaped the way the portal escaped the random one.
 */
import type { Substitution } from './substitute';

export function restoreEcho(body: Buffer, rawHeaders: readonly string[], s: Substitution): { body: Buffer; rawHeaders: string[] } {
  const original = s.originalLogin ?? '';
  const text = body.toString('utf8');
  const restored = text.includes(s.login) ? text.split(s.login).join(htmlEscape(original)) : text;
  const headers: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // The body's length changes with the login's: let the writer set it.
    if (name.toLowerCase() === 'content-length') continue;
    const value = rawHeaders[i + 1]!;
    headers.push(name, value.includes(s.login) ? value.split(s.login).join(encodeURIComponent(original)) : value);
  }
  return { body: restored === text ? body : Buffer.from(restored, 'utf8'), rawHeaders: headers };
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#039;');
}
