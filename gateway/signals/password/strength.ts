/**
 * `password.strength`: zxcvbn's 0-4 score (zxcvbn-ts, with the language-common dictionaries and
 * keyboard graphs), tuned for a gateway's hot path rather than a sign-up form.
 *
 * Measured on this project's machine (Node 20, 2 vCPU, µs per call, each password new to the process):
 *   default options, 256-char cap:   "123456" 900, a random 20-char 3 400, random 64 19 700, random 256 86 000
 *   no l33t matcher, 64-char cap:    typical (8-20 chars) ~200, random 64 ~2 500
 *   no l33t matcher, 32-char cap:    typical (8-20 chars) ~200, random 64 (or 64 KiB, or 1 MB) ~1 000
 * The l33t matcher tries every substitution set and is what made it slow (an attacker's choice of
 * input could make each login cost ~90 ms of CPU). It is off: the common-password list holds the usual
 * l33t spellings ("p@ssw0rd"), and a common password scores 0 anyway. The rest of the cost grows with
 * the square of the length (every substring is looked up), so only the first 32 characters are
 * analysed: 32 random characters already score 4, and a password whose first 32 are a dictionary
 * word repeated is weak in practice, whatever follows. That bounds a login's strength estimate at
 * about a millisecond, whatever an attacker sends.
 *
 * The estimator and its dictionaries (+8 to 16 MB RSS, 30-70 ms, measured) are loaded on first use,
 * not at import, so a gateway whose policies never read `password.strength` never pays for them.
 */
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

export const STRENGTH_ANALYSED_CHARS = 32;
/** A login longer than this is not useful as a user input to the estimator. */
const USER_INPUT_MAX_CHARS = 64;

let estimator: ZxcvbnFactory | undefined;

function zxcvbn(): ZxcvbnFactory {
  if (estimator) return estimator;
  // Required here, not imported, so that loading this module costs nothing (see above).
  const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
  const { adjacencyGraphs, dictionary } = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
  estimator = new Factory({
    dictionary,
    graphs: adjacencyGraphs,
    l33tTable: {},
    maxLength: STRENGTH_ANALYSED_CHARS,
    useLevenshteinDistance: false,
  });
  return estimator;
}

export type StrengthScore = 0 | 1 | 2 | 3 | 4;

/** zxcvbn's score of the first 32 characters; the login counts as a guessable word. */
export function passwordStrength(password: string, login: string | undefined): StrengthScore {
  if (password.length === 0) return 0;
  const inputs = login ? [login.slice(0, USER_INPUT_MAX_CHARS)] : [];
  const estimate = zxcvbn(); // a missing package is a broken install: that error is not caught here
  try {
    return estimate.check(password.slice(0, STRENGTH_ANALYSED_CHARS), inputs).score;
  } catch {
    // No input is known to make zxcvbn throw; should one, the strength is unknown (0), never an error.
    return 0;
  }
}
