/**
 * A small model of the data plane for timed test cases and replays: enforce → record attempt → score
 * (attempt) → act → record outcome → score (outcome) → act, with the pure counters of
 * gateway/signals/counters and an injected clock. It keeps the blocks its verdicts make, so that a test
 * can watch a ladder climb, a block expire and a repeat offence escalate. It is a model, not the
 * gateway: decoys, REST envelopes and propagation belong to the enforcement stage.
 */
import type { Clock } from '../lib/clock';
import type { RequestKind } from '../pipeline/request';
import { CounterBank, eventsOfKind } from '../signals/counters';
import { evaluate, subjectOf, type EvaluateOptions, type OffenceSubject } from '../decision/evaluate';
import type { ActionDecision, Verdict } from '../decision/verdict';
import type { CompiledPolicySet } from './compiled';
import type { NormalizedRequest } from './request';
import { ACTION_KINDS, type ActionKind, type Phase } from './spec';

export type Outcome = 'success' | 'failure' | 'none';

export interface StepResult {
  readonly atMs: number;
  /** Stopped by a block made earlier (no scoring): which one. */
  readonly enforced?: { readonly subject: OffenceSubject | 'reset'; readonly by: ActionKind };
  readonly attempt?: Verdict;
  readonly outcome?: Verdict;
  /** The strongest enforced action of the step, and the phase that took it. */
  readonly action?: ActionDecision;
  readonly phase?: Phase;
  readonly forwarded: boolean;
  /** Counter values read for the attempt phase. */
  readonly counters: Readonly<Record<string, number>>;
}

const LOGIN_KINDS: readonly RequestKind[] = ['login', 'otp', 'password_recovery', 'password_change'];

/** Actions that stop this request from reaching the portal. */
function stops(decision: ActionDecision, kind: RequestKind): boolean {
  const kinds = [decision.do, ...decision.also];
  if (kinds.includes('deny_attempt') || kinds.includes('block_ip')) return true;
  if (LOGIN_KINDS.includes(kind) && (kinds.includes('block_user') || kinds.includes('require_reset'))) return true;
  if (kind === 'rest' && kinds.includes('block_portal_rest')) return true;
  if (kind === 'rest' && decision.do === 'limit' && decision.limit?.requests === 0) return true;
  return false;
}

export class PolicySimulator {
  readonly bank: CounterBank;
  private readonly blocks = new Map<string, { untilMs: number; by: ActionKind }>();
  private readonly offences = new Map<string, number>();

  constructor(
    readonly set: CompiledPolicySet,
    readonly clock: Clock,
    readonly options: Pick<EvaluateOptions, 'globalShadow'> = {},
  ) {
    this.bank = new CounterBank(set.counters);
  }

  private subjectKey(subject: OffenceSubject, req: NormalizedRequest): string | undefined {
    const value = req.keys[subject];
    return value ? `${subject}:${value}` : undefined;
  }

  private blockedBy(req: NormalizedRequest, now: number): StepResult['enforced'] {
    const active = (key: string | undefined): { untilMs: number; by: ActionKind } | undefined => {
      const b = key ? this.blocks.get(key) : undefined;
      return b && b.untilMs > now ? b : undefined;
    };
    for (const subject of ['ip', 'ip_prefix'] as const) {
      const b = active(this.subjectKey(subject, req));
      if (b) return { subject, by: b.by };
    }
    if (LOGIN_KINDS.includes(req.kind) && req.kind !== 'password_change') {
      const b = active(this.subjectKey('user', req));
      if (b) return { subject: 'user', by: b.by };
      const reset = active(req.keys.user ? `reset:${req.keys.user}` : undefined);
      if (reset) return { subject: 'reset', by: 'require_reset' };
    }
    if (req.kind === 'rest') {
      const b = active(req.keys.portal ? `portal_rest:${req.keys.portal}` : undefined);
      if (b) return { subject: 'portal', by: 'block_portal_rest' };
      for (const subject of ['webhook', 'app', 'method'] as const) {
        const s = active(this.subjectKey(subject, req) && `limit0:${this.subjectKey(subject, req)}`);
        if (s) return { subject, by: 'limit' };
      }
    }
    return undefined;
  }

