/**
 * The Redis store (ioredis): single node, Sentinel or Cluster, shared by every replica. Key layout in
 * ./keys.ts; counters in ./counters.lua.
 *
 * Failures: while the client is not connected, or when a command times out, counters() answers
 * `{ ok: false }` at once and record operations throw PortcullisError PC_ERR_STORE_UNAVAILABLE. The
 * resilient store (../resilient.ts) turns those into the declared failure modes; used bare, this store
 * reports `down` in health().
 *
 * Changes: a write delivers its change to this instance's subscribers at once, then PUBLISHes it with
 * this instance's id; the echo of our own message is dropped (it was delivered already), other
 * replicas' messages are delivered. After the subscriber connection comes back, a `resync` change tells
 * views to reload, since messages published meanwhile are lost (Redis pub/sub keeps nothing).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock';
import { PortcullisError } from '../../lib/errors';
import { DEFAULT_MAX_DISTINCT, bucketMsOf } from '../../signals/counters/window';
import { newestFirst, matchesAudit } from '../audit-log';
import { ChangeFeed } from '../change-feed';
import { silentLogger, type StoreLogger } from '../logger';
import type { AuditEvent, AuditQuery, Change, Collection, CounterOp, CounterResult, RecordChange, Store, StoredRecord, StoreHealth } from '../port';
import { isLive } from '../record-table';
import { Cluster } from 'ioredis';
import { createRedisClient, createSubscriber, waitReady, type RedisClient } from './connect';
import { auditKey, CHANGES_CHANNEL, counterKey, PORTALS_KEY, recordsKey, SEEDED_KEY, tombstonesKey, versionsKey } from './keys';
import { TOMBSTONE_KEEP_MS, type PortalSnapshot, type ReseedCounts, type Tombstone, type VersionedRecord } from '../reseed';
import { readLua } from './scripts';
import { UnconfirmedWrites } from './unconfirmed-writes';
import type { StoreConfig } from '../../config/types';

export type RedisStoreConfig = Exclude<StoreConfig, { kind: 'memory' }>;

export interface RedisStoreOptions {
  readonly clock: Clock;
  readonly origin: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly auditMaxPerPortal: number;
  /**
   * Replicas that must confirm a durable write (blocks, unblock requests, audit) by WAIT before it
   * counts as written. Without it, a Sentinel failover loses what the demoted master acknowledged in
   * the seconds before it learnt of its demotion (Redis replication is asynchronous). Default 0.
   */
  readonly replicaAcks?: number;
  readonly logger?: StoreLogger;
}

/** Collections whose writes must survive a failover; learning records (users, devices…) may not. */
const CONFIRMED: ReadonlySet<Collection> = new Set<Collection>(['blocks', 'unblock_requests']);

type Batch = ReturnType<RedisClient['pipeline']>;

/** What travels on the change channel: the change, and which store instance sent it (echo filter). */
interface Envelope {
  readonly from: string;
  readonly change: RecordChange;
}

interface ScriptClient {
  pcCounters(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  pcReseed(...keysThenArgs: (string | number)[]): Promise<number[]>;
}

const ALL_COLLECTIONS: readonly Collection[] = ['blocks', 'unblock_requests', 'users', 'devices', 'portal_facts'];

/** While failures go on, at most one is logged per this long (the rest are counted for the outage summary). */
const FAILURE_LOG_EVERY_MS = 60_000;

/** Queries read the audit zset in pages of this many events until `limit` matches are found. */
const AUDIT_PAGE = 500;

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  /** This instance, for dropping our own echo (two stores of one process have one origin). */
  private readonly instanceId = randomUUID();
  private readonly feed: ChangeFeed;
  private readonly logger: StoreLogger;
  private readonly knownPortals = new Set<string>();
  private readonly unconfirmed: UnconfirmedWrites;
  private downSinceMs: number | null = null;
  /** Failed calls and connection errors since the client was last ready: only the first is logged. */
  private failuresSinceReady = 0;
  private failuresUnreported = 0;
  private lastFailureLoggedMs = 0;
  private subscriberReadyCount = 0;
  private subscribed: Promise<unknown> | null = null;
  private closed = false;

  private constructor(
    readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly options: RedisStoreOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.feed = new ChangeFeed(this.logger);
    this.unconfirmed = new UnconfirmedWrites({
      acks: options.replicaAcks ?? 0,
      isReady: () => this.isReady(),
      confirm: async () => Number(await this.client.call('WAIT', options.replicaAcks ?? 0, this.waitTimeoutMs())),
      onDropped: (count) => this.logger.warn({ code: 'PC_ERR_STORE_UNCONFIRMED', dropped: count }, 'store: too many writes wait for a replica to confirm them; the oldest are no longer resent'),
    });
  }

