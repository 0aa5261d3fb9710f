/**
 * The decoy, and why it is made this way. A blocked user (or a denied attempt) must get an answer the
 * attacker cannot tell from the portal's own wrong-password answer: same status, body, headers,
 * cookies and timing. Rather than replaying a template, the gateway asks the portal itself: the
 * request is forwarded with its credentials replaced, so the portal answers a genuine failure, with
 * its own fresh tokens, cookies and page, in its own time:
 *
 * - USER_LOGIN becomes a random login that no one has, so no real user's failure counter moves (an
 *   attacker must not be able to lock a user out through the portal's own counter);
 * - USER_PASSWORD, USER_OTP, USER_CHECKWORD and the new-password fields become random values of the
 *   same length: the real ones never leave the gateway;
 * - HTTP Basic/Digest credentials become a random Basic pair.
 *
 * The portal may echo the login it was sent; the answer is rewritten back to the original login
 * (decoy/echo.ts). Limits, documented in docs/lockout.md: a portal that answers an unknown login
 * faster than a wrong password leaks that through timing (pad with `decoy.minDelayMs`), and a CAPTCHA
 * the portal would show for the real user's own counter is not shown for the random login.
 */
import { randomUUID } from 'node:crypto';
import { normaliseKey, phpUrlDecode } from '../../pipeline/classify/php-params';
import { phpBoundary } from '../../pipeline/classify/php-multipart';

/** Fields replaced in a decoyed request, by their PHP-normalised name. */
const SECRET_FIELDS = ['USER_PASSWORD', 'USER_OTP', 'USER_CHECKWORD', 'USER_CONFIRM_PASSWORD', 'USER_CURRENT_PASSWORD', '__RSA_DATA'];

export interface Substitution {
  /** The random login sent instead of the user's. */
  readonly login: string;
  readonly originalLogin: string | undefined;
}

export interface SubstitutedRequest {
  readonly target: string;
  readonly body: Buffer | undefined;
  /** Authorization header to send instead (undefined: leave as is). */
  readonly authorization: string | undefined;
  readonly substitution: Substitution;
}

/**
 * Random text from randomUUID, which draws on a cached entropy pool: a decoy costs no system call for
 * its randomness (randomBytes per decoy showed in a profile of the login path).
 */
function randomHex(chars: number): string {
  let out = '';
  while (out.length < chars) out += randomUUID().replace(/-/g, '');
  return out.slice(0, chars);
}

export function randomLogin(): string {
  // Looks like an ordinary login, and is unguessable (72 random bits): no portal has it.
  return `u${randomHex(18)}`;
}

function randomLike(value: string): string {
  return randomHex(Math.max(6, Math.min(value.length, 128)));
}

/** A replacement for one (normalised) field, or undefined to keep it. */
function replacementFor(key: string, value: string, login: string): string | undefined {
  if (key === 'USER_LOGIN' || key === 'USER_EMAIL' || key === 'USER_PHONE_NUMBER') return login;
  if (SECRET_FIELDS.includes(key)) return randomLike(value);
  return undefined;
}

/**
 * Rewrites a urlencoded string (query or body), pair by pair, keeping everything else byte for byte.
 * Pairs are split on `&` and on `;`: a portal whose arg_separator.input has `;` reads both, and so does
 * the classifier.
 */
export function rewriteUrlencoded(text: string, login: string): string {
  if (text === '') return text;
  return text
    .split(/([&;])/)
    .map((pair) => {
      if (pair === '&' || pair === ';') return pair;
      const eq = pair.indexOf('=');
      const rawKey = eq < 0 ? pair : pair.slice(0, eq);
      const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
      const norm = normaliseKey(phpUrlDecode(rawKey));
      if (!norm) return pair;
      const next = replacementFor(norm.key, phpUrlDecode(rawValue), login);
      return next === undefined ? pair : `${rawKey}=${encodeURIComponent(next)}`;
    })
    .join('');
}

/** Rewrites the named fields of a multipart body; file parts and unknown fields stay as they are. */
export function rewriteMultipart(body: Buffer, contentType: string, login: string): Buffer {
  const boundary = phpBoundary(contentType); // the boundary the portal's PHP will split on
  if (!boundary) return body;
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts = text.split(delimiter);
  const out = parts.map((part, i) => {
    if (i === 0 || part.startsWith('--')) return part;
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd < 0) return part;
    const head = part.slice(0, headEnd);
    // Quoted or not: PHP and busboy read `name=USER_LOGIN` as well as `name="USER_LOGIN"`.
    const m = /(?:^|;)\s*name\s*=\s*(?:"([^"]*)"|([^;\s]*))/im.exec(head);
    const name = m?.[1] ?? m?.[2];
    if (name === undefined || /filename\s*=/i.test(head)) return part;
    const norm = normaliseKey(Buffer.from(name, 'latin1').toString('utf8'));
    if (!norm) return part;
    const valueEnd = part.endsWith('\r\n') ? part.length - 2 : part.length;
    const value = Buffer.from(part.slice(headEnd + 4, valueEnd), 'latin1').toString('utf8');
    const next = replacementFor(norm.key, value, login);
    if (next === undefined) return part;
    return `${head}\r\n\r\n${Buffer.from(next, 'utf8').toString('latin1')}${part.slice(valueEnd)}`;
  });
  return Buffer.from(out.join(delimiter), 'latin1');
}

function stillCarries(body: Buffer, login: string): boolean {
  const text = body.toString('latin1');
  return [login, encodeURIComponent(login)].some((form) => form.length > 2 && new RegExp(`(^|[=\\r\\n&;"])${escapeRegExp(form)}($|[&;\\r\\n"])`).test(text));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function substituteRequest(
  target: string,
  body: Buffer | undefined,
  contentType: string,
  authorization: string | undefined,
  originalLogin: string | undefined,
  secrets: readonly string[] = [],
): SubstitutedRequest {
  const login = randomLogin();
  const q = target.indexOf('?');
  const newTarget = q < 0 ? target : `${target.slice(0, q)}?${rewriteUrlencoded(target.slice(q + 1), login)}`;
  let newBody = body;
  if (body && /^\s*application\/x-www-form-urlencoded/i.test(contentType)) newBody = Buffer.from(rewriteUrlencoded(body.toString('latin1'), login), 'latin1');
  else if (body && /^\s*multipart\/form-data/i.test(contentType)) newBody = rewriteMultipart(body, contentType, login);
  // A body the gateway could not rewrite (another or an ambiguous content type), or one that still
  // carries the user's login or one of the request's secrets after the rewrite, is not sent at all: the
  // decoy then asks with no body. The real credentials never leave, whatever the body's shape.
  const leaks = (text: Buffer): boolean =>
    (originalLogin !== undefined && stillCarries(text, originalLogin)) || secrets.some((v) => v.length >= 3 && text.includes(v, 0, 'utf8'));
  if (body && (newBody === body || leaks(newBody!))) newBody = Buffer.alloc(0);
  const newAuth = authorization && /^\s*(basic|digest)\s/i.test(authorization) ? `Basic ${Buffer.from(`${login}:${randomLike('password1234')}`).toString('base64')}` : undefined;
  return { target: newTarget, body: newBody, authorization: newAuth, substitution: { login, originalLogin } };
}
