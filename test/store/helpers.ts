/** Shared by the store tests: stores on a ManualClock, unique portals, and polling without sleeps in the code under test. */
import { DEFAULT_CONFIG, DEFAULT_STORE_OPTIONS } from '../../gateway/config/defaults';
import type { GatewayConfig, StoreConfig, StoreOptions } from '../../gateway/config/types';
import type { Clock } from '../../gateway/lib/clock';
import { createStore } from '../../gateway/store';
import type { StoreLogger } from '../../gateway/store/logger';
import { MemoryStore } from '../../gateway/store/memory/memory-store';
import type { CounterOp, Store } from '../../gateway/store/port';
import { RedisStore } from '../../gateway/store/redis/redis-store';

let portalSeq = 0;
/** A portal name no other test uses, so tests share one Redis without flushing it. */
export const uniquePortal = (): string => `p${process.pid}-${Date.now().toString(36)}-${portalSeq++}.example.com`;

export const TEST_STORE_OPTIONS: StoreOptions = {
  ...DEFAULT_STORE_OPTIONS,
  redis: { ...DEFAULT_STORE_OPTIONS.redis, commandTimeoutMs: 300, connectTimeoutMs: 3000 },
};

export function testConfig(store: StoreConfig, stateDir: string, storeOptions: Partial<StoreOptions> = {}): GatewayConfig {
  return { ...DEFAULT_CONFIG, store, stateDir, storeOptions: { ...TEST_STORE_OPTIONS, ...storeOptions } };
}

/** Collects warnings so tests can assert on codes. */
export function recordingLogger(): StoreLogger & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  return { warnings, warn: (obj) => warnings.push(obj as Record<string, unknown>), info: () => undefined };
}

export function openMemory(clock: Clock, stateDir: string | null, overrides: { maxCounterKeys?: number; compactAfterBytes?: number; logger?: StoreLogger } = {}): Promise<MemoryStore> {
  return MemoryStore.open({
    clock,
    origin: 'test-memory',
    stateDir,
    maxCounterKeys: overrides.maxCounterKeys ?? 10_000,
    auditMaxPerPortal: 1000,
    fsync: 'batch',
    compactAfterBytes: overrides.compactAfterBytes ?? 1024 * 1024,
    ...(overrides.logger ? { logger: overrides.logger } : {}),
  });
}

export function openRedis(clock: Clock, config: Exclude<StoreConfig, { kind: 'memory' }>, origin = 'test-redis', replicaAcks = 0): Promise<RedisStore> {
  return RedisStore.open(config, { clock, origin, commandTimeoutMs: 500, connectTimeoutMs: 5000, auditMaxPerPortal: 1000, replicaAcks });
}

export function openResilient(clock: Clock, store: StoreConfig, stateDir: string, origin = 'test-resilient', storeOptions: Partial<StoreOptions> = {}): Promise<Store> {
  return createStore(testConfig(store, stateDir, storeOptions), { clock, origin });
}

/** Polls `check` until it returns true (or a value), failing after timeoutMs. */
export async function eventually<T>(check: () => Promise<T | false> | T | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const countOp = (portal: string, key: string, windowMs: number, add = true): CounterOp => ({
  portal,
  counter: 'user_failures',
  type: 'count',
  windowMs,
  key,
  ...(add ? { add: true as const } : {}),
});

export const distinctOp = (portal: string, key: string, windowMs: number, member?: string): CounterOp => ({
  portal,
  counter: 'ip_distinct_users',
  type: 'distinct',
  windowMs,
  key,
  ...(member !== undefined ? { add: member } : {}),
});
