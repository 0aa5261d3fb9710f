/**
 * Redis Cluster (3 masters, created by the test with redis-cli --cluster create) and Redis behind
 * Sentinel (one master, one sentinel): the store connects, counts, keeps records, and keeps one
 * portal's keys in one slot.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { ManualClock } from '../../gateway/lib/clock';
import type { Change } from '../../gateway/store/port';
import { freePort, redisCommand, spawnProcess, startRedisServer, startSentinel, stopAll, tempDir } from '../helpers/processes';
import { countOp, distinctOp, eventually, openRedis, openResilient, uniquePortal } from './helpers';

const run = promisify(execFile);
afterAll(stopAll);

const MIN = 60_000;

async function startClusterNode(): Promise<number> {
  const port = await freePort();
  const dir = tempDir('pc-cluster-node-');
  await spawnProcess({
    name: `redis-cluster:${port}`,
    cmd: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'), '--save', '', '--appendonly', 'no', '--dir', dir],
    cwd: dir,
    readyCheck: async () => (await redisCommand(port, 'PING')) === '+PONG',
    timeoutMs: 10_000,
  });
  return port;
}

describe('Redis Cluster', () => {
  let ports: number[];

  beforeAll(async () => {
    ports = await Promise.all([startClusterNode(), startClusterNode(), startClusterNode()]);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await eventually(async () => {
      for (const port of ports) {
        const node = new Redis(port, '127.0.0.1', { lazyConnect: true });
        await node.connect();
        const info = await node.cluster('INFO');
        node.disconnect();
        if (!String(info).includes('cluster_state:ok')) return false;
      }
      return true;
    }, 20_000, 'cluster_state:ok on every node');
  }, 60_000);

  test('counters and records work, and a portal\'s keys share one slot', async () => {
    const clock = new ManualClock();
    const config = { kind: 'redis-cluster' as const, nodes: ports.map((port) => ({ host: '127.0.0.1', port })) };
    const store = await openRedis(clock, config);
    const replica = await openResilient(clock, config, tempDir('pc-cluster-res-'), 'replica');
    const seen: Change[] = [];
    replica.subscribe((c) => seen.push(c));
    expect(replica.health()).toEqual({ state: 'ok' });

    // Portals picked so that every master holds some (redis-cli gives each master a third of the slots).
    const probe = new Redis(ports[0]!, '127.0.0.1');
    const portals: string[] = [];
    const perThird = [0, 0, 0];
    while (portals.length < 6) {
      const portal = uniquePortal();
      const third = Math.min(2, Math.floor(Number(await probe.cluster('KEYSLOT', `pc:{${portal}}:audit`)) / 5461));
      if (perThird[third]! < 2) {
        perThird[third]!++;
        portals.push(portal);
      }
    }
    probe.disconnect();
    for (const portal of portals) {
      const ops = [countOp(portal, 'alice', 15 * MIN), distinctOp(portal, 'ip1', 60 * MIN, 'alice'), countOp(portal, 'ip1', 15 * MIN)];
      expect(await store.counters(ops, clock.now())).toEqual({ ok: true, values: [1, 1, 1] });
      expect(await replica.counters(ops, clock.now(), { kind: 'login' })).toEqual({ ok: true, values: [2, 1, 2] });
      await store.put('blocks', portal, { id: 'user:alice' });
      await store.appendAudit({ atMs: clock.now(), portal, type: 'user_blocked', actor: 'rule:x' });
    }
    // One call with ops of two portals: one script per portal slot, answers in op order.
    expect(await store.counters([countOp(portals[0]!, 'alice', 15 * MIN, false), countOp(portals[1]!, 'alice', 15 * MIN, false)], clock.now())).toEqual({ ok: true, values: [2, 2] });
    expect((await replica.list('blocks', '*')).filter((r) => r.id === 'user:alice').length).toBeGreaterThanOrEqual(6);
    await eventually(() => portals.every((p) => seen.some((c) => c.op === 'put' && c.portal === p)), 3000, 'changes through the cluster');
    expect(await replica.queryAudit({ portal: portals[3]!, limit: 5 })).toHaveLength(1);

    // Every key of a portal hashes to the same slot.
    const node = new Redis(ports[0]!, '127.0.0.1');
    for (const portal of portals) {
      const keys = [`pc:{${portal}}:c:user_failures:${15 * MIN}:alice`, `pc:{${portal}}:d:ip_distinct_users:${60 * MIN}:ip1`, `pc:{${portal}}:rec:blocks`, `pc:{${portal}}:audit`];
      const slots = await Promise.all(keys.map((k) => node.cluster('KEYSLOT', k)));
      expect(new Set(slots).size).toBe(1);
    }
    node.disconnect();
    await replica.close();
    await store.close();
  });
});

describe('Redis behind Sentinel', () => {
  test('the store finds the master through the sentinel and works', async () => {
    const master = await startRedisServer();
    const port = await startSentinel(master.port, { downAfterMs: 2000 });
    const clock = new ManualClock();
    const config = { kind: 'redis-sentinel' as const, sentinels: [{ host: '127.0.0.1', port }], name: 'pcmaster' };
    const store = await openResilient(clock, config, tempDir('pc-sentinel-res-'));
    expect(store.health()).toEqual({ state: 'ok' });
    const portal = uniquePortal();
    expect(await store.counters([countOp(portal, 'alice', 15 * MIN)], clock.now(), { kind: 'login' })).toEqual({ ok: true, values: [1] });
    await store.put('blocks', portal, { id: 'user:alice' });
    await store.close();
    // It is really in the master.
    const direct = await openRedis(clock, { kind: 'redis', url: master.url });
    expect(await direct.get('blocks', portal, 'user:alice')).toEqual({ id: 'user:alice' });
    expect(await direct.counters([countOp(portal, 'alice', 15 * MIN, false)], clock.now())).toEqual({ ok: true, values: [1] });
    await direct.close();
  });
});
