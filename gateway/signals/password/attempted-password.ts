/**
 * "The same wrong password repeated by the same client is counted once" (issue 3), checked by the
 * store without ever storing the password: the store keeps, for the counter's window only, a keyed
 * hash of (portal, login, client, password) and counts a failure only when that hash is new.
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

/** `password.repeated`: the store's answer for this attempt's hash, given as a set of the window's hashes. */
export function isRepeatedAttempt(attemptHash: string, windowHashes: ReadonlySet<string>): boolean {
  return attemptHash !== '' && windowHashes.has(attemptHash);
}