  /** Connects (waiting up to connectTimeoutMs; past it the store starts `down` and keeps trying). */
  static async open(config: RedisStoreConfig, options: RedisStoreOptions): Promise<RedisStore> {
    const client = createRedisClient(config, { commandTimeoutMs: options.commandTimeoutMs });
    client.defineCommand('pcCounters', { lua: readLua('counters.lua') });
    client.defineCommand('pcReseed', { numberOfKeys: 3, lua: readLua('reseed.lua') });
    const subscriber = createSubscriber(client);
    const store = new RedisStore(client, subscriber, options);
    store.watch();
    const ready = await waitReady(client, options.connectTimeoutMs);
    if (!ready) {
      store.downSinceMs ??= options.clock.now();
      store.logger.warn({ code: 'PC_ERR_STORE_UNAVAILABLE', kind: config.kind }, 'store: Redis not reachable at start; retrying in the background');
    }
    // Subscribed before open() resolves, so no change published after it is missed.
    if (ready && (await waitReady(subscriber, options.connectTimeoutMs))) await store.subscribed?.catch(() => undefined);
    return store;
  }

  /** Durable writes the master took that no replica has confirmed yet (see ./unconfirmed-writes.ts). */
  get unconfirmedWrites(): number {
    return this.unconfirmed.size;
  }

  /** True while commands can be sent. */
  isReady(): boolean {
    return this.client.status === 'ready';
  }

  async counters(ops: readonly CounterOp[], nowMs: number): Promise<CounterResult> {
    if (ops.length === 0) return { ok: true, values: [] };
    if (!this.isReady()) return { ok: false, reason: 'store_unavailable' };
    try {
      // A request's ops are one portal: one script call. Ops of several portals (a replay of queued
      // adds) are one call per portal slot, sent together.
      const byPortal = new Map<string, number[]>();
      ops.forEach((op, i) => {
        const list = byPortal.get(op.portal);
        if (list) list.push(i);
        else byPortal.set(op.portal, [i]);
      });
      const values = new Array<number>(ops.length).fill(0);
      await Promise.all(
        [...byPortal.values()].map(async (indexes) => {
          const result = await this.runCounters(indexes.map((i) => ops[i]!), nowMs);
          indexes.forEach((opIndex, k) => (values[opIndex] = Number(result[k] ?? 0)));
        }),
      );
      return { ok: true, values };
    } catch (err) {
      this.noteFailure(err, 'counters');
      return { ok: false, reason: 'store_unavailable' };
    }
  }

  /** One EVALSHA for ops of one portal. */
  private runCounters(ops: readonly CounterOp[], nowMs: number): Promise<number[]> {
    const keys = ops.map(counterKey);
    const args: (string | number)[] = [nowMs, DEFAULT_MAX_DISTINCT];
    for (const op of ops) {
      const add = op.type === 'count' ? op.add !== undefined : typeof op.add === 'string';
      const n = op.type === 'count' ? (op.times ?? 1) : 1;
      args.push(op.type === 'count' ? 'c' : 'd', op.windowMs, bucketMsOf({ windowMs: op.windowMs }), add ? String(n) : '0', typeof op.add === 'string' ? op.add : '');
    }
    return (this.client as unknown as ScriptClient).pcCounters(keys.length, ...keys, ...args);
  }

  /**
   * `atMs` is the write's version (default now): kept beside the record, and a put clears the id's
   * tombstone, so that a re-seed after Redis lost its data keeps the newest of each id (../reseed.ts).
   */
  async put(collection: Collection, portal: string, record: StoredRecord, atMs = this.options.clock.now()): Promise<void> {
    await this.command('put', async () => {
      const json = JSON.stringify(record);
      await this.confirmed(collection, (b) => b.hset(recordsKey(collection, portal), record.id, json).hset(versionsKey(collection, portal), record.id, atMs).zrem(tombstonesKey(collection, portal), record.id), portal);
    });
    await this.publish({ collection, portal, id: record.id, op: 'put', value: record, origin: this.options.origin, atMs });
  }

  async get<T extends StoredRecord>(collection: Collection, portal: string, id: string): Promise<T | undefined> {
    const json = await this.command('get', () => this.client.hget(recordsKey(collection, portal), id));
    if (json === null) return undefined;
    const record = JSON.parse(json) as T;
    if (isLive(record, this.options.clock.now())) return record;
    // Expired: sweep it now; other replicas reading it also drop it, whoever is first.
    await this.command('sweep', () => Promise.all([this.client.hdel(recordsKey(collection, portal), id), this.client.hdel(versionsKey(collection, portal), id)]));
    return undefined;
  }

