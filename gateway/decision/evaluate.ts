/**
 * `evaluate(set, phase, kind, signals)`: the score stage. Pure and synchronous: it reads the signals it
 * is given and nothing else, and never throws — a rule whose condition cannot be decided at run time
 * (an unresolved counter, a value of the wrong type, a CEL error) counts as not matched and is listed
 * in `verdict.errors`.
 *
 * Order, per policy that applies to `kind`: every rule of `phase` is evaluated (shadow ones included,
 * so that `wouldHave` is complete) → enforced score = matched enforced rules → the first action whose
 * threshold the score reaches → its duration after escalation. Then across policies: the strongest
 * action first (ACTION_KINDS order), and everything shadow did beyond that in `wouldHave`.
 */
import { isCelError } from '@bufbuild/cel';
import type { CompiledAction, CompiledPolicy, CompiledPolicySet, CompiledRule } from '../policy/compiled';
import { bind, type Signals } from '../policy/signals';
import { ACTION_KINDS, type ActionKind, type Phase } from '../policy/spec';
import type { RequestKind } from '../pipeline/request';
import { durationFor } from './escalation';

export { durationFor };
import type { ActionDecision, PolicyOutcome, RuleOutcome, Verdict } from './verdict';

/** Whose offences escalate an action: the subject it acts on. */
export type OffenceSubject = 'user' | 'portal' | 'ip' | 'ip_prefix' | 'webhook' | 'app' | 'method';

export function subjectOf(action: Pick<CompiledAction, 'do' | 'scope'>): OffenceSubject | undefined {
  switch (action.do) {
    case 'block_user':
    case 'require_reset':
      return 'user';
    case 'block_portal_rest':
    case 'notify':
      return 'portal';
    case 'block_ip':
      return (action.scope ?? 'ip') as OffenceSubject;
    case 'limit':
      return (action.scope ?? 'webhook') as OffenceSubject;
    case 'deny_attempt':
      return undefined;
  }
}

export interface EvaluateOptions {
  /** Global shadow: evaluate everything, act on nothing (the whole verdict goes to wouldHave). */
  readonly globalShadow?: boolean;
  /** Earlier offences of this request's subjects (from the store): they escalate durations. */
  readonly priorOffences?: Readonly<Partial<Record<OffenceSubject, number>>>;
  /** Absent catalogue signals take their `whenUnknown` value (default true). */
  readonly fillUnknown?: boolean;
  /** Measure each rule's evaluation in microseconds (costs a clock read per rule). */
  readonly timing?: boolean;
}

const STRENGTH = new Map<ActionKind, number>(ACTION_KINDS.map((k, i) => [k, i]));
const byStrength = (a: ActionDecision, b: ActionDecision): number => STRENGTH.get(a.do)! - STRENGTH.get(b.do)! || b.score - a.score;

const MATCHED = Object.freeze({ matched: true });
const NOT_MATCHED = Object.freeze({ matched: false });

function firstProblem(names: readonly string[], wrong: ReadonlyMap<string, string>): string | undefined {
  for (const name of names) {
    const problem = wrong.get(name);
    if (problem) return problem;
  }
  return undefined;
}

