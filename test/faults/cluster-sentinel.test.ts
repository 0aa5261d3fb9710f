/**
 * Redis Cluster and Sentinel faults (issue 7, Faults), built the way test/store/topologies.test.ts
 * builds them:
 * - a 3-master Cluster (append-only files on): the master holding the portal's slot is SIGKILLed while
 *   REST load runs; the gateway keeps answering REST and enforcing known blocks, and when the master
 *   is back (same port, same files) it reconnects: no block made before is lost and new ones reach Redis.
 * - a master, its replica and a sentinel; a compiled gateway through PORTCULLIS_REDIS_SENTINELS; a
 *   `SENTINEL FAILOVER`: no block made before or after is lost.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { startGateway, type RunningGateway } from '../../gateway/app';
import { startPortalSim, type PortalSim } from '../../portal-sim/server';
import { freePort, redisCommand, spawnProcess, startGatewayProcess, startRedisServer, startSentinel, stopAll, tempDir, type ManagedProcess } from '../helpers/processes';
import { captureLoggers, testConfig } from '../helpers/stack';
import { adminCall, adminListAll, countBy, restCall, sleep, until } from './util';

const run = promisify(execFile);
/** Clients the test opened (the sentinel's), closed whatever failed. */
const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));
afterAll(() => stopAll());

const TOKEN = 'faults-admin-token-0123456789abcdef';

interface ClusterNode {
  port: number;
  dir: string;
  proc: ManagedProcess;
}

async function spawnClusterNode(port: number, dir: string): Promise<ManagedProcess> {
  return spawnProcess({
    name: `redis-cluster:${port}`,
    cmd: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
    cwd: dir,
    readyCheck: async () => (await redisCommand(port, 'PING')) === '+PONG',
    timeoutMs: 10_000,
  });
}

async function clusterOk(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const node = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await node.connect();
      if (!String(await node.cluster('INFO')).includes('cluster_state:ok')) return false;
    } catch {
      return false;
    } finally {
      node.disconnect();
    }
  }
  return true;
}

