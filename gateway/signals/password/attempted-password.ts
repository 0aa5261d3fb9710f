/**
 * "The same wrong password repeated by the same client is counted once" (issue 3): policies count the
 * counter key `password` distinctly (`{ distinct: password, of: login.failed, … }`), and this keyed
 * hash of (portal, login, client, password) is that key. The store keeps it for the counter's window
 * only; the password itself is never stored.
 *
 * The hash is bound to the portal, the login and the client, so it cannot be compared across users
 * (two users with the same password give unrelated hashes) or used as a dictionary over the window's
 * attempts without the deployment secret. The whole password is hashed, not a prefix: two attempts
 * that share 64 KB and differ after it are different attempts.
 */
import { keyedHash, type Secret } from '../keyed-hash';

export interface PasswordAttempt {
  readonly portal: string;
  readonly login: string;
  /** Who is trying: the device id, or the IP (or prefix) when the client has no device cookie. */
  readonly client: string;
  readonly password: string;
}

export function attemptedPasswordHash(secret: Secret, attempt: PasswordAttempt): string {
  return keyedHash(secret, 'password_attempt', attempt.portal, attempt.login.toLowerCase(), attempt.client, attempt.password);
}
