/**
 * The in-process view of every live block, so that enforcement never waits for the store: filled from
 * the store at start, kept fresh by the store's change feed (publish/subscribe across replicas), and
 * reloaded whole when the feed says it may have missed something (reconnect, end of an outage).
 *
 * A replica applies its own blocks to the view at once, before the store has them: a block is enforced
 * by the replica that made it from the next request on, whatever the store is doing.
 */
import type { Clock } from '../lib/clock';
import type { Change, Store } from '../store/port';
import { blockId, isLive, type BlockKind, type BlockRecord } from './blocks';

export class BlockView {
  private readonly blocks = new Map<string, BlockRecord>();
  private unsubscribe: (() => void) | undefined;
  /** How many changes arrived from other replicas, and when the last did (propagation metrics). */
  lastRemoteChangeLagMs = 0;

  constructor(private readonly clock: Clock) {}

  /** Loads every live block and follows the store's changes. */
  async follow(store: Store, onError: (err: unknown) => void): Promise<void> {
    this.unsubscribe = store.subscribe((change) => this.onChange(store, change, onError));
    await this.reload(store);
  }

  async reload(store: Store): Promise<void> {
    const all = await store.list<BlockRecord>('blocks', '*');
    this.blocks.clear();
    for (const b of all) this.apply(b);
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private onChange(store: Store, change: Change, onError: (err: unknown) => void): void {
    if (change.op === 'resync') {
      this.reload(store).catch(onError);
      return;
    }
    if (change.collection !== 'blocks') return;
    this.lastRemoteChangeLagMs = Math.max(0, this.clock.now() - change.atMs);
    if (change.op === 'put' && change.value) this.apply(change.value as BlockRecord);
    else if (change.op === 'delete') this.blocks.delete(viewKey(change.portal, change.id));
  }

  apply(b: BlockRecord): void {
    this.blocks.set(viewKey(b.portal, b.id), b);
  }

  remove(portal: string, id: string): void {
    this.blocks.delete(viewKey(portal, id));
  }

  /** The live block of `kind` on `subject`, if any. */
  find(portal: string, kind: BlockKind, subject: string): BlockRecord | undefined {
    const b = this.blocks.get(viewKey(portal, blockId(kind, subject)));
    return b && isLive(b, this.clock.now()) ? b : undefined;
  }

  /** The record, live or ended (ended ones are kept a while for escalation). */
  record(portal: string, kind: BlockKind, subject: string): BlockRecord | undefined {
    return this.blocks.get(viewKey(portal, blockId(kind, subject)));
  }

  /** Every live block, for the admin API and tests. */
  list(): BlockRecord[] {
    const now = this.clock.now();
    return [...this.blocks.values()].filter((b) => isLive(b, now));
  }

  get size(): number {
    return this.blocks.size;
  }
}

function viewKey(portal: string, id: string): string {
  return `${portal}\0${id}`;
}