describe('Redis Cluster: a master killed mid-run', () => {
  let sim: PortalSim;
  const gateways: RunningGateway[] = [];
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await sim?.close();
  });

  test('REST keeps answering, known blocks stay enforced, the gateway reconnects and no block is lost', async () => {
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = tempDir('pc-fault-cluster-');
      nodes.push({ port, dir, proc: await spawnClusterNode(port, dir) });
    }
    const ports = nodes.map((n) => n.port);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await until(() => clusterOk(ports), 20_000, 'cluster_state:ok on every node', 200);

    sim = await startPortalSim({ hashCostMs: 0, restLimit: false });
    const store = { kind: 'redis-cluster' as const, nodes: ports.map((port) => ({ host: '127.0.0.1', port })) };
    const gw = await startGateway(testConfig(sim.url, { store, trustedProxies: ['127.0.0.1/32'] }), { loggers: captureLoggers().loggers });
    gateways.push(gw);

    // Blocks on portals spread over the three masters, and on localhost.
    const probe = new Redis(ports[0]!, '127.0.0.1');
    const slotOwner = async (portal: string): Promise<number> => {
      const slot = Number(await probe.cluster('KEYSLOT', `pc:{${portal}}:rec:blocks`));
      const slots = (await probe.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
      return slots.find(([lo, hi]) => slot >= lo && slot <= hi)![2][1];
    };
    const portals = ['localhost', ...Array.from({ length: 30 }, (_, i) => `fault-${i}.example.com`)];
    const owners = new Map<string, number>();
    for (const portal of portals) owners.set(portal, await slotOwner(portal));
    probe.disconnect();
    expect(new Set(owners.values()).size).toBe(3);
    const before: Array<{ portal: string; subject: string }> = [];
    for (const portal of portals) {
      for (let i = 1; i <= 3; i++) {
        const subject = `198.51.100.${i}`;
        await gw.lockout.block({ portal, kind: 'ip', subject, actor: 'operator:test', reason: 'before the kill', durationMs: 3_600_000 }).durable;
        before.push({ portal, subject });
      }
    }

    // REST load, then kill the master that holds localhost's slot.
    const statuses: Array<{ phase: string; status: number }> = [];
    let phase = 'before';
    let running = true;
    const load = (async () => {
      while (running) {
        statuses.push({ phase, status: (await restCall(gw.url)).status });
        await sleep(60); // within the portal's own REST bucket (burst 250, 5/s), which the gateway mirrors
      }
    })();
    await sleep(500);
    const victim = nodes.find((n) => n.port === owners.get('localhost'))!;
    phase = 'down';
    await victim.proc.kill();
    await sleep(1500);
    // Known blocks stay enforced while the master is gone; a new block is taken locally.
    expect((await restCall(gw.url, '198.51.100.2')).status).toBe(403);
    await Promise.race([gw.lockout.block({ portal: 'localhost', kind: 'ip', subject: '198.51.100.50', actor: 'operator:test', reason: 'during the kill', durationMs: 3_600_000 }).durable, sleep(2000)]).catch(() => undefined);
    expect((await restCall(gw.url, '198.51.100.50')).status).toBe(403);
    await sleep(1500);

    // The master comes back on its port, with its files.
    phase = 'restarting';
    victim.proc = await spawnClusterNode(victim.port, victim.dir);
    await until(() => clusterOk(ports), 30_000, 'cluster_state:ok after the restart', 200);
    phase = 'after';
    await sleep(1500);
    running = false;
    await load;

    process.stdout.write(`cluster master ${victim.port} killed: REST statuses by phase ${JSON.stringify(countBy(statuses, (s) => `${s.phase}:${s.status}`))}\n`);
    expect(statuses.filter((s) => s.status !== 200)).toEqual([]);
    // A floor that says the load really ran through the outage (about 3 s of calls 60 ms apart: up to
    // ~50 here), loose enough that a slow, shared machine does not fail it.
    expect(statuses.filter((s) => s.phase === 'down').length).toBeGreaterThan(15);

    // Reconnected: a block made now reaches Redis; a fresh replica reads every block, old and new.
    await gw.lockout.block({ portal: 'localhost', kind: 'ip', subject: '198.51.100.60', actor: 'operator:test', reason: 'after the restart', durationMs: 3_600_000 }).durable;
    await until(() => gw.store.health().state === 'ok', 20_000, 'the gateway store back to ok');
    const fresh = await startGateway(testConfig(sim.url, { store }), { loggers: captureLoggers().loggers });
    gateways.push(fresh);
    const missing = [...before, { portal: 'localhost', subject: '198.51.100.50' }, { portal: 'localhost', subject: '198.51.100.60' }].filter(
      (b) => fresh.blocks.find(b.portal, 'ip', b.subject) === undefined,
    );
    expect(missing).toEqual([]);
  }, 90_000);
});

