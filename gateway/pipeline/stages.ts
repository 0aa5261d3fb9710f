/**
 * The request pipeline, drawn once, in order (DESIGN.md §2):
 *
 *   edge ─▶ classify ─▶ enforce ─▶ sense ─▶ score ─▶ act ──▶ upstream ─▶ observe ─▶ record
 *
 * `edge` (gateway/edge) reads the request and writes the answer; the stages here only compute values.
 * A before-upstream stage either lets the request continue (returns undefined) or short-circuits it
 * with an `Answer`. `observe` sees the portal's answer head and may replace it (an outcome-phase block
 * swallows the portal's success); `record` runs once per request after the answer is written.
 *
 * Stages are synchronous when they can be: the runner only awaits a stage that returned a promise, so
 * a pass-through pipeline costs no microtask per stage on the hot path.
 */
import type { Answer } from './answer';
import type { RequestContext, UpstreamHead } from './context';

export type BeforeStageName = 'classify' | 'enforce' | 'sense' | 'score' | 'act';

export interface BeforeStage {
  readonly name: BeforeStageName;
  run(ctx: RequestContext): Answer | undefined | Promise<Answer | undefined>;
}

export interface ObserveStage {
  readonly name: 'observe';
  /** Return an Answer to replace the portal's (the portal's body is then discarded), else undefined. */
  run(ctx: RequestContext, upstream: UpstreamHead): Answer | undefined;
}

export interface RecordStage {
  readonly name: 'record';
  run(ctx: RequestContext): void;
}

export interface Pipeline {
  readonly before: readonly BeforeStage[];
  readonly observe: readonly ObserveStage[];
  readonly record: readonly RecordStage[];
}

export const STAGE_ORDER = ['classify', 'enforce', 'sense', 'score', 'act', 'observe', 'record'] as const;

/** Checks the composition once, at start: the stages must appear in the drawn order. */
export function composePipeline(p: Pipeline): Pipeline {
  const names = [...p.before.map((s) => s.name), ...p.observe.map((s) => s.name), ...p.record.map((s) => s.name)];
  let last = -1;
  for (const n of names) {
    const i = STAGE_ORDER.indexOf(n);
    if (i < last) throw new Error(`pipeline stage ${n} is out of order; the order is ${STAGE_ORDER.join(' → ')}`);
    last = i;
  }
  if (p.before[0]?.name !== 'classify') throw new Error('the pipeline must start with classify');
  return Object.freeze({ before: Object.freeze([...p.before]), observe: Object.freeze([...p.observe]), record: Object.freeze([...p.record]) });
}

/**
 * Runs the before-upstream stages. Returns the first Answer a stage gives, or undefined to forward.
 * Synchronous stages never touch the microtask queue.
 */
export function runBefore(stages: readonly BeforeStage[], ctx: RequestContext, from = 0): Answer | undefined | Promise<Answer | undefined> {
  for (let i = from; i < stages.length; i++) {
    const r = stages[i]!.run(ctx);
    if (r instanceof Promise) return r.then((a) => (a ? a : runBefore(stages, ctx, i + 1)));
    if (r) return r;
  }
  return undefined;
}

export function runObserve(stages: readonly ObserveStage[], ctx: RequestContext, upstream: UpstreamHead): Answer | undefined {
  for (const s of stages) {
    const a = s.run(ctx, upstream);
    if (a) return a;
  }
  return undefined;
}
