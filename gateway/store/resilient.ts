/**
 * The Redis store with the declared failure modes (storeOptions.failureModes), for the day Redis is
 * unreachable.
 *
 * States: `ok` (Redis answers) → `outage` (a call failed or the client is disconnected) → `draining`
 * (Redis is back; the queue is replayed in order) → `ok`.
 *
 * What each call does:
 * - counters(): the adds are always applied to a local bounded table too, so that a fallback answer
 *   starts from this replica's recent history rather than from zero. In `ok` Redis answers. Otherwise
 *   the adds are queued (replayed with their original nowMs), and the answer follows the request
 *   kind's mode: `memory_fallback` answers the local counts; `fail_open` and `fail_closed` answer
 *   `{ ok: false }` and the caller passes or refuses. "Store down" is never "limited".
 * - put/delete: applied to the local view of the records (a mirror of Redis, loaded at start and kept
 *   by the change feed), then sent to Redis; outside `ok`, queued (on disk before the call resolves)
 *   and delivered to this process's subscribers at once. Replayed in order when Redis is back, which
 *   publishes them to the other replicas.
 * - get/list: Redis in `ok`; the local view otherwise, so known blocks stay enforced.
 * - appendAudit: Redis in `ok`; otherwise queued and kept in a local log that queryAudit reads.
 * - After a drain, the local view is reloaded from Redis (other replicas wrote meanwhile) and a
 *   `resync` change tells views to reload as well. Before each reload, what the local view holds and
 *   Redis lacks (Redis restarted empty) is written back, unless lifted or rewritten meanwhile
 *   (./reseed.ts), with one log line.
 * - An idle replica learns of an outage from a probe (one EXISTS) every
 *   storeOptions.redis.probeIntervalMs, so the store state (and its metric) does not wait for a
 *   request (./outage-watch.ts). An outage is logged when it starts, as a summary every
 *   storeOptions.redis.outageSummaryMs while it lasts, and when it ends.
 */
import type { TableUsage } from '../lib/bounded-table';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../lib/clock';
import { PortcullisError } from '../lib/errors';
import type { FailureMode, StoreOptions } from '../config/types';
import { AuditLog } from './audit-log';
import { ChangeFeed } from './change-feed';
import { CounterTable } from './counter-table';
import { silentLogger, type StoreLogger } from './logger';
import { OutageQueue, type QueuedWrite } from './outage-queue';
import { OutageWatch } from './outage-watch';
import type { AuditEvent, AuditQuery, Change, Collection, CounterOp, CounterOptions, CounterResult, Store, StoredRecord, StoreHealth } from './port';
import { RecordTable } from './record-table';
import { planReseed, VersionLedger, writeBack, type PortalSnapshot } from './reseed';
import type { RedisStore } from './redis/redis-store';

export interface ResilientStoreOptions {
  readonly primary: RedisStore;
  readonly stateDir: string;
  readonly storeOptions: StoreOptions;
  readonly clock: Clock;
  readonly origin: string;
  readonly logger?: StoreLogger;
  /** How often an outage checks whether Redis is back (default 200 ms). */
  readonly recoveryPollMs?: number;
}

type State = 'ok' | 'outage' | 'draining';

/** Queued writes replayed per step (and acknowledged on disk together). */
const DRAIN_BATCH = 200;

export class ResilientStore implements Store {
  readonly kind = 'redis' as const;
  private readonly primary: RedisStore;
  private readonly localCounters: CounterTable;
  private readonly mirror = new RecordTable();
  /** Versions of the mirror's records and the deletions seen: what a re-seed must not undo. */
  private readonly ledger = new VersionLedger();
  private readonly localAudit: AuditLog;
  private readonly feed: ChangeFeed;
  private readonly logger: StoreLogger;
  private state: State = 'ok';
  private sinceMs = 0;
  private poller: NodeJS.Timeout | null = null;
  private readonly watch: OutageWatch;
  private draining: Promise<void> | null = null;
  private resyncing: Promise<void> | null = null;
  private resyncAgain = false;
  private reloads: Promise<void> = Promise.resolve();
  private closed = false;
  private unsubscribePrimary: () => void = () => undefined;

