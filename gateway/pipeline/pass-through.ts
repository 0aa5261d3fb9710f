/**
 * Stages whose logic later issues supply (enforce, sense, score, act). Each is a named seam in the
 * pipeline today so that the order is fixed once and the composition root is the only place that
 * changes when a real stage arrives.
 */
import type { BeforeStage, BeforeStageName } from './stages';

export function passThrough(name: Exclude<BeforeStageName, 'classify'>): BeforeStage {
  return { name, run: () => undefined };
}
