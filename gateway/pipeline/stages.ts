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

/** The portal's whole answer, held back from the client while observe stages read it. */
export interface PortalAnswer {
  readonly status: number;
  /** Flat [name, value, …], hop-by-hop headers removed. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export type HeadVerdict = { readonly replace: Answer } | { readonly bufferUpTo: number } | undefined;

export interface ObserveStage {
  readonly name: 'observe';
  /**
   * On the portal's answer head. Return `{ bufferUpTo }` to read the whole answer before the client
   * sees it (logins: success or failure is in the body), `{ replace }` to answer instead, or
   * undefined to let it stream (the REST path: nothing is held).
   */
  onHead(ctx: RequestContext, head: UpstreamHead): HeadVerdict;
  /**
   * With the whole answer, when some stage asked for it. Return an Answer to send instead of the
   * portal's (an outcome-phase block swallows a success), or undefined to send the portal's, with
   * `ctx.extraHeaders` appended (e.g. the device cookie).
   */
  onAnswer(ctx: RequestContext, answer: PortalAnswer): Answer | undefined | Promise<Answer | undefined>;
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

/** The head decision of the observe stages: the first replacement, else the largest buffer asked for. */
export function observeHead(stages: readonly ObserveStage[], ctx: RequestContext, head: UpstreamHead): HeadVerdict {
  let bufferUpTo = 0;
  for (const s of stages) {
    const v = s.onHead(ctx, head);
    if (!v) continue;
    if ('replace' in v) return v;
    bufferUpTo = Math.max(bufferUpTo, v.bufferUpTo);
  }
  return bufferUpTo > 0 ? { bufferUpTo } : undefined;
}

/** Runs every observe stage on the whole answer in order; the first replacement wins. */
export async function observeAnswer(stages: readonly ObserveStage[], ctx: RequestContext, answer: PortalAnswer): Promise<Answer | undefined> {
  for (const s of stages) {
    const r = s.onAnswer(ctx, answer);
    const a = r instanceof Promise ? await r : r;
    if (a) return a;
  }
  return undefined;
}