  /**
   * Leaves a tombstone (the id, scored by `atMs`) so that no replica's re-seed brings the record back
   * (../reseed.ts); tombstones older than TOMBSTONE_KEEP_MS are trimmed on the way.
   */
  async delete(collection: Collection, portal: string, id: string, atMs = this.options.clock.now()): Promise<void> {
    const gone = tombstonesKey(collection, portal);
    await this.command('delete', () =>
      this.confirmed(collection, (b) => b.hdel(recordsKey(collection, portal), id).hdel(versionsKey(collection, portal), id).zadd(gone, atMs, id).zremrangebyscore(gone, '-inf', atMs - TOMBSTONE_KEEP_MS), portal),
    );
    await this.publish({ collection, portal, id, op: 'delete', origin: this.options.origin, atMs });
  }

  async list<T extends StoredRecord>(collection: Collection, portal: string | '*'): Promise<T[]> {
    const portals = portal === '*' ? await this.portals() : [portal];
    const nowMs = this.options.clock.now();
    const hashes = await this.command('list', () => Promise.all(portals.map((p) => this.client.hgetall(recordsKey(collection, p)))));
    const out: T[] = [];
    const sweeps: Promise<unknown>[] = [];
    hashes.forEach((hash, i) => {
      const expired: string[] = [];
      for (const [id, json] of Object.entries(hash)) {
        const record = JSON.parse(json) as T;
        if (isLive(record, nowMs)) out.push(record);
        else expired.push(id);
      }
      if (expired.length > 0) sweeps.push(this.client.hdel(recordsKey(collection, portals[i]!), ...expired), this.client.hdel(versionsKey(collection, portals[i]!), ...expired));
    });
    await this.command('sweep', () => Promise.all(sweeps));
    return out;
  }

  async appendAudit(event: AuditEvent): Promise<void> {
    await this.appendAuditWithId(event, randomUUID());
  }

