/**
 * Durations of repeat offences. A first offence lasts the action's duration; each earlier offence of
 * the same subject multiplies it by `escalate.factor`, up to `escalate.max`. No duration: until lifted.
 */
import type { CompiledAction } from '../policy/compiled';

export function durationFor(action: Pick<CompiledAction, 'durationMs' | 'escalate'>, priorOffences: number): number | undefined {
  if (action.durationMs === undefined) return undefined;
  if (!action.escalate || priorOffences <= 0) return action.durationMs;
  const grown = action.durationMs * Math.pow(action.escalate.factor, Math.floor(priorOffences));
  return Math.min(grown, action.escalate.maxMs);
}
