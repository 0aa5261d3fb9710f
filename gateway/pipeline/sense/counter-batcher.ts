/**
 * Counters for REST calls, batched across requests: a REST call must not wait for a store round trip
 * (issue 8: one Redis round trip per request costs ~40% of throughput). Its counter operations are
 * queued and sent to the store together, at most `flushMs` later, in one call per portal; the call reads
 * the last values the store returned, plus what this replica has added since. Values may lag the
 * store by one flush, which the REST policies' thresholds (tens of events over minutes) do not notice.
 *
 * Logins are not batched: a login's counters are exact and read before it is scored.
 */
import { boundedTable, usageOf, type TableUsage } from '../../lib/bounded-table';
import type { RequestKind } from '../request';
import type { CounterOp, Store } from '../../store/port';

export interface CounterBatcherOptions {
  readonly store: Store;
  /** Longest a counted event waits before it reaches the store. */
  readonly flushMs: number;
  /** A flush starts at once when this many operations are queued. */
  readonly maxQueued: number;
  readonly now: () => number;
  readonly onError: (err: unknown) => void;
}

interface Known {
  /** The store's value at the last flush. */
  synced: number;
  /** Adds made here since (count: events; distinct: new members, an upper bound). */
  pending: number;
  members?: Set<string>;
}

export class CounterBatcher {
  private queue: { op: CounterOp; atMs: number; kind: RequestKind }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly known = boundedTable<Known>({ maxEntries: 200_000, maxBytes: 64 * 1024 * 1024, valueBytes: 96 });

  constructor(private readonly opts: CounterBatcherOptions) {}

  usage(): TableUsage {
    return usageOf(this.known);
  }

  /** Queues the adds and answers every op from what is known now, synchronously. */
  apply(ops: readonly CounterOp[], kind: RequestKind): number[] {
    const nowMs = this.opts.now();
    const values: number[] = [];
    for (const op of ops) {
      const key = knownKey(op);
      let k = this.known.get(key);
      if (!k) this.known.set(key, (k = { synced: 0, pending: 0 }));
      if (op.add !== undefined) {
        if (op.type === 'count') k.pending++;
        else if (typeof op.add === 'string' && !(k.members ??= new Set()).has(op.add)) {
          k.members.add(op.add);
          k.pending++;
        }
      }
      values.push(k.synced + k.pending);
      this.queue.push({ op, atMs: nowMs, kind });
    }
    if (this.queue.length >= this.opts.maxQueued) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs);
      this.timer.unref();
    }
    return values;
  }

  /** Sends what is queued, one store call per portal and time; the answers become the synced values. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    // One store call per portal (one Redis slot): its adds are stamped with the newest time of the batch,
    // at most `flushMs` late, which windows of minutes do not notice.
    const groups = new Map<string, { ops: CounterOp[]; atMs: number; kind: RequestKind }>();
    for (const q of batch) {
      let group = groups.get(q.op.portal);
      if (!group) groups.set(q.op.portal, (group = { ops: [], atMs: q.atMs, kind: q.kind }));
      group.ops.push(q.op);
      group.atMs = Math.max(group.atMs, q.atMs);
    }
    for (const group of groups.values()) this.send(group.ops, group.atMs, group.kind);
  }

  /**
   * One store call for one portal's queued ops, merged: every op of a key becomes one op (count adds
   * summed into `times`, distinct adds one op per member), so a flush costs the store one op per key
   * and member, not one per request.
   */
  private send(queued: readonly CounterOp[], atMs: number, kind: RequestKind): void {
    const merged = new Map<string, CounterOp>();
    // What this batch adds, per known key: pending until its answer arrives; then the store's value replaces it.
    const added = new Map<string, number>();
    for (const op of queued) {
      const key = knownKey(op);
      const member = typeof op.add === 'string' ? op.add : '';
      const id = `${op.type}\0${op.windowMs}\0${key}\0${member}`;
      const prev = merged.get(id);
      if (op.add !== undefined) added.set(key, (added.get(key) ?? 0) + 1);
      if (!prev) merged.set(id, op);
      else if (op.add === true) merged.set(id, prev.add === true ? { ...prev, times: (prev.times ?? 1) + 1 } : { ...op, times: 1 });
    }
    const ops = [...merged.values()];
    // The store did not take the batch (an outage, fail_open): its adds are given up, not kept pending
    // forever, or the local estimate would grow without its window and never come back down.
    const release = (): void => {
      for (const [key, n] of added) {
        const k = this.known.get(key);
        if (k) k.pending = Math.max(0, k.pending - n);
      }
    };
    this.opts.store.counters(ops, atMs, { kind }).then(
      (r) => {
        if (!r.ok) return release();
        ops.forEach((op, i) => {
          const key = knownKey(op);
          const k = this.known.get(key);
          if (!k) return;
          // Several ops of one key (distinct members): the answer to the last one is the value.
          k.synced = r.values[i]!;
          k.pending = Math.max(0, k.pending - (added.get(key) ?? 0));
          added.delete(key);
          if (k.pending === 0) k.members = undefined;
        });
      },
      (err: unknown) => {
        release();
        this.opts.onError(err);
      },
    );
  }

  close(): void {
    this.flush();
  }
}

/** One counter window of one portal: what the local estimate is kept by. */
function knownKey(op: CounterOp): string {
  return [op.portal, op.counter, op.key].join('\0'); // flat, not a rope (it is kept in an LRU)
}
