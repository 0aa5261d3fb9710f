/**
 * `policy explain`: one request through the set, with every rule's result and why (the values of the
 * signals it reads), each policy's score and action, and what shadow would have done.
 *
 * A request file is a JSON or YAML object, the same shape as an event-log line (./event-record.ts):
 *
 *   kind: login                # a request kind
 *   phase: attempt             # attempt (default) | outcome
 *   signals:                   # flat dotted names, or nested groups; absent ones take their
 *     device.known: false      #   catalogue value for "unknown"
 *     user: { login: anna, second_factor: false }
 *   counters: { device_failures_unknown_15m: 12 }   # absent counters read as unresolved
 *   prior_offences: { user: 1 }   # optional: earlier offences, for escalated durations
 *   global_shadow: false          # optional
 */
import { evaluate, type EvaluateOptions, type OffenceSubject } from '../decision/evaluate';
import type { ActionDecision, Verdict } from '../decision/verdict';
import { SIGNALS_BY_NAME } from '../signals/catalog';
import type { CompiledPolicySet } from './compiled';
import { formatDuration } from './duration';
import { recordSignals, toEventRecord, type EventRecord } from './event-record';
import { plainValue } from './signals';

export interface ExplainInput {
  readonly record: EventRecord;
  readonly options: EvaluateOptions;
}

export function toExplainInput(value: unknown): { input?: ExplainInput; problems: string[] } {
  const { record, problems } = toEventRecord(value);
  if (!record) return { problems };
  const v = value as { prior_offences?: Record<string, number>; global_shadow?: boolean };
  return {
    input: {
      record,
      options: {
        globalShadow: v.global_shadow === true,
        priorOffences: (v.prior_offences ?? {}) as Partial<Record<OffenceSubject, number>>,
        timing: true,
      },
    },
    problems: [],
  };
}

export interface Explanation {
  readonly verdict: Verdict;
  /** Signal (and counter) values as evaluated: given, or the catalogue's unknown value. */
  readonly signals: Readonly<Record<string, { value: unknown; source: 'given' | 'unknown' | 'missing' }>>;
}

export function explain(set: CompiledPolicySet, input: ExplainInput): Explanation {
  const given = recordSignals(input.record);
  const verdict = evaluate(set, input.record.phase, input.record.kind, given, input.options);
  const signals: Record<string, { value: unknown; source: 'given' | 'unknown' | 'missing' }> = {};
  const names = [...set.referencedSignals, ...[...set.referencedCounters].map((c) => `counters.${c}`)].sort();
  for (const name of names) {
    if (name in given) signals[name] = { value: plainValue(given[name]), source: 'given' };
    else if (SIGNALS_BY_NAME.has(name)) signals[name] = { value: SIGNALS_BY_NAME.get(name)!.whenUnknown, source: 'unknown' };
    else signals[name] = { value: undefined, source: 'missing' };
  }
  return { verdict, signals };
}

export function describeAction(a: ActionDecision): string {
  const also = a.also.length > 0 ? ` + ${a.also.join(' + ')}` : '';
  const scope = a.scope ? ` (${a.scope})` : '';
  const limit = a.limit ? ` ${a.limit.requests === 0 ? 'blocked' : `${a.limit.requests} per ${formatDuration(a.limit.perMs)}`}` : '';
  const duration = a.do === 'deny_attempt' || a.do === 'notify' ? '' : a.durationMs === undefined ? ', until lifted' : `, for ${formatDuration(a.durationMs)}${a.priorOffences > 0 ? ` (escalated: ${a.priorOffences} prior)` : ''}`;
  return `${a.do}${scope}${limit}${also}${duration} [policy ${a.policy}, score ${a.score} ≥ ${a.threshold}]`;
}

export function formatExplanation(set: CompiledPolicySet, e: Explanation): string {
  const v = e.verdict;
  const lines: string[] = [];
  lines.push(`request: ${v.kind}, phase ${v.phase}, policy set ${v.setVersion}${v.globalShadow ? ', GLOBAL SHADOW' : ''}`);
  lines.push('', 'signals read by the set:');
  const width = Math.max(0, ...Object.keys(e.signals).map((n) => n.length));
  for (const [name, s] of Object.entries(e.signals)) {
    const note = s.source === 'given' ? '' : s.source === 'unknown' ? '   (not given: the catalogue value for unknown)' : '   (not given: rules reading it cannot decide)';
    lines.push(`  ${name.padEnd(width)} = ${s.source === 'missing' ? '—' : JSON.stringify(s.value)}${note}`);
  }
  for (const policy of set.policies) {
    const outcome = v.policies.find((p) => p.policy === policy.name);
    if (!outcome) {
      lines.push('', `policy ${policy.name}: not applied (on: ${[...policy.on].join(', ')})`);
      continue;
    }
    lines.push('', `policy ${policy.name}${outcome.shadow ? ' (shadow)' : ''}: score ${outcome.score}${outcome.scoreWithShadow !== outcome.score ? ` (${outcome.scoreWithShadow} with shadow rules)` : ''}`);
    for (const rule of policy.rules) {
      if (rule.phase !== v.phase) continue;
      const r = v.rules.find((x) => x.policy === policy.name && x.rule === rule.id)!;
      const mark = r.error ? '!' : r.matched ? '✓' : '✗';
      const tag = r.shadow ? ' [shadow]' : '';
      const cost = r.costUs !== undefined ? `  ${r.costUs.toFixed(1)}µs` : '';
      lines.push(`  ${mark} ${rule.id}${tag}  ${rule.score >= 0 ? '+' : ''}${rule.score}${r.matched ? '' : ' (not counted)'}${cost}`);
      lines.push(`      when: ${rule.when.replace(/\s+/g, ' ').trim()}`);
      const why = [...rule.signals, ...rule.counters].map((n) => `${n} = ${e.signals[n]?.source === 'missing' ? '—' : JSON.stringify(e.signals[n]?.value)}`);
      if (why.length > 0) lines.push(`      with: ${why.join(', ')}`);
      if (r.error) lines.push(`      could not decide: ${r.error}`);
    }
    lines.push(`  → ${outcome.action ? describeAction(outcome.action) : 'no action'}`);
    if (outcome.wouldHave) lines.push(`  → would have: ${describeAction(outcome.wouldHave)}`);
  }
  lines.push('', `result: ${v.action ? describeAction(v.action) : 'forward (no action)'}`);
  for (const extra of v.actions.slice(1)) lines.push(`        also: ${describeAction(extra)}`);
  if (v.wouldHave?.action) lines.push(`would have: ${describeAction(v.wouldHave.action)}`);
  return `${lines.join('\n')}\n`;
}