  private constructor(
    private readonly options: ResilientStoreOptions,
    private readonly queue: OutageQueue,
  ) {
    this.primary = options.primary;
    this.logger = options.logger ?? silentLogger;
    this.localCounters = new CounterTable({ maxKeys: options.storeOptions.redis.fallbackCounterKeys });
    this.localAudit = new AuditLog(options.storeOptions.auditMaxPerPortal);
    this.feed = new ChangeFeed(this.logger);
    const redis = options.storeOptions.redis;
    this.watch = new OutageWatch({
      clock: options.clock,
      logger: this.logger,
      probeIntervalMs: redis.probeIntervalMs,
      probeTimeoutMs: redis.commandTimeoutMs,
      summaryMs: redis.outageSummaryMs,
      isOk: () => this.state === 'ok' && !this.closed,
      probe: (timeoutMs) => this.primary.probe(timeoutMs),
      onProbeFailed: () => this.enterOutage('probe'),
      onStoreForgot: () => this.resync('probe'),
      queued: () => this.queue.length,
      dropped: () => this.queue.droppedCount,
      takeFailures: () => this.primary.takeUnreportedFailures(),
    });
  }

  static async open(options: ResilientStoreOptions): Promise<ResilientStore> {
    const queue = await OutageQueue.open({
      stateDir: options.stateDir,
      fsync: options.storeOptions.journal.fsync,
      maxQueued: options.storeOptions.outageMaxQueued,
      logger: options.logger ?? silentLogger,
    });
    const store = new ResilientStore(options, queue);
    store.unsubscribePrimary = options.primary.subscribe((change) => store.onPrimaryChange(change));
    // Writes left queued by a crash during an outage are replayed before anything else reaches Redis.
    if (!options.primary.isReady() || queue.length > 0) store.enterOutage('start');
    if (options.primary.isReady()) {
      if (queue.length > 0) await store.drain();
      else await store.reloadMirror().catch(() => store.enterOutage('start'));
    } else {
      store.reapplyQueue();
    }
    store.watch.startProbe();
    return store;
  }

  async counters(ops: readonly CounterOp[], nowMs: number, options: CounterOptions = {}): Promise<CounterResult> {
    const local = this.localCounters.apply(ops, nowMs);
    if (this.state !== 'outage') {
      // While draining, counters go to Redis directly: adds commute, so order does not matter.
      const answer = await this.primary.counters(ops, nowMs);
      if (answer.ok) return answer;
      this.enterOutage('counters');
    }
    const adds = ops.filter((op) => op.add !== undefined);
    if (adds.length > 0) await this.queue.push({ op: 'count', ops: adds, nowMs }).catch((err) => this.warnQueue(err));
    if (this.modeOf(options) === 'memory_fallback') return { ok: true, values: local };
    return { ok: false, reason: 'store_unavailable' };
  }

  async put(collection: Collection, portal: string, record: StoredRecord): Promise<void> {
    const atMs = this.options.clock.now();
    this.mirror.put(collection, portal, record);
    this.ledger.noteWrite(collection, portal, record.id, atMs);
    await this.write({ op: 'put', c: collection, p: portal, r: record, at: atMs }, () => this.primary.put(collection, portal, record, atMs));
  }

  async delete(collection: Collection, portal: string, id: string): Promise<void> {
    const atMs = this.options.clock.now();
    this.mirror.delete(collection, portal, id);
    this.ledger.noteDelete(collection, portal, id, atMs);
    await this.write({ op: 'del', c: collection, p: portal, id, at: atMs }, () => this.primary.delete(collection, portal, id, atMs));
  }

  async get<T extends StoredRecord>(collection: Collection, portal: string, id: string): Promise<T | undefined> {
    return this.read(() => this.primary.get<T>(collection, portal, id), () => this.mirror.get(collection, portal, id, this.options.clock.now()) as T | undefined);
  }

  async list<T extends StoredRecord>(collection: Collection, portal: string | '*'): Promise<T[]> {
    return this.read(() => this.primary.list<T>(collection, portal), () => this.mirror.list(collection, portal, this.options.clock.now()) as T[]);
  }

