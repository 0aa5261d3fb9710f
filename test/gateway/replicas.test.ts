/**
 * Replicas on one real Redis: a block made on one replica is enforced by the other, learned through
 * the store's change feed (no store round trip per request); a Redis outage keeps known blocks
 * enforced and blocks made during it reach Redis when it is back.
 */
import { request } from 'undici';
import { startGateway, type RunningGateway } from '../../gateway/app';
import { DEFAULT_PORTAL_SETTINGS } from '../../gateway/config/defaults';
import { userId } from '../../gateway/lockout/subjects';
import { startPortalSim, type PortalSim } from '../../portal-sim/server';
import { TEST_SECRET, startRedisServer, stopAll, type RedisServer } from '../helpers/processes';
import { captureLoggers, eventually, testConfig } from '../helpers/stack';

afterAll(() => stopAll());

const logsOf = new Map<RunningGateway, Record<string, unknown>[]>();

async function replica(sim: PortalSim, redisUrl: string): Promise<RunningGateway> {
  const { loggers, logs } = captureLoggers();
  const gw = await startGateway(testConfig(sim.url, { store: { kind: 'redis', url: redisUrl }, trustedProxies: ['127.0.0.1/32'] }), { loggers });
  logsOf.set(gw, logs);
  return gw;
}

async function restStatus(gw: RunningGateway): Promise<number> {
  const res = await request(`${gw.url}/rest/1/demoadminhook001/user.current.json`, { headers: { host: 'localhost' } });
  await res.body.dump();
  return res.statusCode;
}

test("the portal's REST bucket is shared: two replicas together let through about one burst, not two", async () => {
  const redis = await startRedisServer();
  const sim = await startPortalSim({ hashCostMs: 0, restLimit: false });
  const limited = (): Promise<RunningGateway> =>
    startGateway(
      testConfig(sim.url, {
        store: { kind: 'redis', url: redis.url },
        portals: { localhost: { ...DEFAULT_PORTAL_SETTINGS, rest: { ...DEFAULT_PORTAL_SETTINGS.rest, limit: { burst: 10, drainPerSecond: 0.5 } } } },
      }),
      { loggers: captureLoggers().loggers },
    );
  const a = await limited();
  const b = await limited();
  try {
    let accepted = 0;
    for (let i = 0; i < 30; i++) {
      if ((await restStatus(i % 2 === 0 ? a : b)) === 200) accepted++;
      await new Promise((r) => setTimeout(r, 30)); // lets the shared count sync between calls
    }
    process.stdout.write(`shared REST bucket (burst 10): ${accepted} of 30 calls accepted across two replicas\n`);
    expect(accepted).toBeGreaterThanOrEqual(8);
    expect(accepted).toBeLessThanOrEqual(13); // unshared, each replica would let 10 through: 20
  } finally {
    await a.close();
    await b.close();
    await sim.close();
  }
});

describe('two replicas on one Redis', () => {
  let redis: RedisServer;
  let sim: PortalSim;
  let a: RunningGateway;
  let b: RunningGateway;
  beforeAll(async () => {
    redis = await startRedisServer();
    sim = await startPortalSim({ hashCostMs: 0, restLimit: false });
    a = await replica(sim, redis.url);
    b = await replica(sim, redis.url);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await sim.close();
  });

  test('a block made on one replica is enforced on the other; the propagation time is printed', async () => {
    expect(await restStatus(b)).toBe(200);
    const lags: number[] = [];
    for (let i = 0; i < 20; i++) {
      const subject = `198.51.100.${i}`;
      const t0 = performance.now();
      a.lockout.block({ portal: 'localhost', kind: 'ip', subject, actor: 'operator:test', reason: 'propagation', durationMs: 60_000 });
      await eventually(() => b.blocks.find('localhost', 'ip', subject) !== undefined, 3000);
      lags.push(performance.now() - t0);
    }
    lags.sort((x, y) => x - y);
    process.stdout.write(`block propagation between replicas over ${lags.length} blocks: p50 ${lags[10]!.toFixed(1)} ms, max ${lags[19]!.toFixed(1)} ms\n`);
    a.lockout.block({ portal: 'localhost', kind: 'portal_rest', subject: '', actor: 'operator:test', reason: 'seed rule' });
    await eventually(() => b.blocks.find('localhost', 'portal_rest', '') !== undefined);
    expect(await restStatus(b)).toBe(403);
  });

  test('an attack spread across the replicas is counted as one', async () => {
    for (let i = 0; i < 12; i++) {
      const gw = i % 2 === 0 ? a : b;
      const res = await request(`${gw.url}/auth/?login=yes`, {
        method: 'POST',
        headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.200', 'user-agent': 'curl/8' },
        body: `AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=carol&USER_PASSWORD=guess${i}`,
      });
      await res.body.dump();
    }
    // Step 1 needs 10 failures from one device: neither replica saw 10 alone, together they did, so
    // the 11th attempt (on replica a) and the 12th (on b) are denied.
    await eventually(() => logsOf.get(b)!.filter((l) => l.msg === 'request' && l.login === 'carol').length === 6);
    const lastA = logsOf.get(a)!.filter((l) => l.msg === 'request' && l.login === 'carol').at(-1)!;
    const lastB = logsOf.get(b)!.filter((l) => l.msg === 'request' && l.login === 'carol').at(-1)!;
    expect(lastA).toMatchObject({ action: 'deny_attempt', rules: ['unknown-device-burst'] });
    expect(lastB).toMatchObject({ action: 'deny_attempt', rules: ['unknown-device-burst'] });
    const earlier = logsOf.get(b)!.filter((l) => l.msg === 'request' && l.login === 'carol').at(-2)!;
    expect(earlier).toMatchObject({ action: 'none' });
  });

  test('Redis stopped: known blocks stay enforced, a new block is enforced locally and reaches Redis when it is back', async () => {
    const uid = userId(TEST_SECRET, 'localhost', 'dave-outage');
    await redis.stop();
    expect(await restStatus(a)).toBe(403); // the portal_rest block made before the outage
    a.lockout.block({ portal: 'localhost', kind: 'user', subject: uid, login: 'dave-outage', actor: 'operator:test', reason: 'during the outage' });
    expect(a.blocks.find('localhost', 'user', uid)).toBeDefined();
    await redis.start();
    await eventually(() => b.blocks.find('localhost', 'user', uid) !== undefined, 15_000);
  });
});
