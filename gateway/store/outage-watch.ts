/**
 * The resilient store's two timers around an outage (both unref'd: neither keeps the process alive):
 *
 * - the probe: while the store is `ok`, one cheap command (as a PING) every probeIntervalMs with a short
 *   timeout, so that an idle replica notices an outage by itself instead of at the next request that
 *   touches the store (its store health, and portcullis_store_state, would otherwise say `ok` for as
 *   long as nothing asks). Its answer also tells whether Redis forgot everything while this process
 *   stayed connected (a FLUSHALL): then the resilient store re-seeds, as after a reconnect;
 * - the summary: while an outage lasts, one log line every summaryMs (how long, writes queued in all
 *   and since the last line, dropped, calls failed) instead of a line per failed call or reconnect.
 *   The outage's start and end are logged once each by the resilient store.
 */
import type { Clock } from '../lib/clock';
import type { StoreLogger } from './logger';

export interface OutageWatchOptions {
  readonly clock: Clock;
  readonly logger: StoreLogger;
  /** 0: no probe. */
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly summaryMs: number;
  /** True while the store is `ok` (the probe runs only then). */
  isOk(): boolean;
  /** Rejects when Redis gave no answer within timeoutMs; false: Redis lost the mark of the last reload. */
  probe(timeoutMs: number): Promise<boolean>;
  onProbeFailed(): void;
  onStoreForgot(): void;
  queued(): number;
  dropped(): number;
  /** Failed calls and reconnect attempts not logged since the last call. */
  takeFailures(): number;
}

export class OutageWatch {
  private prober: NodeJS.Timeout | null = null;
  private probing = false;
  private summarizer: NodeJS.Timeout | null = null;
  private sinceMs = 0;
  private queuedAtLastLine = 0;

  constructor(private readonly options: OutageWatchOptions) {}

  startProbe(): void {
    const { probeIntervalMs } = this.options;
    if (probeIntervalMs <= 0 || this.prober) return;
    this.prober = setInterval(() => {
      if (!this.options.isOk() || this.probing) return;
      this.probing = true;
      this.options
        .probe(Math.max(1, Math.min(this.options.probeTimeoutMs, probeIntervalMs)))
        .then(
          (marked) => {
            if (!marked && this.options.isOk()) this.options.onStoreForgot();
          },
          () => {
            if (this.options.isOk()) this.options.onProbeFailed();
          },
        )
        .finally(() => {
          this.probing = false;
        });
    }, probeIntervalMs);
    this.prober.unref();
  }

  /** An outage began at sinceMs: summaries until outageEnded(). */
  outageStarted(sinceMs: number): void {
    this.sinceMs = sinceMs;
    this.queuedAtLastLine = this.options.queued();
    this.options.takeFailures(); // those before the outage are not its own
    if (this.summarizer) return;
    this.summarizer = setInterval(() => this.summarize(), this.options.summaryMs);
    this.summarizer.unref();
  }

  /** Stops the summaries; answers the failures counted since the last line (for the recovery line). */
  outageEnded(): number {
    if (this.summarizer) clearInterval(this.summarizer);
    this.summarizer = null;
    return this.options.takeFailures();
  }

  close(): void {
    if (this.prober) clearInterval(this.prober);
    this.prober = null;
    this.outageEnded();
  }

  private summarize(): void {
    const queued = this.options.queued();
    this.options.logger.warn(
      {
        code: 'PC_ERR_STORE_UNAVAILABLE',
        outageMs: this.options.clock.now() - this.sinceMs,
        queued,
        queuedSinceLast: Math.max(0, queued - this.queuedAtLastLine),
        dropped: this.options.dropped(),
        failedCalls: this.options.takeFailures(),
      },
      'store: Redis still unavailable',
    );
    this.queuedAtLastLine = queued;
  }
}