  async appendAudit(event: AuditEvent): Promise<void> {
    const id = randomUUID();
    if (this.state === 'ok') {
      try {
        await this.primary.appendAuditWithId(event, id);
        return;
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        this.enterOutage('audit');
      }
    }
    this.localAudit.append(event);
    await this.queue.push({ op: 'audit', e: event, id });
  }

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    return this.read(() => this.primary.queryAudit(query), () => this.localAudit.query(query));
  }

  subscribe(listener: (change: Change) => void): () => void {
    return this.feed.subscribe(listener);
  }

  tableUsage(): Readonly<Record<string, TableUsage>> {
    return { fallback_counters: this.localCounters.usage() };
  }

  health(): StoreHealth {
    if (this.state === 'ok') return { state: 'ok' };
    return { state: 'fallback', sinceMs: this.sinceMs, queued: this.queue.length };
  }

  /** Resolves when a drain in progress (if any) has ended: tests and shutdown wait on it. */
  async settled(): Promise<void> {
    await this.draining;
    await this.resyncing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    this.watch.close();
    this.unsubscribePrimary();
    await this.draining?.catch(() => undefined);
    await this.resyncing;
    await this.queue.close();
    await this.primary.close();
  }

  private modeOf(options: CounterOptions): FailureMode {
    return this.options.storeOptions.failureModes[options.kind ?? 'other'] ?? 'fail_open';
  }

  /** A durable write: to Redis in `ok`; otherwise queued, on disk, and delivered locally. */
  private async write(queued: QueuedWrite, send: () => Promise<void>): Promise<void> {
    if (this.state === 'ok') {
      try {
        await send();
        return;
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        this.enterOutage(queued.op);
      }
    }
    await this.queue.push(queued);
    const atMs = this.options.clock.now();
    if (queued.op === 'put') this.feed.emit({ collection: queued.c, portal: queued.p, id: queued.r.id, op: 'put', value: queued.r, origin: this.options.origin, atMs });
    if (queued.op === 'del') this.feed.emit({ collection: queued.c, portal: queued.p, id: queued.id, op: 'delete', origin: this.options.origin, atMs });
  }

  private async read<T>(fromRedis: () => Promise<T>, fromLocal: () => T): Promise<T> {
    if (this.state === 'ok') {
      try {
        return await fromRedis();
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        this.enterOutage('read');
      }
    }
    return fromLocal();
  }

  /** Changes from Redis (ours and other replicas'): kept in the mirror, passed on. */
  private onPrimaryChange(change: Change): void {
    if (change.op === 'put' && change.value) {
      this.mirror.put(change.collection, change.portal, change.value);
      this.ledger.noteWrite(change.collection, change.portal, change.id, change.atMs);
    }
    if (change.op === 'delete') {
      this.mirror.delete(change.collection, change.portal, change.id);
      this.ledger.noteDelete(change.collection, change.portal, change.id, change.atMs);
    }
    if (change.op === 'resync') {
      // The subscriber reconnected: what it missed is in Redis. In an outage the drain resyncs instead.
      this.resync('resync');
      return;
    }
    this.feed.emit(change);
  }

  /**
   * Reloads the mirror (writing back what Redis lacks first), then tells views to reload: after the
   * change feed reconnected, or when the probe found Redis had forgotten everything. One at a time.
   */
  private resync(cause: string): void {
    if (this.state !== 'ok') return;
    if (this.resyncing) {
      // Asked again while one runs: its snapshot may be older than what the new request is about.
      this.resyncAgain = true;
      return;
    }
    this.resyncing = this.reloadMirror()
      .then(() => this.feed.emit({ op: 'resync', origin: this.options.origin, atMs: this.options.clock.now() }))
      .catch(() => this.enterOutage(cause))
      .finally(() => {
        this.resyncing = null;
        if (this.resyncAgain && !this.closed) {
          this.resyncAgain = false;
          this.resync(cause);
        }
      });
  }

  private enterOutage(cause: string): void {
    if (this.closed) return;
    if (this.state === 'ok') {
      this.sinceMs = this.options.clock.now();
      this.logger.warn({ code: 'PC_ERR_STORE_UNAVAILABLE', cause }, 'store: Redis unavailable; failure modes apply, writes are queued');
      this.watch.outageStarted(this.sinceMs);
    }
    this.state = 'outage';
    if (!this.poller) {
      this.poller = setInterval(() => {
        if (this.state === 'outage' && this.primary.isReady() && !this.draining) void this.drain();
      }, this.options.recoveryPollMs ?? 200);
      this.poller.unref();
    }
  }

  /** Replays the queue in order, then reloads the mirror and announces a resync. */
  private drain(): Promise<void> {
    this.draining ??= this.runDrain().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async runDrain(): Promise<void> {
    this.state = 'draining';
    let replayed = 0;
    try {
      for (;;) {
        const batch = this.queue.peek(DRAIN_BATCH);
        if (batch.length === 0) break;
        for (const item of batch) await this.replay(item.w);
        await this.queue.ack(batch.length);
        replayed += batch.length;
      }
      // Synchronously after the empty check: no write can slip between the last replay and `ok`.
      this.state = 'ok';
      if (this.poller) clearInterval(this.poller);
      this.poller = null;
      const failedCalls = this.watch.outageEnded();
      await this.reloadMirror();
      this.localAudit.clear();
      this.logger.info({ outageMs: this.options.clock.now() - this.sinceMs, replayed, failedCalls }, 'store: Redis back; queued writes replayed');
      this.feed.emit({ op: 'resync', origin: this.options.origin, atMs: this.options.clock.now() });
    } catch (err) {
      this.logger.warn({ code: 'PC_ERR_STORE_REPLAY', err: (err as Error).message, queued: this.queue.length }, 'store: replay interrupted; retrying');
      this.state = 'ok'; // so that enterOutage logs the new outage and restarts the poller
      this.enterOutage('replay');
    }
  }

  private async replay(w: QueuedWrite): Promise<void> {
    switch (w.op) {
      case 'put':
        return this.primary.put(w.c, w.p, w.r, w.at);
      case 'del':
        return this.primary.delete(w.c, w.p, w.id, w.at);
      case 'audit':
        return this.primary.appendAuditWithId(w.e, w.id);
      case 'count': {
        const answer = await this.primary.counters(w.ops, w.nowMs);
        if (!answer.ok) throw new PortcullisError('PC_ERR_STORE_REPLAY', 'counter adds could not be replayed');
        return;
      }
    }
  }

  /**
   * The mirror := Redis's records, then the writes still queued on top (they are newer). First, what
   * the mirror holds and Redis lacks (Redis restarted empty, or lost its last writes) is written back,
   * unless lifted or rewritten meanwhile (./reseed.ts), and said in one log line.
   */
  private reloadMirror(): Promise<void> {
    // One at a time (a drain's and a resync's may overlap): the second then finds nothing missing, so
    // a re-seed is written and logged once.
    const next = this.reloads.then(() => this.reloadMirrorNow());
    this.reloads = next.catch(() => undefined);
    return next;
  }

  private async reloadMirrorNow(): Promise<void> {
    let snapshot = await this.primary.snapshot();
    const nowMs = this.options.clock.now();
    const plans = planReseed(this.mirror.entries(nowMs), this.ledger, snapshot, nowMs);
    if (plans.length > 0) {
      const counts = await writeBack(this.primary, plans);
      const wrote = counts.lifted > 0 || Object.keys(counts.restored).length > 0;
      // Two replicas find the same loss; the one whose script ran second wrote nothing and says less.
      if (wrote) this.logger.warn({ code: 'PC_ERR_STORE_RESEEDED', ...counts }, "store: Redis lacked records this replica holds (restarted empty?); wrote them back from this replica's view");
      else this.logger.info({ ...counts }, 'store: Redis lacked records this replica holds; another replica had written them back already');
      snapshot = await this.primary.snapshot();
    }
    this.loadMirror(snapshot);
    await this.primary.markSeeded();
  }

  private loadMirror(snapshot: readonly PortalSnapshot[]): void {
    this.mirror.clear();
    for (const { portal, collections } of snapshot) {
      for (const { collection, records } of collections) for (const { record } of records) this.mirror.put(collection, portal, record);
    }
    this.ledger.replaceVersions(snapshot);
    this.reapplyQueue();
  }

  private reapplyQueue(): void {
    for (const { w } of this.queue.all()) {
      if (w.op === 'put') {
        this.mirror.put(w.c, w.p, w.r);
        this.ledger.noteWrite(w.c, w.p, w.r.id, w.at ?? 0);
      } else if (w.op === 'del') {
        this.mirror.delete(w.c, w.p, w.id);
        this.ledger.noteDelete(w.c, w.p, w.id, w.at ?? 0);
      } else if (w.op === 'audit') this.localAudit.append(w.e);
    }
  }

  private warnQueue(err: unknown): void {
    this.logger.warn({ code: 'PC_ERR_STORE_JOURNAL', err: (err as Error).message }, 'store: counter adds could not be queued');
  }
}

function isUnavailable(err: unknown): boolean {
  return err instanceof PortcullisError && err.code === 'PC_ERR_STORE_UNAVAILABLE';
}