describe('Redis behind Sentinel: a failover', () => {
  // Across a manual SENTINEL FAILOVER the demoted master keeps acknowledging writes for ~2 s, and loses
  // them when it resyncs from the new one. Blocks count as written only once a replica confirms them
  // (storeOptions.redis.replicaAcks, 1 behind Sentinel); the others are queued and replayed.
  test('a compiled gateway through PORTCULLIS_REDIS_SENTINELS loses no block across SENTINEL FAILOVER', async () => {
    const { master, replica, sentinelPort, sentinel } = await sentinelTopology();
    const sim = await startSimProcessLocal();
    const env = { PORTCULLIS_REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, PORTCULLIS_REDIS_SENTINEL_NAME: 'pcmaster', PORTCULLIS_ADMIN_TOKEN: TOKEN, PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1/32' };
    const gw = await startGatewayProcess({ upstream: sim, logLevel: 'warn', env });
    const blockIp = async (ip: string): Promise<number> =>
      (await adminCall(gw.adminUrl, TOKEN, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'ip', ip, reason: 'sentinel test', operator: 'faults', duration: '1h' })).status;
    const beforeIps = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
    for (const ip of beforeIps) expect(await blockIp(ip)).toBe(201);
    expect(await redisCommand(master.port, 'WAIT 1 2000')).toBe(':1');

    const t0 = Date.now();
    expect(await sentinel.call('SENTINEL', 'FAILOVER', 'pcmaster')).toBe('OK');
    await until(async () => {
      const addr = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'pcmaster')) as string[];
      return Number(addr[1]) === replica.port;
    }, 20_000, 'the sentinel names the replica as master', 100);
    const switchedMs = Date.now() - t0;

    // Blocks made across and after the switch: every one acknowledged must be in the new master.
    const afterIps = Array.from({ length: 20 }, (_, i) => `198.51.101.${i + 1}`);
    const afterStatuses: number[] = [];
    const oldRoles: string[] = [];
    const roleOf = async (port: number): Promise<string> => {
      const node = new Redis(port, '127.0.0.1');
      try {
        return (String(await node.info('replication')).match(/role:(\w+)/) ?? [])[1] ?? '?';
      } finally {
        node.disconnect();
      }
    };
    for (const ip of afterIps) {
      afterStatuses.push(await blockIp(ip));
      oldRoles.push(await roleOf(master.port));
      await sleep(100);
    }
    process.stdout.write(`old master's role after each post: ${oldRoles.join(',')}\n`);
    const restDuring = (await restCall(gw.url)).status;
    process.stdout.write(`sentinel failover: switched in ${switchedMs} ms; blocks posted after it by status ${JSON.stringify(countBy(afterStatuses, (s) => s))}; REST ${restDuring}\n`);
    expect(afterStatuses.every((s) => s === 201)).toBe(true);
    const readyz = await adminCall(gw.adminUrl, TOKEN, 'GET', '/readyz');
    await until(async () => (await adminCall(gw.adminUrl, TOKEN, 'GET', '/readyz')).status === 200, 15_000, `gateway ready again (last ${readyz.status} ${JSON.stringify(readyz.body)})`, 200);

    // In the new master itself.
    const direct = new Redis(replica.port, '127.0.0.1');
    const oldMaster = new Redis(master.port, '127.0.0.1');
    const foundIn = async (node: Redis): Promise<string[]> => {
      const records = Object.values(await node.hgetall('pc:{localhost}:rec:blocks'));
      return [...beforeIps, ...afterIps].filter((ip) => records.some((json) => json.includes(`"${ip}"`)));
    };
    try {
      await until(async () => (await foundIn(direct)).length === 40, 8_000, 'every block in the new master', 200);
    } catch (err) {
      const inNew = await foundIn(direct);
      const inOld = await foundIn(oldMaster);
      const role = String(await oldMaster.info('replication')).split('\n').find((l) => l.startsWith('role:'));
      throw new Error(
        `${(err as Error).message}: new master (${replica.port}) has ${inNew.length} of 40, old master (${master.port}, ${role?.trim()}) has ${inOld.length}; ` +
          `missing in the new master: ${[...beforeIps, ...afterIps].filter((ip) => !inNew.includes(ip)).join(' ')}\n` +
          `gateway /readyz: ${JSON.stringify((await adminCall(gw.adminUrl, TOKEN, 'GET', '/readyz')).body)}\n--- gateway output ---\n${gw.output().slice(-3000)}`,
      );
    } finally {
      direct.disconnect();
      oldMaster.disconnect();
    }
    // And a second gateway through the sentinel enforces all of them.
    const second = await startGatewayProcess({ upstream: sim, logLevel: 'warn', env });
    const statuses = await Promise.all([...beforeIps, ...afterIps].map(async (ip) => (await restCall(second.url, ip)).status));
    expect(countBy(statuses, (s) => s)).toEqual({ 403: 40 });
    const listed = await adminListAll<{ subject?: string }>(second.adminUrl, TOKEN, '/v1/blocks?portal=localhost&kind=ip');
    expect(listed.length).toBe(40);
  }, 90_000);

  test('the master SIGKILLed: the gateway fails over through the sentinel and loses no acknowledged block', async () => {
    const { master, replica, sentinelPort, sentinel } = await sentinelTopology();
    const sim = await startSimProcessLocal();
    const env = { PORTCULLIS_REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, PORTCULLIS_REDIS_SENTINEL_NAME: 'pcmaster', PORTCULLIS_ADMIN_TOKEN: TOKEN, PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1/32' };
    const gw = await startGatewayProcess({ upstream: sim, logLevel: 'warn', env });
    const blockIp = async (ip: string): Promise<number> =>
      (await adminCall(gw.adminUrl, TOKEN, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'ip', ip, reason: 'sentinel kill test', operator: 'faults', duration: '1h' })).status;
    const beforeIps = Array.from({ length: 20 }, (_, i) => `198.51.102.${i + 1}`);
    for (const ip of beforeIps) expect(await blockIp(ip)).toBe(201);
    expect(await redisCommand(master.port, 'WAIT 1 2000')).toBe(':1');

    const t0 = Date.now();
    await master.kill();
    // Blocks and REST while the master is gone and the sentinel promotes the replica.
    const duringIps = Array.from({ length: 30 }, (_, i) => `198.51.103.${i + 1}`);
    const during: Array<{ ip: string; status: number }> = [];
    const rest: number[] = [];
    for (const ip of duringIps) {
      during.push({ ip, status: await blockIp(ip) });
      rest.push((await restCall(gw.url)).status);
      await sleep(150);
    }
    await until(async () => {
      const addr = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'pcmaster')) as string[];
      return Number(addr[1]) === replica.port;
    }, 20_000, 'the sentinel names the replica as master', 100);
    const switchedMs = Date.now() - t0;
    const acked = [...beforeIps, ...during.filter((d) => d.status === 201).map((d) => d.ip)];
    process.stdout.write(`sentinel, master killed: promoted within ${switchedMs} ms; blocks posted meanwhile by status ${JSON.stringify(countBy(during, (d) => d.status))}; REST ${JSON.stringify(countBy(rest, (x) => x))}\n`);
    expect(rest.every((x) => x === 200)).toBe(true);
    const direct = new Redis(replica.port, '127.0.0.1');
    try {
      await until(async () => {
        const records = Object.values(await direct.hgetall('pc:{localhost}:rec:blocks'));
        return acked.every((ip) => records.some((json) => json.includes(`"${ip}"`)));
      }, 20_000, `all ${acked.length} acknowledged blocks in the new master`, 200);
    } finally {
      direct.disconnect();
    }
    const second = await startGatewayProcess({ upstream: sim, logLevel: 'warn', env });
    const statuses = await Promise.all(acked.map(async (ip) => (await restCall(second.url, ip)).status));
    expect(countBy(statuses, (x) => x)).toEqual({ 403: acked.length });
  }, 90_000);
});

