/**
 * Writes made while Redis is unreachable, in order, persisted to `<stateDir>/outage-queue.journal` so
 * that a crash during an outage loses none of them. Replayed to Redis in order when it is back
 * (resilient.ts), acknowledged in batches (`{ack: seq}` lines), and the file is compacted to nothing
 * once the queue is empty.
 *
 * Bound (`maxQueued`): durable records are never dropped. Past the bound, the oldest counter add is
 * dropped first (counts are evidence, not state), then the oldest audit event; each drop is a
 * `{drop: seq}` line and a PC_ERR_STORE_QUEUE_FULL warning.
 */
import path from 'node:path';
import { Journal, type FsyncPolicy } from './journal';
import type { StoreLogger } from './logger';
import type { AuditEvent, Collection, CounterOp, StoredRecord } from './port';

export const QUEUE_FILE = 'outage-queue.journal';

export type QueuedWrite =
  /** `at`: the write's version (reseed.ts); absent in queues written before versions were kept. */
  | { readonly op: 'put'; readonly c: Collection; readonly p: string; readonly r: StoredRecord; readonly at?: number }
  | { readonly op: 'del'; readonly c: Collection; readonly p: string; readonly id: string; readonly at?: number }
  | { readonly op: 'audit'; readonly e: AuditEvent; readonly id: string }
  /** Counter adds of one counters() call, with the time they were made. */
  | { readonly op: 'count'; readonly ops: readonly CounterOp[]; readonly nowMs: number };

export interface QueuedItem {
  readonly seq: number;
  readonly w: QueuedWrite;
}

type QueueLine = QueuedItem | { readonly ack: number } | { readonly drop: number };

export interface OutageQueueOptions {
  readonly stateDir: string;
  readonly fsync: FsyncPolicy;
  readonly maxQueued: number;
  readonly logger: StoreLogger;
}

export class OutageQueue {
  private items: QueuedItem[] = [];
  private nextSeq = 1;
  private dropped = 0;

  private constructor(
    private readonly journal: Journal<QueueLine>,
    private readonly options: OutageQueueOptions,
  ) {}

  static async open(options: OutageQueueOptions): Promise<OutageQueue> {
    const { journal, replay } = await Journal.open<QueueLine>({
      file: path.join(options.stateDir, QUEUE_FILE),
      fsync: options.fsync,
      // Compacted explicitly when emptied; the threshold only guards a very long outage.
      compactAfterBytes: 64 * 1024 * 1024,
      logger: options.logger,
    });
    const queue = new OutageQueue(journal, options);
    const removed = new Set<number>();
    let acked = 0;
    for (const line of replay.entries) {
      if ('ack' in line) acked = Math.max(acked, line.ack);
      else if ('drop' in line) removed.add(line.drop);
      else queue.items.push(line);
    }
    queue.items = queue.items.filter((item) => item.seq > acked && !removed.has(item.seq));
    queue.nextSeq = Math.max(acked, ...queue.items.map((i) => i.seq), 0) + 1;
    journal.onSnapshot(() => queue.items);
    return queue;
  }

  get length(): number {
    return this.items.length;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** Every queued write, oldest first (to re-apply to a reloaded local view). */
  all(): readonly QueuedItem[] {
    return this.items;
  }

  /** Queues `w`; resolves once it is on disk. */
  push(w: QueuedWrite): Promise<void> {
    const item: QueuedItem = { seq: this.nextSeq++, w };
    this.items.push(item);
    const writes = [this.journal.append(item)];
    if (this.items.length > this.options.maxQueued) {
      const victim = this.items.findIndex((i) => i.w.op === 'count');
      const index = victim >= 0 ? victim : this.items.findIndex((i) => i.w.op === 'audit');
      if (index >= 0) {
        const [gone] = this.items.splice(index, 1);
        this.dropped++;
        writes.push(this.journal.append({ drop: gone!.seq }));
        if (this.dropped === 1 || this.dropped % 1000 === 0) {
          this.options.logger.warn({ code: 'PC_ERR_STORE_QUEUE_FULL', dropped: this.dropped, op: gone!.w.op }, 'store: outage queue full; dropped the oldest counter add or audit event');
        }
      }
    }
    return Promise.all(writes).then(() => undefined);
  }

  peek(n: number): readonly QueuedItem[] {
    return this.items.slice(0, n);
  }

  /** The first `count` items reached Redis. When the queue is empty the file is compacted to nothing. */
  async ack(count: number): Promise<void> {
    const done = this.items.splice(0, count);
    if (done.length === 0) return;
    await this.journal.append({ ack: done[done.length - 1]!.seq });
    if (this.items.length === 0) await this.journal.compactSoon();
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}
