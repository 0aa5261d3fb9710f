/**
 * The score stage (attempt phase): the pinned policy set evaluated on the sensed signals. Pure and
 * synchronous; the verdict is a value on the request's state, which the act stage (enforcement) and
 * the record stage read.
 */
import { evaluate, type EvaluateOptions } from '../decision/evaluate';
import type { RequestContext } from './context';
import type { BeforeStage } from './stages';

export interface ScoreOptions {
  /** Evaluate everything, enforce nothing (the configuration's global shadow switch). */
  readonly globalShadow: boolean;
  /** Earlier offences of the request's subjects, which escalate durations. */
  readonly priorOffences?: (ctx: RequestContext) => EvaluateOptions['priorOffences'];
}

export function scoreStage(opts: ScoreOptions): BeforeStage {
  return {
    name: 'score',
    run(ctx) {
      const state = ctx.state;
      if (!state) return undefined;
      const prior = opts.priorOffences?.(ctx);
      state.attempt = evaluate(state.policies, 'attempt', ctx.classified!.kind, state.signals, { globalShadow: opts.globalShadow, ...(prior ? { priorOffences: prior } : {}) });
      return undefined;
    },
  };
}
