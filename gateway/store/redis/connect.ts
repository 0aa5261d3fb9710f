/**
 * ioredis clients for the three Redis shapes of StoreConfig. Common to all: no offline queue (a
 * command while disconnected fails at once, so a request is answered by its failure mode instead of
 * waiting), a command timeout, and reconnection forever with a short capped backoff.
 */
import { once } from 'node:events';
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { StoreConfig } from '../../config/types';

export type RedisClient = Redis | Cluster;

export interface ConnectOptions {
  readonly commandTimeoutMs: number;
}

const retryStrategy = (times: number): number => Math.min(50 * times, 1000);

export function createRedisClient(config: Exclude<StoreConfig, { kind: 'memory' }>, options: ConnectOptions): RedisClient {
  const common: RedisOptions = {
    // Commands of one event-loop tick go out in one write: under load, many logins' reads and
    // counters share a syscall instead of one each (a profile of the login path showed ~1/6 of the
    // gateway's CPU in socket writes to Redis).
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy,
  };
  switch (config.kind) {
    case 'redis':
      return new Redis(config.url, common);
    case 'redis-sentinel':
      return new Redis({
        ...common,
        // A demoted master answers writes with READONLY until the sentinel's CLIENT KILL arrives:
        // reconnect at once (asking the sentinels for the new master) instead of failing until then.
        reconnectOnError: (err) => err.message.startsWith('READONLY'),
        sentinels: config.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: config.name,
        sentinelRetryStrategy: retryStrategy,
      });
    case 'redis-cluster':
      return new Cluster(
        config.nodes.map((n) => ({ host: n.host, port: n.port })),
        {
          // No auto-pipelining here: ioredis picks a Cluster auto-pipeline's slot from the command's
          // first argument, which for EVALSHA is the script's sha, not a key, so our counter scripts of
          // two portals could land in one pipeline and fail ("All keys in the pipeline should belong to
          // the same slots allocation group", redis/ioredis#2109; seen in test/store/topologies).
          enableAutoPipelining: false,
          enableOfflineQueue: false,
          clusterRetryStrategy: retryStrategy,
          redisOptions: { commandTimeout: options.commandTimeoutMs, maxRetriesPerRequest: 0 },
          slotsRefreshTimeout: 2000,
        },
      );
  }
}

/** A dedicated connection for SUBSCRIBE (a subscribed connection can run nothing else). */
export function createSubscriber(client: RedisClient): RedisClient {
  if (client instanceof Cluster) {
    return client.duplicate([], { enableOfflineQueue: true, redisOptions: { commandTimeout: undefined } } as never);
  }
  return client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined as unknown as number });
}

/** Resolves true when the client is ready within `timeoutMs`, false otherwise (it keeps trying). */
export async function waitReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    await once(client, 'ready', { signal: ac.signal });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