  private prior(req: NormalizedRequest): Partial<Record<OffenceSubject, number>> {
    const out: Partial<Record<OffenceSubject, number>> = {};
    for (const subject of ['user', 'portal', 'ip', 'ip_prefix', 'webhook', 'app', 'method'] as const) {
      const key = this.subjectKey(subject, req);
      if (key) out[subject] = this.offences.get(key) ?? 0;
    }
    return out;
  }

  private apply(decision: ActionDecision, req: NormalizedRequest, now: number): void {
    const until = decision.durationMs === undefined ? Infinity : now + decision.durationMs;
    const subject = subjectOf(decision);
    const key = subject && this.subjectKey(subject, req);
    if (key) this.offences.set(key, (this.offences.get(key) ?? 0) + 1);
    for (const kind of [decision.do, ...decision.also]) {
      const scoped = kind === decision.do ? decision : { do: kind, scope: undefined };
      if (kind === 'block_user' && req.keys.user) this.blocks.set(`user:${req.keys.user}`, { untilMs: until, by: kind });
      if (kind === 'require_reset' && req.keys.user) this.blocks.set(`reset:${req.keys.user}`, { untilMs: Infinity, by: kind });
      if (kind === 'block_portal_rest' && req.keys.portal) this.blocks.set(`portal_rest:${req.keys.portal}`, { untilMs: until, by: kind });
      if (kind === 'block_ip') {
        const s = (scoped.scope ?? 'ip') as OffenceSubject;
        const k = this.subjectKey(s, req);
        if (k) this.blocks.set(k, { untilMs: until, by: kind });
      }
      if (kind === 'limit' && decision.limit?.requests === 0) {
        const k = this.subjectKey((decision.scope ?? 'webhook') as OffenceSubject, req);
        if (k) this.blocks.set(`limit0:${k}`, { untilMs: until, by: kind });
      }
    }
  }

  /** Runs one request through the model at the clock's current time. */
  step(req: NormalizedRequest, outcome: Outcome): StepResult {
    const now = this.clock.now();
    const events = eventsOfKind(req.kind);
    const record = (event: string | undefined, signals = req.signals): void => {
      if (event) this.bank.record(now, { event, keys: req.keys, signals });
    };
    const enforced = this.blockedBy(req, now);
    record(events?.attempt);
    if (enforced) {
      record(events?.failed);
      return { atMs: now, enforced, forwarded: false, counters: {} };
    }
    const counters = this.bank.readAll(now, req.keys, this.set.referencedCounters);
    const options: EvaluateOptions = { globalShadow: this.options.globalShadow, priorOffences: this.prior(req) };
    const attempt = evaluate(this.set, 'attempt', req.kind, { ...req.signals, ...counters }, options);
    attempt.actions.forEach((a) => this.apply(a, req, now));
    const plain = Object.fromEntries(Object.entries(counters).map(([k, v]) => [k.slice('counters.'.length), v]));
    if (attempt.actions.some((a) => stops(a, req.kind))) {
      record(events?.failed);
      return { atMs: now, attempt, ...(attempt.action ? { action: attempt.action, phase: 'attempt' as const } : {}), forwarded: false, counters: plain };
    }
    if (outcome === 'none') {
      return { atMs: now, attempt, ...(attempt.action ? { action: attempt.action, phase: 'attempt' as const } : {}), forwarded: true, counters: plain };
    }
    record(outcome === 'success' ? events?.success : events?.failed);
    const after = this.bank.readAll(now, req.keys, this.set.referencedCounters);
    const outcomeSignals = { ...req.signals, ...after, 'outcome.success': outcome === 'success', 'outcome.failure': outcome === 'failure' };
    const result = evaluate(this.set, 'outcome', req.kind, outcomeSignals, { ...options, priorOffences: this.prior(req) });
    result.actions.forEach((a) => this.apply(a, req, now));
    // The step's action: the stronger of the two phases (ACTION_KINDS order), the outcome's on a tie.
    const strength = (a?: ActionDecision): number => (a ? ACTION_KINDS.indexOf(a.do) : Infinity);
    const outcomeWins = !!result.action && strength(result.action) <= strength(attempt.action);
    const action = outcomeWins ? result.action : attempt.action;
    const phase: Phase | undefined = outcomeWins ? 'outcome' : attempt.action ? 'attempt' : undefined;
    return { atMs: now, attempt, outcome: result, ...(action ? { action } : {}), ...(phase ? { phase } : {}), forwarded: true, counters: plain };
  }
}
