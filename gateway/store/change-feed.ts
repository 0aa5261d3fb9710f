/**
 * In-process delivery of changes to subscribers. A listener that throws is logged and skipped: one
 * broken view must not stop the others from learning of a block.
 */
import type { Change } from './port';
import type { StoreLogger } from './logger';

export class ChangeFeed {
  private readonly listeners = new Set<(change: Change) => void>();

  constructor(private readonly logger: StoreLogger) {}

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(change: Change): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.logger.warn({ err: String(err), op: change.op }, 'store: a change listener threw');
      }
    }
  }
}
