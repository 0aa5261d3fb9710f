/**
 * The store port: what the gateway needs from its state, whatever holds it. Two adapters implement it
 * (store/memory: embedded, journaled to the state folder; store/redis: ioredis, single node, Sentinel
 * or Cluster), and store/resilient.ts wraps Redis with the declared failure modes.
 *
 * Rules every adapter keeps:
 * - "Store down" is a value (`{ ok: false }`), never an exception, and never the same value as a
 *   policy's "limited": callers decide per request kind what a missing answer means.
 * - Keys group by portal (`pc:{<portal>}:…` in Redis) so that one portal's keys share a Cluster slot
 *   and a request's counters are read and written in one round trip.
 * - No secret reaches the store: ids that name a person or a credential are keyed hashes made by the
 *   caller (signals/keyed-hash.ts); values never hold passwords, webhook codes or tokens.
 */
import type { TableUsage } from '../lib/bounded-table';
import type { RequestKind } from '../pipeline/request';

/** One counter operation of a request. The caller has applied the policy's `where:` filter. */
export interface CounterOp {
  readonly portal: string;
  /** The policy counter's name (unique in a policy set). */
  readonly counter: string;
  readonly type: 'count' | 'distinct';
  readonly windowMs: number;
  /** The bucket key: the counter's `by` values, joined (already hashed where they name a person). */
  readonly key: string;
  /**
   * What to add before reading: `true` counts one event (count counters); a string is the member of a
   * distinct counter; absent: read only.
   */
  readonly add?: true | string;
  /**
   * Count ops: how many events the add stands for (default 1). The REST batcher sends the adds of many
   * requests to one key as one op, so a flush costs the store one op per key, not one per request.
   */
  readonly times?: number;
}

export type CounterResult =
  | { readonly ok: true; readonly values: readonly number[] }
  | { readonly ok: false; readonly reason: 'store_unavailable' };

/** Durable record collections. Each record is a JSON value with an `id`, kept per portal. */
export type Collection = 'blocks' | 'unblock_requests' | 'users' | 'devices' | 'portal_facts';

export interface StoredRecord {
  readonly id: string;
  /** Milliseconds since the epoch; when set, the record is gone after it (blocks with a duration). */
  readonly expiresAtMs?: number | null;
}

/** Something changed that other replicas' in-process views must learn (blocks, reset flags). */
export interface RecordChange {
  readonly collection: Collection;
  readonly portal: string;
  readonly id: string;
  readonly op: 'put' | 'delete';
  /** The record after a put (views apply it without a read). */
  readonly value?: StoredRecord;
  /** Which process made it, so a replica can ignore its own echo. */
  readonly origin: string;
  readonly atMs: number;
}

/**
 * The feed may have missed changes (the subscriber reconnected, or an outage ended): views reload what
 * they hold with `list()` instead of trusting the changes they saw.
 */
export interface ResyncChange {
  readonly op: 'resync';
  readonly origin: string;
  readonly atMs: number;
}

export type Change = RecordChange | ResyncChange;

export interface AuditEvent {
  readonly atMs: number;
  readonly portal: string;
  /** e.g. user_blocked, rest_blocked, block_lifted, reset_required, reset_done, limit_hit, would_have */
  readonly type: string;
  /** Who or what: `rule:<id>`, `operator:<name>`, `support:<name>`, `gateway`. */
  readonly actor: string;
  readonly user?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditQuery {
  readonly portal?: string;
  readonly type?: string;
  readonly user?: string;
  /** Newest first; page with `beforeMs`. */
  readonly beforeMs?: number;
  readonly limit: number;
}

export type StoreHealth =
  | { readonly state: 'ok' }
  /** Redis is unreachable; the resilient store serves from memory and queues durable writes. */
  | { readonly state: 'fallback'; readonly sinceMs: number; readonly queued: number }
  | { readonly state: 'down'; readonly sinceMs: number };

/** What the caller tells about a counters() call; the resilient store picks its failure mode by `kind`. */
export interface CounterOptions {
  /** The request kind (`login`, `rest`, …); absent: the mode of `other`. */
  readonly kind?: RequestKind;
}

export interface Store {
  readonly kind: 'memory' | 'redis';
  /** Applies the adds and reads every op's value after them, in one round trip. */
  counters(ops: readonly CounterOp[], nowMs: number, options?: CounterOptions): Promise<CounterResult>;

  put(collection: Collection, portal: string, record: StoredRecord): Promise<void>;
  get<T extends StoredRecord>(collection: Collection, portal: string, id: string): Promise<T | undefined>;
  delete(collection: Collection, portal: string, id: string): Promise<void>;
  /** Every live record of a collection, for one portal or for all (`'*'`): views catch up with this. */
  list<T extends StoredRecord>(collection: Collection, portal: string | '*'): Promise<T[]>;

  appendAudit(event: AuditEvent): Promise<void>;
  queryAudit(query: AuditQuery): Promise<AuditEvent[]>;

  /** Changes made by any replica, this one included (check `origin`). */
  subscribe(listener: (change: Change) => void): () => void;
  health(): StoreHealth;
  /** The store's in-process tables (memory counters, fallback counters), for /metrics. */
  tableUsage?(): Readonly<Record<string, TableUsage>>;
  close(): Promise<void>;
}