  /**
   * The id makes the member unique (two identical events are two events) and a replay idempotent:
   * the outage queue gives an event its id once, and a second replay of it writes the same member.
   */
  async appendAuditWithId(event: AuditEvent, id: string): Promise<void> {
    const key = auditKey(event.portal);
    await this.command('audit', async () => {
      // One slot, one pipeline: add, then trim to the newest auditMaxPerPortal. (Not a MULTI: a WAIT
      // inside one answers at once, without waiting.)
      const member = JSON.stringify({ id, ...event });
      await this.confirmed('audit', (b) => b.zadd(key, event.atMs, member).zremrangebyrank(key, 0, -(this.options.auditMaxPerPortal + 1)), event.portal);
    });
  }

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const portals = query.portal !== undefined ? [query.portal] : await this.portals();
    const perPortal = await this.command('queryAudit', () => Promise.all(portals.map((p) => this.queryPortalAudit(p, query))));
    return newestFirst(perPortal.flat(), query.limit);
  }

  private async queryPortalAudit(portal: string, query: AuditQuery): Promise<AuditEvent[]> {
    const max = query.beforeMs !== undefined ? `(${query.beforeMs}` : '+inf';
    const found: AuditEvent[] = [];
    for (let offset = 0; found.length < query.limit; offset += AUDIT_PAGE) {
      const page = await this.client.zrevrangebyscore(auditKey(portal), max, '-inf', 'LIMIT', offset, AUDIT_PAGE);
      for (const member of page) {
        const { id: _id, ...event } = JSON.parse(member) as AuditEvent & { id: string };
        if (matchesAudit(event, query)) found.push(event);
        if (found.length >= query.limit) break;
      }
      if (page.length < AUDIT_PAGE) break;
    }
    return found;
  }

  subscribe(listener: (change: Change) => void): () => void {
    return this.feed.subscribe(listener);
  }

  health(): StoreHealth {
    if (this.isReady()) return { state: 'ok' };
    return { state: 'down', sinceMs: this.downSinceMs ?? this.options.clock.now() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unconfirmed.close();
    this.subscriber.disconnect();
    this.client.disconnect();
  }

  /**
   * Every record of every portal with its version, and the tombstones: what the resilient store
   * compares its local view with after a reconnect or an outage (../reseed.ts). Expired records are
   * left out (and swept by the next list()).
   */
  async snapshot(): Promise<PortalSnapshot[]> {
    const portals = await this.portals();
    const nowMs = this.options.clock.now();
    return this.command('snapshot', () =>
      Promise.all(
        portals.map(async (portal) => {
          const collections = await Promise.all(
            ALL_COLLECTIONS.map(async (collection) => {
              const [records, versions, gone] = await Promise.all([
                this.client.hgetall(recordsKey(collection, portal)),
                this.client.hgetall(versionsKey(collection, portal)),
                this.client.zrange(tombstonesKey(collection, portal), 0, -1, 'WITHSCORES'),
              ]);
              const live: VersionedRecord[] = [];
              for (const [id, json] of Object.entries(records)) {
                const record = JSON.parse(json) as StoredRecord;
                if (isLive(record, nowMs)) live.push({ record, versionMs: Number(versions[id] ?? -1) });
              }
              const tombstones: Tombstone[] = [];
              for (let i = 0; i + 1 < gone.length; i += 2) tombstones.push({ id: gone[i]!, atMs: Number(gone[i + 1]) });
              return { collection, records: live, tombstones };
            }),
          );
          return { portal, collections };
        }),
      ),
    );
  }

  /**
   * Puts back records and tombstones this replica holds and Redis lacks, each only where Redis has no
   * newer version of the id (./reseed.lua: atomic per portal and collection, so replicas re-seeding at
   * once agree), and re-adds the portal to the portal set.
   */
  async reseed(collection: Collection, portal: string, records: readonly VersionedRecord[], tombstones: readonly Tombstone[]): Promise<ReseedCounts> {
    const args: (string | number)[] = [records.length];
    for (const { record, versionMs } of records) args.push(record.id, JSON.stringify(record), versionMs);
    for (const t of tombstones) args.push(t.id, t.atMs);
    const keys = [recordsKey(collection, portal), versionsKey(collection, portal), tombstonesKey(collection, portal)];
    const [restored = 0, skipped = 0, lifted = 0] = await this.command('reseed', async () => {
      const counts = await (this.client as unknown as ScriptClient).pcReseed(...keys, ...args);
      await this.client.sadd(PORTALS_KEY, portal);
      return counts.map(Number);
    });
    this.notePortal(portal);
    return { restored, skipped, lifted };
  }

  /**
   * The resilient store's probe: one `EXISTS pc:seeded` (as cheap as a PING) within `timeoutMs`.
   * Rejects without an answer in time; answers false when the mark left by markSeeded() is gone (Redis
   * restarted empty, or was flushed, while this process stayed connected).
   */
  async probe(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return (await this.command('probe', () => Promise.race([this.client.exists(SEEDED_KEY), late]))) === 1;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Leaves the mark that probe() looks for: this replica's view and Redis agree as of now. */
  async markSeeded(): Promise<void> {
    await this.command('mark', () => this.client.set(SEEDED_KEY, String(this.options.clock.now())));
  }

  /** Failed calls and connection errors not logged since the last call (the resilient store's outage summary). */
  takeUnreportedFailures(): number {
    const n = this.failuresUnreported;
    this.failuresUnreported = 0;
    return n;
  }

  /** Every portal with records or audit events. */
  async portals(): Promise<string[]> {
    return this.command('portals', () => this.client.smembers(PORTALS_KEY));
  }

  /**
   * Sends a write's commands, with a WAIT behind them on the same connection when the collection
   * needs replicas' confirmation. A command's error rejects (the resilient store queues the write).
   * Fewer confirmations than replicaAcks do not: the master has the write and other replicas see it,
   * and ./unconfirmed-writes.ts keeps it until a replica confirms it, sending it again after a
   * reconnect (a failover's new master).
   */
  private async confirmed(what: Collection | 'audit', build: (batch: Batch) => Batch, portal: string): Promise<void> {
    const acks = this.options.replicaAcks ?? 0;
    const wait = acks > 0 && (what === 'audit' || CONFIRMED.has(what));
    const confirmedBy = await this.sendBatch(build, portal, wait ? acks : 0);
    if (wait && confirmedBy < acks) this.unconfirmed.add({ what, send: () => this.sendBatch(build, portal, acks) });
  }

  /** One round trip: the write, the portal set when it shares the node, then WAIT; resolves with WAIT's answer. */
  private async sendBatch(build: (batch: Batch) => Batch, portal: string, acks: number): Promise<number> {
    const batch = build(this.client.pipeline());
    // On one node the portal set rides in the same batch (and under the same WAIT); a Cluster keeps
    // it in another slot, so it is a call of its own after the write.
    const inBatch = !(this.client instanceof Cluster);
    if (inBatch && (acks > 0 || !this.knownPortals.has(portal))) batch.sadd(PORTALS_KEY, portal);
    if (acks > 0) batch.call('WAIT', acks, this.waitTimeoutMs());
    const results = (await batch.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
    if (inBatch) this.notePortal(portal);
    else await this.rememberPortal(portal);
    return acks > 0 ? Number(results[results.length - 1]?.[1] ?? 0) : 0;
  }

  /** WAIT's own timeout: a replica on the same network confirms in about a round trip; stays well under the command timeout. */
  private waitTimeoutMs(): number {
    return Math.max(1, Math.min(100, Math.floor(this.options.commandTimeoutMs / 2)));
  }

  /** The portal set feeds list('*'); each process adds a portal once (writes are rare, but not free). */
  private async rememberPortal(portal: string): Promise<void> {
    if (this.knownPortals.has(portal)) return;
    await this.client.sadd(PORTALS_KEY, portal);
    this.notePortal(portal);
  }

  private notePortal(portal: string): void {
    if (this.knownPortals.size < 10_000) this.knownPortals.add(portal);
  }

  private async publish(change: RecordChange): Promise<void> {
    this.feed.emit(change);
    const envelope: Envelope = { from: this.instanceId, change };
    await this.command('publish', () => this.client.publish(CHANGES_CHANNEL, JSON.stringify(envelope)));
  }

  /** Runs a Redis call; any failure becomes PC_ERR_STORE_UNAVAILABLE (infrastructure, not a decision). */
  private async command<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new PortcullisError('PC_ERR_STORE_CLOSED', 'the Redis store is closed');
    if (!this.isReady()) throw new PortcullisError('PC_ERR_STORE_UNAVAILABLE', `Redis is not connected (${what})`, { what });
    try {
      return await run();
    } catch (err) {
      this.noteFailure(err, what);
      throw new PortcullisError('PC_ERR_STORE_UNAVAILABLE', `Redis failed (${what}): ${(err as Error).message}`, { what });
    }
  }

  /**
   * The first failure after the client was ready is logged; the rest are counted (an outage would
   * otherwise log a line per request and per reconnect attempt). The resilient store logs the outage
   * once, a summary with this count at an interval, and the recovery.
   */
  private noteFailure(err: unknown, what: string): void {
    if (this.shouldLogFailure()) this.logger.warn({ code: 'PC_ERR_STORE_UNAVAILABLE', what, err: (err as Error)?.message }, 'store: Redis call failed');
  }

  /** The first failure since the client was ready, or the first for a minute (a connected Redis that times out now and then). */
  private shouldLogFailure(): boolean {
    const nowMs = this.options.clock.now();
    const log = this.failuresSinceReady === 0 || nowMs - this.lastFailureLoggedMs >= FAILURE_LOG_EVERY_MS;
    this.failuresSinceReady++;
    if (log) this.lastFailureLoggedMs = nowMs;
    else this.failuresUnreported++;
    return log;
  }

  private watch(): void {
    const markDown = (): void => {
      this.downSinceMs ??= this.options.clock.now();
    };
    this.client.on('error', (err: Error) => {
      if (this.shouldLogFailure()) this.logger.warn({ code: 'PC_ERR_STORE_UNAVAILABLE', err: err.message }, 'store: Redis connection error');
    });
    this.client.on('close', markDown);
    this.client.on('end', markDown);
    this.client.on('ready', () => {
      this.downSinceMs = null;
      this.failuresSinceReady = 0;
      // The server may have restarted empty: every portal goes back into the portal set with its next
      // write (a replay after an outage included), or list('*') and mirrors would never see it.
      this.knownPortals.clear();
      this.unconfirmed.connected();
    });

    this.subscriber.on('error', () => undefined); // reported by the main client; reconnects by itself
    this.subscriber.on('ready', () => {
      this.subscriberReadyCount++;
      // ioredis resubscribes by itself after a reconnect; the first 'ready' is the first connect.
      if (this.subscriberReadyCount === 1) {
        this.subscribed = (this.subscriber.subscribe(CHANGES_CHANNEL) as Promise<unknown>).catch((err: Error) =>
          this.logger.warn({ code: 'PC_ERR_STORE_UNAVAILABLE', err: err.message }, 'store: cannot subscribe to the change feed'),
        );
      } else {
        this.feed.emit({ op: 'resync', origin: this.options.origin, atMs: this.options.clock.now() });
      }
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== CHANGES_CHANNEL) return;
      let envelope: Envelope;
      try {
        envelope = JSON.parse(message) as Envelope;
      } catch {
        return;
      }
      if (envelope.from === this.instanceId) return;
      this.feed.emit(envelope.change);
    });
  }
}
