/**
 * `Verdict`: one evaluation of a policy set for one request and phase. A value, never an exception:
 * the act stage reads `actions`, the record stage logs it, `policy explain` prints it.
 *
 * Shadow is first-class: a rule in shadow (itself, its policy, or the whole evaluation) is evaluated
 * fully and reported in `wouldHave`; it never contributes to `score` or `actions`.
 */
import type { ActionKind, Phase } from '../policy/spec';
import type { RequestKind } from '../pipeline/request';

export interface RuleOutcome {
  readonly policy: string;
  readonly rule: string;
  readonly score: number;
  readonly matched: boolean;
  /** Shadowed by the rule, its policy or the evaluation (`globalShadow`). */
  readonly shadow: boolean;
  /** Why the rule could not be decided (it then counts as not matched), e.g. an unresolved counter. */
  readonly error?: string;
  /** Evaluation time in microseconds, when `timing` was asked for. */
  readonly costUs?: number;
}

/** An action a verdict decides (or would have decided, in `wouldHave`). */
export interface ActionDecision {
  readonly policy: string;
  readonly do: ActionKind;
  readonly also: readonly ActionKind[];
  /** The policy score that reached this threshold, and the threshold. */
  readonly score: number;
  readonly threshold: number;
  /** After escalation; absent: until lifted (blocks) or this request only (deny_attempt, notify). */
  readonly durationMs?: number;
  /** How many earlier offences escalated it (0 for a first one). */
  readonly priorOffences: number;
  readonly scope?: string;
  readonly limit?: { readonly requests: number; readonly perMs: number };
  /** Matched rules of the policy that made up the score. */
  readonly rules: readonly string[];
}

export interface PolicyOutcome {
  readonly policy: string;
  readonly shadow: boolean;
  /** Sum of matched enforced rules. */
  readonly score: number;
  /** Sum of every matched rule, shadow ones included. */
  readonly scoreWithShadow: number;
  readonly action?: ActionDecision;
  readonly wouldHave?: ActionDecision;
}

export interface Verdict {
  readonly phase: Phase;
  readonly kind: RequestKind;
  /** The policy set version that decided. */
  readonly setVersion: string;
  /** Highest enforced policy score (each policy scores on its own). */
  readonly score: number;
  /** The strongest enforced action, or undefined: forward. */
  readonly action?: ActionDecision;
  /** Every enforced action, strongest first (several policies may act at once). */
  readonly actions: readonly ActionDecision[];
  /** Matched enforced rules with their scores. */
  readonly matched: readonly RuleOutcome[];
  /** What shadow rules and policies would have done; undefined when shadow changes nothing. */
  readonly wouldHave?: {
    readonly action?: ActionDecision;
    readonly actions: readonly ActionDecision[];
    readonly rules: readonly RuleOutcome[];
  };
  readonly policies: readonly PolicyOutcome[];
  /** Every rule evaluated, matched or not. */
  readonly rules: readonly RuleOutcome[];
  /** Rules that could not be decided; they count as not matched. */
  readonly errors: readonly RuleOutcome[];
  readonly globalShadow: boolean;
}
