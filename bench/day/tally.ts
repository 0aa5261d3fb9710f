/** Ground truth, kept by the generator as it plays the day: who sent what, and what came back. */
import type { Person, Integration } from './population';

export interface PersonTally {
  /** Attempts with the person's right password (the password step). */
  rightAttempts: number;
  /** Of those, answered "Incorrect login or password" (or the code step refused the right code). */
  rightRefused: number;
  sessions: number;
  wrongAttempts: number;
  recoveries: number;
  recoveriesFailed: number;
  /** Answers that were neither a session nor the failure page (errors, timeouts). */
  otherAnswers: number;
}

export interface IntegrationTally {
  calls: number;
  /** Answered 403 (the portal's REST blocked) or 503 (a limit): not served. */
  refused: number;
}

export type AttackKind = 'brute-force' | 'slow-distributed' | 'spraying' | 'credential-stuffing' | 'leaked-webhook';

export interface AttackTally {
  readonly kind: AttackKind;
  readonly portal: string;
  readonly ips: Set<string>;
  /** Real logins the attack sent guesses for (its victims if they get blocked). */
  readonly targets: Set<string>;
  /** `login\0password` of every guess, to recognise one that reached the portal. */
  readonly guesses: Set<string>;
  requests: number;
  /** Sessions the attacker obtained (a right guess that the gateway let through). */
  sessions: number;
  /** Guesses (or calls) that reached the portal with the attacker's own credentials. */
  reachedPortal: number;
}

export class Tally {
  readonly people = new Map<Person, PersonTally>();
  readonly integrations = new Map<Integration, IntegrationTally>();
  readonly attacks: AttackTally[] = [];

  person(p: Person): PersonTally {
    let t = this.people.get(p);
    if (!t) {
      t = { rightAttempts: 0, rightRefused: 0, sessions: 0, wrongAttempts: 0, recoveries: 0, recoveriesFailed: 0, otherAnswers: 0 };
      this.people.set(p, t);
    }
    return t;
  }

  integration(i: Integration): IntegrationTally {
    let t = this.integrations.get(i);
    if (!t) {
      t = { calls: 0, refused: 0 };
      this.integrations.set(i, t);
    }
    return t;
  }

  attack(kind: AttackKind, portal: string): AttackTally {
    const a: AttackTally = { kind, portal, ips: new Set(), targets: new Set(), guesses: new Set(), requests: 0, sessions: 0, reachedPortal: 0 };
    this.attacks.push(a);
    return a;
  }
}