async function startSimProcessLocal(): Promise<string> {
  const { startSimProcess } = await import('../helpers/processes');
  const sim = await startSimProcess({ hashCostMs: 0, noRestLimit: true });
  return sim.url;
}

async function sentinelTopology(): Promise<{ master: Awaited<ReturnType<typeof startRedisServer>>; replica: Awaited<ReturnType<typeof startRedisServer>>; sentinelPort: number; sentinel: Redis }> {
    const master = await startRedisServer({ appendonly: true });
    const replica = await startRedisServer({ appendonly: true });
    expect(await redisCommand(replica.port, `REPLICAOF 127.0.0.1 ${master.port}`)).toBe('+OK');
    const replicaConn = new Redis(replica.port, '127.0.0.1');
    await until(async () => (await replicaConn.info('replication').catch(() => '')).includes('master_link_status:up'), 10_000, 'replica linked', 100);
    replicaConn.disconnect();

    const sentinelPort = await startSentinel(master.port, { downAfterMs: 1000, failoverTimeoutMs: 5000 });
    const sentinel = new Redis(sentinelPort, '127.0.0.1');
    clients.push(sentinel);
    await until(async () => ((await sentinel.call('SENTINEL', 'REPLICAS', 'pcmaster')) as unknown[]).length > 0, 15_000, 'the sentinel knows the replica', 100);

    return { master, replica, sentinelPort, sentinel };
}
