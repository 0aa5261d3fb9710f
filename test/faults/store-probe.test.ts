/**
 * An idle replica notices a Redis outage by itself (issue 16, §2): with no traffic at all, the store
 * gauge on /metrics turns from ok to fallback within a few seconds of a real redis-server stopping (the
 * probe, storeOptions.redis.probeIntervalMs), and back to ok when it returns. The outage is logged
 * as a change of state, then a summary at an interval, then the recovery: not a line per reconnect.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startGatewayProcess, startRedisServer, startSimProcess, stopAll, tempDir } from '../helpers/processes';
import { scrapedStoreState, sleep, until } from './util';

afterAll(() => stopAll());

const TOKEN = 'store-probe-admin-token-0123456789';

test('no traffic: portcullis_store_state flips to fallback within seconds of Redis stopping, and back; the outage is a few log lines, not one per second', async () => {
  const redis = await startRedisServer();
  const sim = await startSimProcess({ hashCostMs: 0 });
  const dir = tempDir('pc-probe-');
  const configFile = path.join(dir, 'portcullis.yaml');
  writeFileSync(configFile, 'storeOptions:\n  redis:\n    probeIntervalMs: 1000\n    outageSummaryMs: 2000\n');
  const gw = await startGatewayProcess({ upstream: sim.url, redisUrl: redis.url, logLevel: 'info', env: { PORTCULLIS_ADMIN_TOKEN: TOKEN, PORTCULLIS_CONFIG: configFile } });
  await until(async () => (await scrapedStoreState(gw.adminUrl, TOKEN)) === 'ok', 10_000, 'store ok at start');

  await redis.stop();
  const stoppedAt = Date.now();
  // Only /metrics is asked (it reads no store): the probe alone must notice.
  await until(async () => (await scrapedStoreState(gw.adminUrl, TOKEN)) === 'fallback', 15_000, 'the gauge turns to fallback with no traffic');
  process.stdout.write(`gauge fallback ${Date.now() - stoppedAt} ms after redis-server stopped (probe every 1000 ms)\n`);
  await sleep(7_000); // long enough for a few reconnect attempts and summaries
  await redis.start();
  await until(async () => (await scrapedStoreState(gw.adminUrl, TOKEN)) === 'ok', 15_000, 'the gauge back to ok');
  await sleep(300);

  const storeLines = gw
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"msg":"store: '))
    .map((l) => JSON.parse(l) as { level: string; msg: string });
  const count = (msg: string): number => storeLines.filter((l) => l.msg === msg).length;
  process.stdout.write(`store log lines during a ~8 s outage: ${JSON.stringify(storeLines.map((l) => l.msg))}\n`);
  expect(count('store: Redis unavailable; failure modes apply, writes are queued')).toBe(1);
  expect(count('store: Redis still unavailable')).toBeGreaterThanOrEqual(2);
  expect(count('store: Redis back; queued writes replayed')).toBe(1);
  // Besides those: at most the first failed call and the first connection error.
  const others = storeLines.filter((l) => !['store: Redis unavailable; failure modes apply, writes are queued', 'store: Redis still unavailable', 'store: Redis back; queued writes replayed'].includes(l.msg));
  expect(others.length).toBeLessThanOrEqual(2);
}, 90_000);
