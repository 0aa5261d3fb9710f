/**
 * Gauges of live state, read when Prometheus scrapes (prom-client `collect`), so the hot path pays
 * nothing: blocks active by kind, the store's state, and how late the last block change from another
 * replica arrived (publish/subscribe propagation lag).
 */
import { Gauge, type Registry } from 'prom-client';
import { BLOCK_KINDS, type BlockRecord } from '../lockout/blocks';
import type { TableUsage } from '../lib/bounded-table';
import type { StoreHealth } from '../store/port';

export interface LiveState {
  blocks(): readonly BlockRecord[];
  storeHealth(): StoreHealth;
  lastRemoteChangeLagMs(): number;
  /** The in-process tables keyed by what clients send, by name (absent: none reported). */
  tables?(): Readonly<Record<string, TableUsage>>;
}

const STORE_STATES = ['ok', 'fallback', 'down'] as const;

export function registerStateMetrics(registry: Registry, state: LiveState): void {
  new Gauge({
    name: 'portcullis_blocks_active',
    help: 'Live blocks by kind (reset_required: users who must set a new password).',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(BLOCK_KINDS.map((k) => [k, 0]));
      for (const b of state.blocks()) counts.set(b.kind, (counts.get(b.kind) ?? 0) + 1);
      for (const [kind, n] of counts) this.labels(kind).set(n);
    },
  });
  new Gauge({
    name: 'portcullis_store_state',
    help: 'The store: 1 for the current state (ok; fallback: Redis unreachable, serving from memory; down), 0 for the others.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const now = state.storeHealth().state;
      for (const s of STORE_STATES) this.labels(s).set(s === now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'portcullis_store_queued_writes',
    help: 'Writes queued while the store is in fallback, waiting to be replayed.',
    registers: [registry],
    collect() {
      const h = state.storeHealth();
      this.set(h.state === 'fallback' ? h.queued : 0);
    },
  });
  new Gauge({
    name: 'portcullis_table_bytes',
    help: 'Estimated bytes held by each in-process table keyed by client input (counters, rate buckets, portals); each is bounded by bytes and entries.',
    labelNames: ['table'] as const,
    registers: [registry],
    collect() {
      for (const [name, u] of Object.entries(state.tables?.() ?? {})) this.labels(name).set(u.bytes);
    },
  });
  new Gauge({
    name: 'portcullis_table_entries',
    help: 'Entries of each in-process table keyed by client input.',
    labelNames: ['table'] as const,
    registers: [registry],
    collect() {
      for (const [name, u] of Object.entries(state.tables?.() ?? {})) this.labels(name).set(u.entries);
    },
  });
  new Gauge({
    name: 'portcullis_block_propagation_lag_seconds',
    help: 'How long the last block change from the store\'s change feed took to reach this replica (0 before any).',
    registers: [registry],
    collect() {
      this.set(state.lastRemoteChangeLagMs() / 1000);
    },
  });
}
