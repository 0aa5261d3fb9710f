/**
 * The composition root's way to a store: the embedded memory store, or Redis (single node, Sentinel or
 * Cluster) wrapped in the resilient store with the declared failure modes. See docs/state.md.
 */
import type { GatewayConfig } from '../config/types';
import type { Clock } from '../lib/clock';
import { silentLogger, type StoreLogger } from './logger';
import { MemoryStore } from './memory/memory-store';
import type { Store } from './port';
import { RedisStore } from './redis/redis-store';
import { ResilientStore } from './resilient';

export type { Store } from './port';
export type { StoreLogger } from './logger';

export interface StoreDeps {
  readonly clock: Clock;
  /** This process, as named in changes (e.g. host name and pid). */
  readonly origin: string;
  readonly logger?: StoreLogger;
}

export async function createStore(config: GatewayConfig, deps: StoreDeps): Promise<Store> {
  const options = config.storeOptions;
  const logger = deps.logger ?? silentLogger;
  if (config.store.kind === 'memory') {
    return MemoryStore.open({
      clock: deps.clock,
      origin: deps.origin,
      stateDir: config.stateDir,
      maxCounterKeys: options.memory.maxCounterKeys,
      auditMaxPerPortal: options.auditMaxPerPortal,
      fsync: options.journal.fsync,
      compactAfterBytes: options.journal.compactAfterBytes,
      logger,
    });
  }
  const primary = await RedisStore.open(config.store, {
    clock: deps.clock,
    origin: deps.origin,
    commandTimeoutMs: options.redis.commandTimeoutMs,
    connectTimeoutMs: options.redis.connectTimeoutMs,
    replicaAcks: options.redis.replicaAcks ?? (config.store.kind === 'redis-sentinel' ? 1 : 0),
    auditMaxPerPortal: options.auditMaxPerPortal,
    logger,
  });
  return ResilientStore.open({ primary, stateDir: config.stateDir, storeOptions: options, clock: deps.clock, origin: deps.origin, logger });
}
