/**
 * Replay: recorded events through a (changed) policy set, compared with what was decided then (the
 * record's `verdict`, or a baseline set). Pure over its inputs; the CLI streams the file into it.
 * A "block" is any action that stops or restricts something: everything but `notify`.
 */
import { evaluate } from '../decision/evaluate';
import type { CompiledPolicySet } from './compiled';
import { recordSignals, type EventRecord } from './event-record';
import type { ActionKind } from './spec';

const BLOCKING: ReadonlySet<ActionKind> = new Set(['block_user', 'block_portal_rest', 'require_reset', 'block_ip', 'limit', 'deny_attempt']);

export interface ReplayChange {
  readonly line: number;
  readonly change: 'added' | 'removed';
  readonly action: ActionKind;
  /** The rules of the side that blocks (new rules for added, old rules for removed). */
  readonly rules: readonly string[];
}

export interface ReplaySummary {
  readonly events: number;
  readonly blocksBefore: number;
  readonly blocksAfter: number;
  readonly added: number;
  readonly removed: number;
  /** rule → { added, removed } */
  readonly byRule: Readonly<Record<string, { added: number; removed: number }>>;
  /** action → { added, removed } */
  readonly byAction: Readonly<Record<string, { added: number; removed: number }>>;
  readonly changes: readonly ReplayChange[];
  /** Rules that could not be evaluated, with how often. */
  readonly errors: Readonly<Record<string, number>>;
}

export class Replay {
  private events = 0;
  private before = 0;
  private after = 0;
  private readonly changes: ReplayChange[] = [];
  private readonly errors: Record<string, number> = {};

  constructor(
    private readonly set: CompiledPolicySet,
    private readonly baseline?: CompiledPolicySet,
    private readonly options: { keepChanges?: number } = {},
  ) {}

  add(record: EventRecord, line: number): void {
    this.events++;
    const signals = recordSignals(record);
    // Evaluated as the gateway did: a record made in global shadow mode enforced nothing then, and an
    // unchanged set replayed on it must not "add" what shadow mode only reported.
    const options = { globalShadow: record.global_shadow === true };
    const now = evaluate(this.set, record.phase, record.kind, signals, options);
    for (const e of now.errors) this.errors[e.rule] = (this.errors[e.rule] ?? 0) + 1;
    let oldKinds: ActionKind[] = [];
    let oldRules: readonly string[] = [];
    if (this.baseline) {
      const then = evaluate(this.baseline, record.phase, record.kind, signals, options);
      oldKinds = then.actions.flatMap((a) => [a.do, ...a.also]);
      oldRules = then.matched.map((r) => r.rule);
    } else if (record.verdict) {
      oldKinds = record.verdict.action ? [record.verdict.action, ...(record.verdict.also ?? [])] : [];
      oldRules = record.verdict.rules;
    }
    const newKinds = now.actions.flatMap((a) => [a.do, ...a.also]);
    const newRules = now.actions.flatMap((a) => a.rules);
    const oldBlocks = new Set(oldKinds.filter((k) => BLOCKING.has(k)));
    const newBlocks = new Set(newKinds.filter((k) => BLOCKING.has(k)));
    if (oldBlocks.size > 0) this.before++;
    if (newBlocks.size > 0) this.after++;
    for (const action of newBlocks) if (!oldBlocks.has(action)) this.changes.push({ line, change: 'added', action, rules: newRules });
    for (const action of oldBlocks) if (!newBlocks.has(action)) this.changes.push({ line, change: 'removed', action, rules: oldRules });
  }

  summary(): ReplaySummary {
    const byRule: Record<string, { added: number; removed: number }> = {};
    const byAction: Record<string, { added: number; removed: number }> = {};
    for (const c of this.changes) {
      for (const rule of c.rules.length > 0 ? c.rules : ['(none)']) {
        byRule[rule] ??= { added: 0, removed: 0 };
        byRule[rule]![c.change]++;
      }
      byAction[c.action] ??= { added: 0, removed: 0 };
      byAction[c.action]![c.change]++;
    }
    const keep = this.options.keepChanges ?? 1000;
    return {
      events: this.events,
      blocksBefore: this.before,
      blocksAfter: this.after,
      added: this.changes.filter((c) => c.change === 'added').length,
      removed: this.changes.filter((c) => c.change === 'removed').length,
      byRule,
      byAction,
      changes: this.changes.slice(0, keep),
      errors: { ...this.errors },
    };
  }
}
