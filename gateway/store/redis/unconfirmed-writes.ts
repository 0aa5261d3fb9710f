/**
 * Writes a master took but no replica confirmed (Redis WAIT fell short), kept until one does.
 *
 * Why: Redis replication is asynchronous. In a Sentinel failover the old master goes on acknowledging
 * writes for a second or two after a replica was promoted, and drops them when it is demoted and
 * resyncs. A block acknowledged in that window would be lost. So a block, an unblock request or an
 * audit event is followed by WAIT; when fewer replicas than asked confirm it, the write stays here:
 *   - while the connection is the same, a lone WAIT is retried (it confirms every earlier write of
 *     the connection at once);
 *   - once the client has reconnected (possibly to a new master), the writes are sent again, in their
 *     order. They are idempotent (a record by id, an audit event by its id).
 * The write is not withheld meanwhile: other replicas read it from the master at once. A master with
 * no replica at all (the other one was killed) never confirms: the writes wait here, bounded, and are
 * sent again to whichever master comes next.
 *
 * Limit: a write resent after a reconnect can undo another replica's later change of the same record
 * made in the same seconds (a block lifted elsewhere during the failover comes back). That errs toward
 * the block; support lifts it again.
 */
export interface UnconfirmedWritesOptions {
  /** WAIT alone on the current connection: how many replicas hold every write made on it so far. */
  readonly confirm: () => Promise<number>;
  readonly acks: number;
  readonly isReady: () => boolean;
  readonly retryEveryMs?: number;
  readonly max?: number;
  readonly onDropped?: (count: number) => void;
}

export interface PendingWrite {
  readonly what: string;
  /** Sends the write again (with its WAIT); rejects when a command fails. */
  readonly send: () => Promise<unknown>;
}

interface Entry {
  readonly write: PendingWrite;
  /** The connection it was last sent on. */
  epoch: number;
}

export class UnconfirmedWrites {
  private entries: Entry[] = [];
  private epoch = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: UnconfirmedWritesOptions) {}

  get size(): number {
    return this.entries.length;
  }

  /** A new connection is ready: what was sent on the old one may not be on this master. */
  connected(): void {
    this.epoch++;
    if (this.entries.length > 0) this.schedule(0);
  }

  add(write: PendingWrite): void {
    this.entries.push({ write, epoch: this.epoch });
    const max = this.options.max ?? 10_000;
    if (this.entries.length > max) {
      const dropped = this.entries.length - max;
      this.entries = this.entries.slice(dropped);
      this.options.onDropped?.(dropped);
    }
    this.schedule(this.options.retryEveryMs ?? 1000);
  }

  /** Tries now; resolves when this attempt is over (for tests and shutdown). */
  retry(): Promise<void> {
    this.running ??= this.attempt().finally(() => {
      this.running = null;
      if (this.entries.length > 0) this.schedule(this.options.retryEveryMs ?? 1000);
    });
    return this.running;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.entries = [];
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.retry();
    }, delayMs);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    if (this.entries.length === 0 || !this.options.isReady()) return;
    const epoch = this.epoch;
    try {
      // Written on an earlier connection: send again here, oldest first, each under its own WAIT.
      for (const entry of this.entries) {
        if (entry.epoch === epoch) continue;
        await entry.write.send();
        entry.epoch = epoch;
      }
      // Every entry is now on this connection: one WAIT confirms them all (writes added while it
      // runs were sent after it, and stay).
      const sent = new Set(this.entries);
      if (this.epoch === epoch && (await this.options.confirm()) >= this.options.acks) {
        this.entries = this.entries.filter((e) => !(sent.has(e) && e.epoch === epoch));
      }
    } catch {
      // Not connected, or a command failed: the next attempt (or the next connection) tries again.
    }
  }
}
