/**
 * The subjects blocks and counters are keyed by, computed in one place so that the counter that
 * decides and the block that enforces always name the same thing. Personal and secret values are
 * keyed hashes (DESIGN §5).
 */
import { ipPrefix } from '../lib/ip';
import type { Classified, Credentials } from '../pipeline/request';
import { keyedHash, keyedHashCached } from '../signals/keyed-hash';

/** A webhook: its user id and a keyed hash of its code (the code itself is a secret). */
export function webhookSubject(secret: string, portal: string, webhookUserId: string, code: string): string {
  return `${webhookUserId}:${keyedHashCached(secret, 'identifier', 'webhook', portal, code)}`;
}

/** An application's access token, as the `rest.app` signal names it. */
export function appTokenSubject(secret: string, token: string): string {
  return keyedHashCached(secret, 'rest_app', 'token', token);
}

/** Everything a request can be blocked or limited by, computed from its classified values. */
export interface RequestSubjects {
  readonly user?: string;
  readonly webhook?: string;
  readonly app?: string;
  readonly method?: string;
  readonly ip?: string;
  readonly ip_prefix?: string;
}

export function subjectsOf(
  secret: string,
  classified: Classified,
  credentials: Credentials | undefined,
  ip: string,
  prefixLengths: { readonly v4: number; readonly v6: number },
): RequestSubjects {
  const p = classified.principal;
  const out: { -readonly [K in keyof RequestSubjects]: RequestSubjects[K] } = {};
  if (p.login) out.user = userId(secret, classified.portal, p.login);
  if (p.webhookUserId && credentials?.webhookCode) out.webhook = webhookSubject(secret, classified.portal, p.webhookUserId, credentials.webhookCode);
  if (p.clientId) out.app = keyedHashCached(secret, 'rest_app', 'client', p.clientId);
  else if (credentials?.oauthToken) out.app = appTokenSubject(secret, credentials.oauthToken);
  if (classified.rest?.method) out.method = classified.rest.method;
  if (ip) {
    out.ip = ip;
    out.ip_prefix = ipPrefix(ip, prefixLengths);
  }
  return out;
}

/** The store id of a user of a portal: a keyed hash of both (the login itself stays out of keys). */
export function userId(secret: string, portal: string, login: string): string {
  return keyedHashCached(secret, 'identifier', 'user', portal, login.trim().toLowerCase());
}

/**
 * A keyed hash of a password that succeeded for a user, kept with a block only until the user's reset
 * ends, to tell "the new password is the old one". Bound to portal and user, never reusable elsewhere.
 */
export function oldPasswordHash(secret: string, portal: string, userSubject: string, password: string): string {
  return keyedHash(secret, 'password_attempt', 'old_password', portal, userSubject, password);
}