/** Runs on every request for every rule of its kind: no allocation when the rule simply matches or not. */
function runRule(rule: CompiledRule, values: Record<string, unknown>, wrong: ReadonlyMap<string, string>): { readonly matched: boolean; readonly error?: string } {
  if (wrong.size > 0) {
    const problem = firstProblem(rule.signals, wrong) ?? firstProblem(rule.counters, wrong);
    if (problem) return { matched: false, error: problem };
  }
  try {
    const result = rule.program(values);
    if (isCelError(result)) {
      const missing = [...rule.counters, ...rule.signals].filter((n) => !(n in values));
      const why = result.message === 'unresolved attribute' && missing.length > 0 ? `no value for ${missing.join(', ')}` : result.message;
      return { matched: false, error: why };
    }
    if (typeof result !== 'boolean') return { matched: false, error: `the condition gave a ${typeof result}, not a bool` };
    return result ? MATCHED : NOT_MATCHED;
  } catch (err) {
    return { matched: false, error: `evaluation failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function decide(policy: CompiledPolicy, score: number, rules: readonly string[], prior: EvaluateOptions['priorOffences']): ActionDecision | undefined {
  const action = policy.actions.find((a) => score >= a.at);
  if (!action) return undefined;
  const subject = subjectOf(action);
  const priorOffences = subject ? Math.max(0, Math.floor(prior?.[subject] ?? 0)) : 0;
  const durationMs = durationFor(action, priorOffences);
  return {
    policy: policy.name,
    do: action.do,
    also: action.also,
    score,
    threshold: action.at,
    ...(durationMs !== undefined ? { durationMs } : {}),
    priorOffences,
    ...(action.scope !== undefined ? { scope: action.scope } : {}),
    ...(action.limit ? { limit: action.limit } : {}),
    rules,
  };
}

const sameDecision = (a?: ActionDecision, b?: ActionDecision): boolean =>
  a === b || (!!a && !!b && a.do === b.do && a.threshold === b.threshold && a.durationMs === b.durationMs);

/** What one (set, kind, phase) evaluates: the policies that apply, each with its rules of the phase. */
interface EvaluationPlan {
  /** The signal and counter names those rules read: only these are bound. */
  readonly names: readonly string[];
  readonly policies: readonly { readonly policy: CompiledPolicy; readonly rules: readonly CompiledRule[] }[];
}

/**
 * Worked out once per set and cached: binding the whole set's signals for every request was the
 * largest cost of evaluation in a profile of the REST path, and filtering policies by kind and rules
 * by phase on every request was the next.
 */
const plans = new WeakMap<CompiledPolicySet, Map<string, EvaluationPlan>>();
function planOf(set: CompiledPolicySet, kind: RequestKind, phase: Phase): EvaluationPlan {
  let byKey = plans.get(set);
  if (!byKey) plans.set(set, (byKey = new Map()));
  const key = `${kind}/${phase}`;
  let plan = byKey.get(key);
  if (!plan) {
    const wanted = new Set<string>();
    const policies: { policy: CompiledPolicy; rules: CompiledRule[] }[] = [];
    for (const policy of set.policies) {
      if (!policy.on.has(kind as never)) continue;
      const rules = policy.rules.filter((r) => r.phase === phase);
      policies.push({ policy, rules });
      for (const rule of rules) {
        for (const n of rule.signals) wanted.add(n);
        for (const n of rule.counters) wanted.add(n.startsWith('counters.') ? n : `counters.${n}`);
      }
    }
    byKey.set(key, (plan = { names: [...wanted], policies }));
  }
  return plan;
}

export function evaluate(set: CompiledPolicySet, phase: Phase, kind: RequestKind, signals: Signals, options: EvaluateOptions = {}): Verdict {
  const globalShadow = options.globalShadow ?? false;
  const plan = planOf(set, kind, phase);
  let binding: ReturnType<typeof bind>;
  try {
    binding = bind(signals ?? {}, plan.names, options.fillUnknown ?? true);
  } catch (err) {
    binding = { values: {}, wrong: new Map([['*', `signals could not be read: ${String(err)}`]]) };
  }
  // bind() made `values` for this call alone: the rules read it as it is.
  const values: Record<string, unknown> = binding.values;
  const unreadable = binding.wrong.get('*');
  const all: RuleOutcome[] = [];
  const outcomes: PolicyOutcome[] = [];
  for (const { policy, rules } of plan.policies) {
    const policyShadow = globalShadow || policy.mode === 'shadow';
    let score = 0;
    let scoreWithShadow = 0;
    const enforcedRules: string[] = [];
    const allRules: string[] = [];
    for (const rule of rules) {
      const started = options.timing ? process.hrtime.bigint() : 0n;
      const { matched, error } = unreadable !== undefined ? { matched: false, error: unreadable } : runRule(rule, values, binding.wrong);
      const shadow = policyShadow || rule.shadow;
      const outcome: { -readonly [K in keyof RuleOutcome]: RuleOutcome[K] } = { policy: policy.name, rule: rule.id, score: rule.score, matched, shadow };
      if (error !== undefined) outcome.error = error;
      if (options.timing) outcome.costUs = Number(process.hrtime.bigint() - started) / 1000;
      all.push(outcome);
      if (!matched) continue;
      scoreWithShadow += rule.score;
      allRules.push(rule.id);
      if (!shadow) {
        score += rule.score;
        enforcedRules.push(rule.id);
      }
    }
    const action = decide(policy, score, enforcedRules, options.priorOffences);
    const full = decide(policy, scoreWithShadow, allRules, options.priorOffences);
    outcomes.push({
      policy: policy.name,
      shadow: policyShadow,
      score,
      scoreWithShadow,
      ...(action ? { action } : {}),
      ...(full && !sameDecision(full, action) ? { wouldHave: full } : {}),
    });
  }
  const actions = outcomes.flatMap((o) => (o.action ? [o.action] : [])).sort(byStrength);
  const shadowActions = outcomes.flatMap((o) => (o.wouldHave ? [o.wouldHave] : [])).sort(byStrength);
  const matched = all.filter((r) => r.matched && !r.shadow);
  const shadowMatched = all.filter((r) => r.matched && r.shadow);
  const wouldHave =
    shadowActions.length > 0 || shadowMatched.length > 0
      ? { ...(shadowActions[0] ? { action: shadowActions[0] } : {}), actions: shadowActions, rules: shadowMatched }
      : undefined;
  return {
    phase,
    kind,
    setVersion: set.version,
    score: outcomes.reduce((max, o) => Math.max(max, o.score), 0),
    ...(actions[0] ? { action: actions[0] } : {}),
    actions,
    matched,
    ...(wouldHave ? { wouldHave } : {}),
    policies: outcomes,
    rules: all,
    errors: all.filter((r) => r.error !== undefined),
    globalShadow,
  };
}

/** Every action kind a decision carries (`do` and `also`). */
export function actionKinds(decision: ActionDecision): ActionKind[] {
  return [decision.do, ...decision.also];
}
