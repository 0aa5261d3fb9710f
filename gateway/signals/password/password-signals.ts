/**
 * The `password.*` group, computed at the edge from the submitted password, which is then dropped:
 * nothing here keeps, logs or returns any part of it.
 *
 * Cost (see strength.ts and common-passwords.ts): a typical password ~150-250 µs, dominated by the
 * strength estimate of its first 32 characters (a common one ~3 µs: the estimate is skipped); a long
 * one at most ~1 ms for the estimate, plus one linear scan for length and classes and one
 * case-insensitive search for the login (a 1 MB password ~3 ms in all).
 */
import { characterCounts } from './character-classes';
import type { CommonPasswordList } from './common-passwords';
import { isRsaEncryptedValue } from './encrypted';
import { passwordStrength, type StrengthScore } from './strength';

export interface PasswordSignals {
  readonly present: boolean;
  readonly length: number;
  readonly classes: number;
  readonly strength: StrengthScore;
  readonly common: boolean;
  readonly contains_login: boolean;
}

export interface PasswordLists {
  readonly common: CommonPasswordList;
}

export interface PasswordSignalOptions {
  /** The form carried `__RSA_DATA` (formHasEncryptedAuth): the password field is not the password. */
  readonly encryptedAuth?: boolean;
  /** Skip the strength estimate (strength 0) when no loaded policy reads it. Default: computed. */
  readonly strength?: boolean;
}

/** Every value when the password cannot be read. */
export const UNKNOWN_PASSWORD: PasswordSignals = Object.freeze({
  present: false,
  length: 0,
  classes: 0,
  strength: 0,
  common: false,
  contains_login: false,
});

/** A login shorter than this is found inside too many passwords to mean anything. */
export const MIN_LOGIN_CHARS_TO_MATCH = 3;

export function passwordSignals(
  password: string | undefined,
  login: string | undefined,
  lists: PasswordLists,
  options: PasswordSignalOptions = {},
): PasswordSignals {
  if (typeof password !== 'string' || password.length === 0) return UNKNOWN_PASSWORD;
  if (options.encryptedAuth === true || isRsaEncryptedValue(password)) return UNKNOWN_PASSWORD;
  const { length, classes } = characterCounts(password);
  const common = lists.common.has(password);
  // A common password is trivially guessed whatever the estimator thinks of its shape.
  const strength = common ? 0 : options.strength === false ? 0 : passwordStrength(password, login);
  return { present: true, length, classes, strength, common, contains_login: containsLogin(password, login) };
}

/**
 * The login, case-insensitively; for an e-mail login, its local part too ("j.smith2024" contains
 * "j.smith@corp.example"'s local part).
 */
export function containsLogin(password: string, login: string | undefined): boolean {
  if (!login) return false;
  const lowered = password.toLowerCase();
  const name = login.trim().toLowerCase();
  const at = name.lastIndexOf('@');
  const candidates = at > 0 ? [name, name.slice(0, at)] : [name];
  return candidates.some((c) => c.length >= MIN_LOGIN_CHARS_TO_MATCH && lowered.includes(c));
}
